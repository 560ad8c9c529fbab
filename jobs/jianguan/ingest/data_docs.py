"""The Great Expectations data-docs site of the batch gate, at ``<lakehouse>/data_docs/index.html``.

Every gate run keeps its full validation result as JSON under ``<lakehouse>/_quality/validations/<table>/``
(:func:`jianguan.ingest.gate.store_validation`). :func:`build_data_docs` renders the static GE site from those files
alone: an in-memory GE context gets the latest suite of each table and the latest ``keep`` validation results of
each table, and its one data-docs site (a ``TupleFilesystemStoreBackend``) writes the HTML. The site is built in a
staging folder and then swapped in, so a rebuild from the same stored results gives the same set of files, results
beyond ``keep`` drop out of the site, and readers never see a half-built site. The stored JSON files are not
deleted. Nothing is fetched at build time (the pages link to GE's CDN styles when they are opened).

``maintain__lakehouse`` refreshes the site weekly (:func:`jianguan.lake.maintenance.maintain_lakehouse`);
``jianguan lake data-docs`` rebuilds it on demand.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from jianguan.ingest.gate import VALIDATIONS_DIR

log = logging.getLogger(__name__)

DATA_DOCS_DIR = "data_docs"
"""The site's folder under the lakehouse root (what :mod:`jianguan.orchestration.summary` looks for)."""
DEFAULT_KEEP = 30
"""Validation results per table shown in the site (the latest ones, by logical date then time of the gate run)."""
SITE_NAME = "lakehouse_site"


@dataclass(frozen=True)
class StoredValidation:
    """One stored gate result, as :func:`jianguan.ingest.gate.store_validation` wrote it."""

    path: Path
    table: str
    batch_id: str
    logical_date: str
    source_file: str
    validated_at: datetime
    suite: dict[str, Any] | None
    result: dict[str, Any]

    @property
    def key_name(self) -> str:
        """The batch id as GE's batch identifier (the file name: ``/`` written as ``__``)."""
        return self.path.stem


def validations_root(lakehouse_root: Path) -> Path:
    return lakehouse_root / VALIDATIONS_DIR


def has_stored_validations(lakehouse_root: Path) -> bool:
    root = validations_root(lakehouse_root)
    return root.is_dir() and any(root.glob("*/*.json"))


def _sort_key(path: Path) -> tuple[str, int, str]:
    """Logical date (the middle ``__`` part of ``<feed>__<date>__<hash>``), then time of writing."""
    parts = path.stem.split("__")
    day = parts[-2] if len(parts) >= 3 else ""
    try:
        date.fromisoformat(day)
    except ValueError:
        day = ""
    return day, path.stat().st_mtime_ns, path.name


def latest_validations(lakehouse_root: Path, keep: int = DEFAULT_KEEP) -> dict[str, list[StoredValidation]]:
    """The latest ``keep`` stored results of each table (oldest first); unreadable files are logged and skipped.

    "Latest" goes by the logical date in the file name, then the file's mtime, so only the chosen files (and any
    unreadable ones newer than them) are read.
    """
    if keep < 1:
        raise ValueError(f"keep must be at least 1, not {keep}")
    root = validations_root(lakehouse_root)
    chosen: dict[str, list[StoredValidation]] = {}
    if not root.is_dir():
        return chosen
    for table_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        records: list[StoredValidation] = []
        for path in sorted(table_dir.glob("*.json"), key=_sort_key, reverse=True):
            record = _read(path, table_dir.name)
            if record is not None:
                records.append(record)
                if len(records) == keep:
                    break
        if records:
            chosen[table_dir.name] = records[::-1]
    return chosen


def _read(path: Path, table: str) -> StoredValidation | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        validated_at = datetime.fromisoformat(data["validated_at"])
        return StoredValidation(
            path=path,
            table=str(data.get("table") or table),
            batch_id=str(data["batch_id"]),
            logical_date=str(data["logical_date"]),
            source_file=str(data.get("source_file", "")),
            validated_at=validated_at if validated_at.tzinfo else validated_at.replace(tzinfo=UTC),
            suite=data.get("suite"),
            result=dict(data["validation_result"]),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("skipping stored validation result %s: %s", path, exc)
        return None


def build_data_docs(lakehouse_root: Path, keep: int = DEFAULT_KEEP) -> Path:
    """(Re)build ``<lakehouse_root>/data_docs/`` from the stored gate results; return its ``index.html``.

    An empty lakehouse gets a site with an empty index. Raises :class:`ValueError` for ``keep`` < 1.
    """
    lakehouse_root = lakehouse_root.expanduser().resolve()
    chosen = latest_validations(lakehouse_root, keep)
    target = lakehouse_root / DATA_DOCS_DIR
    work = lakehouse_root / VALIDATIONS_DIR.parent
    work.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="data_docs.building.", dir=work))
    try:
        staging.chmod(0o755)  # mkdtemp's 0700 would hide the site from a web server once swapped in
        _render(staging, chosen)
        if not (staging / "index.html").is_file():
            raise RuntimeError(f"GE data docs build wrote no index.html under {staging}")
        _swap_in(staging, target, work)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    index = target / "index.html"
    log.info(
        "data docs: %d validation result(s) of %d table(s) at %s",
        sum(len(v) for v in chosen.values()),
        len(chosen),
        index,
    )
    return index


def _swap_in(staging: Path, target: Path, work: Path) -> None:
    """Replace ``target`` by ``staging`` (two renames on one filesystem; the old site is deleted afterwards)."""
    old: Path | None = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix="data_docs.old.", dir=work))
        os.replace(target, old / "site")
    os.replace(staging, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _render(site_dir: Path, chosen: dict[str, list[StoredValidation]]) -> None:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        data_docs_sites={
            SITE_NAME: {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(site_dir),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            }
        },
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    context = gx.get_context(project_config=config, mode="ephemeral")
    store = context.validation_results_store
    added_suites: set[str] = set()
    for table, records in chosen.items():
        # The newest suite of the table is the one its expectation page shows.
        for record in reversed(records):
            suite_json = record.suite
            if suite_json and suite_json.get("name") and suite_json["name"] not in added_suites:
                context.suites.add(
                    gx.ExpectationSuite(
                        name=suite_json["name"],
                        expectations=suite_json.get("expectations") or [],
                        meta=suite_json.get("meta") or {"table": table},
                        notes=suite_json.get("notes"),
                    )
                )
                added_suites.add(suite_json["name"])
        for record in records:
            try:
                result = store.deserialize(record.result)
            except Exception as exc:  # one unreadable result must not cost the whole site
                log.warning("skipping stored validation result %s: %s", record.path, exc)
                continue
            run_id = RunIdentifier(run_name=record.logical_date, run_time=record.validated_at)
            result.meta["run_id"] = run_id.to_json_dict()
            result.meta["validation_time"] = record.validated_at.isoformat()
            batch_spec = result.meta.get("batch_spec")
            if isinstance(batch_spec, dict):  # the validation page's "Data asset"
                batch_spec.setdefault("data_asset_name", record.table)
            result.meta["batch_parameters"] = {
                "table": record.table,
                "batch_id": record.batch_id,
                "logical_date": record.logical_date,
                "source_file": record.source_file,
            }
            key = ValidationResultIdentifier(
                expectation_suite_identifier=ExpectationSuiteIdentifier(name=result.suite_name),
                run_id=run_id,
                batch_identifier=record.key_name,
            )
            store.set(key, result)
    context.build_data_docs(site_names=[SITE_NAME])
