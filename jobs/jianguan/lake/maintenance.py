"""Routine maintenance of every lakehouse table: OPTIMIZE, VACUUM, checkpoint.

Why each step, and in this order:

1. **OPTIMIZE** compacts the many small files that daily batches, MERGEs and Spark tasks leave behind; readers
   (the Spark connector plans one task per file) get fewer, larger files. It commits a new version that changes
   no rows (and commits nothing when there is nothing to compact).
2. **VACUUM** deletes files that no snapshot within the retention period needs, and files no commit ever
   referenced (left by crashed writers). Files OPTIMIZE just replaced are younger than any allowed retention, so
   they stay until a later run: time travel and running readers keep working. When it deletes files, delta-rs
   records ``VACUUM START``/``VACUUM END`` commits (as delta-spark does), so it comes before the checkpoint.
3. **checkpoint** at the latest version, so a reader loads one Parquet checkpoint instead of replaying every JSON
   commit since the last one.

The retention guard of :meth:`~jianguan.lake.tables.LakeTable.vacuum` applies unchanged: a scheduled job never
forces a short retention.

One failing table does not stop the others (a conflict with a concurrent writer only postpones that table to the
next run), but the run fails at the end naming every failed table, so the scheduler shows it.

:func:`refresh_data_docs` rebuilds the Great Expectations data-docs site (``<lakehouse>/data_docs/``) from the
stored batch-gate results; the ``maintain__lakehouse`` DAG and ``jianguan lake maintain`` run it after the tables.
It never raises: the site is a report, its failure must not fail the maintenance of the tables.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

from jianguan.errors import StorageError
from jianguan.lake.catalog import list_tables
from jianguan.lake.tables import MIN_VACUUM_RETENTION, LakeTable
from jianguan.settings import Settings

log = logging.getLogger(__name__)


def maintain_table(table: LakeTable, retention: dt.timedelta = MIN_VACUUM_RETENTION) -> dict[str, Any]:
    """OPTIMIZE, VACUUM and checkpoint one table; return what each step did."""
    started = time.monotonic()
    version_before = table.version()
    metrics = table.optimize()
    vacuumed = table.vacuum(retention, dry_run=False)
    checkpoint_version = table.checkpoint()
    return {
        "path": table.uri,
        "version_before": version_before,
        "version_after": table.version(),
        "files_removed": int(metrics.get("numFilesRemoved", 0)),
        "files_added": int(metrics.get("numFilesAdded", 0)),
        "checkpoint_version": checkpoint_version,
        "files_vacuumed": len(vacuumed),
        "seconds": round(time.monotonic() - started, 3),
    }


def refresh_data_docs(settings: Settings, keep: int | None = None) -> dict[str, Any]:
    """Rebuild the GE data-docs site from the stored gate results; never raises.

    Returns ``{"index": <path of index.html>}``, ``{"index": None, "skipped": …}`` when no batch gate result is
    stored yet (GE is then not even imported), or ``{"index": None, "error": …}`` when the build failed (logged).
    """
    root = settings.resolved_lakehouse_root
    try:
        from jianguan.ingest.data_docs import DEFAULT_KEEP, build_data_docs, has_stored_validations

        if not has_stored_validations(root):
            log.info("data docs not built: no stored batch-gate validation results under %s", root)
            return {"index": None, "skipped": "no stored validation results"}
        index = build_data_docs(root, keep if keep is not None else DEFAULT_KEEP)
    except Exception as exc:  # the site is a report: its failure must not fail maintenance of the tables
        log.exception("data docs refresh under %s failed", root)
        return {"index": None, "error": f"{type(exc).__name__}: {exc}"}
    return {"index": str(index)}


def maintain_lakehouse(
    settings: Settings, retention: dt.timedelta = MIN_VACUUM_RETENTION
) -> list[dict[str, Any]]:
    """Maintain every table of the lakehouse (see the module docstring); one result dict per table.

    Each dict holds ``layer``, ``name`` and the keys of :func:`maintain_table`. Raises :class:`StorageError` after
    all tables were tried when any of them failed (including a retention shorter than the guard allows, which is
    refused before any table is touched).
    """
    if retention < MIN_VACUUM_RETENTION:
        raise StorageError(
            f"maintenance retention {retention} is shorter than {MIN_VACUUM_RETENTION.days} days; "
            "vacuum a single table with `jianguan lake vacuum --force` if that is really meant"
        )
    results: list[dict[str, Any]] = []
    failures: list[str] = []
    # strict=False: a table with features this package cannot handle is logged and left alone, not a failure
    # of everything else.
    for info in list_tables(settings.resolved_lakehouse_root, strict=False):
        try:
            outcome = maintain_table(LakeTable(info.path), retention)
        except StorageError as exc:
            log.error("maintenance of %s/%s failed: %s", info.layer, info.name, exc)
            failures.append(f"{info.layer}/{info.name}: {exc}")
            continue
        results.append({"layer": info.layer, "name": info.name, **outcome})
        log.info(
            "maintained %s/%s: %d file(s) compacted into %d, checkpoint at %d, %d file(s) vacuumed",
            info.layer,
            info.name,
            outcome["files_removed"],
            outcome["files_added"],
            outcome["checkpoint_version"],
            outcome["files_vacuumed"],
        )
    if failures:
        raise StorageError(
            f"maintenance failed for {len(failures)} table(s) ({len(results)} done): " + "; ".join(failures)
        )
    return results
