"""Ingest landed files into bronze: one file (what an Airflow mapped task runs) or every file of a date.

Per file: skip a redelivery of bytes already loaded under another name/date (logged ``duplicate_delivery``),
otherwise stream it into its bronze table and quarantine table (:func:`jianguan.ingest.file_ingest.ingest_file`),
copy an un-ingestible file to the file quarantine, run the Great Expectations batch gate on what was loaded, and
upsert the ingestion log. Rerunning any of it for the same file replaces the same batch: nothing doubles.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow.compute as pc

from jianguan.ingest.discovery import (
    LandedFile,
    batch_id,
    content_hash,
    discover,
    feeds_of_source,
    match_feed,
)
from jianguan.ingest.discovery import sources as all_sources
from jianguan.ingest.file_ingest import FileOutcome, IngestContext, ingest_file
from jianguan.ingest.gate import optional_columns, profile_from_json, profile_of, run_gate
from jianguan.ingest.ledger import IngestionLog, quarantine_file
from jianguan.ingest.sinks import STAGING_FOLDER, DeltaSinkFactory
from jianguan.lake.tables import LakeTable
from jianguan.settings import Settings
from jianguan.spec.loader import Standard, cached_standard

log = logging.getLogger(__name__)


@dataclass
class IngestSummary:
    logical_date: date
    outcomes: list[FileOutcome] = field(default_factory=list)

    @property
    def tables(self) -> list[str]:
        """Bronze tables this run changed (for the Assets an ingest DAG emits)."""
        return sorted({o.table for o in self.outcomes if o.table and o.bronze_version is not None})

    def totals(self) -> dict[str, int]:
        counts: Counter[str] = Counter()
        for o in self.outcomes:
            counts["files"] += 1
            counts[f"files_{o.status}"] += 1
            counts["rows_read"] += o.rows_read
            counts["rows_loaded"] += o.rows_loaded
            counts["rows_rejected"] += o.rows_rejected
            counts["rows_held"] += o.rows_held
        return dict(counts)

    @property
    def balanced(self) -> bool:
        return all(o.balanced for o in self.outcomes)


def landed_file(std: Standard, settings: Settings, path: Path) -> LandedFile:
    """Describe a file under ``<landing>/<source>/<YYYY-MM-DD>/``."""
    landing = settings.landing_root.expanduser().resolve()
    path = path.expanduser().resolve()
    relative = path.relative_to(landing)
    if len(relative.parts) != 3:
        raise ValueError(f"{path}: not at <landing>/<source>/<YYYY-MM-DD>/<file>")
    source, day, name = relative.parts
    return LandedFile(path, source, date.fromisoformat(day), match_feed(feeds_of_source(std, source), name))


def discover_files(settings: Settings, logical_date: date, sources: list[str] | None = None) -> list[Path]:
    """Every landed file of the date for the given sources (all sources by default), in a stable order."""
    std = cached_standard(settings.schemas_root)
    landing = settings.landing_root.expanduser().resolve()
    chosen = sources if sources is not None else all_sources(std)
    return [f.path for source in chosen for f in discover(std, landing, source, logical_date)]


def ingest_path(settings: Settings, path: Path, *, force: bool = False) -> FileOutcome:
    """Ingest one landed file (idempotent); the unit of work of an ingest DAG's mapped task."""
    std = cached_standard(settings.schemas_root)
    landed = landed_file(std, settings, path)
    lakehouse = settings.resolved_lakehouse_root
    landing = settings.landing_root.expanduser().resolve()
    ledger = IngestionLog(lakehouse)
    sha256 = content_hash(landed.path)  # once: hashing reads the whole file
    if not force:
        skipped = _skip_redelivery(ledger, landed, landing, sha256)
        if skipped is not None:
            ledger.record([skipped])
            return skipped
    libraries = {t.name: t.library for t in std.tables.values()}
    ctx = IngestContext(
        std=std,
        landing_root=landing,
        secret=settings.token_secret,
        ingested_at=datetime.now(UTC),
        sinks=DeltaSinkFactory(lakehouse, libraries),
        scratch_dir=lakehouse / STAGING_FOLDER / "ingest",
    )
    outcome = ingest_file(landed, ctx, sha256=sha256)
    if outcome.status == "quarantined_file":
        copy = quarantine_file(lakehouse, landing, landed.path, outcome)
        outcome.notes.append(f"file quarantined at {copy}")
    elif outcome.status == "loaded" and outcome.bronze_version is not None and outcome.rows_loaded:
        _gate(std, ledger, lakehouse, outcome)
    ledger.record([outcome])
    return outcome


def _skip_redelivery(
    ledger: IngestionLog, landed: LandedFile, landing: Path, sha256: str
) -> FileOutcome | None:
    feed_name = landed.feed.name if landed.feed else "unrecognised"
    batch = batch_id(feed_name, landed.logical_date, landed.path.name, sha256)
    earlier = ledger.loaded_elsewhere(sha256, batch)
    if earlier is None:
        return None
    log.info("%s: same bytes already loaded as %s; skipped", landed.path, earlier)
    return FileOutcome(
        batch_id=batch,
        source=landed.source,
        feed=landed.feed.name if landed.feed else None,
        table=landed.feed.table if landed.feed else None,
        source_file=landed.relative_to(landing),
        logical_date=landed.logical_date,
        content_hash=sha256,
        status="duplicate_delivery",
        reason_rule_id="duplicate_delivery",
        reason_zh=f"与已入库批次{earlier}内容完全相同，未重复入库",
    )


def _gate(std: Standard, ledger: IngestionLog, lakehouse: Path, outcome: FileOutcome) -> None:
    from jianguan.ingest.gate import store_validation

    assert outcome.table is not None and outcome.feed is not None
    snapshot = LakeTable(lakehouse / "bronze" / outcome.table).dataset()
    rows_of_batch = (pc.field("logical_date") == outcome.logical_date) & (
        pc.field("batch_id") == outcome.batch_id
    )
    columns = optional_columns(std, outcome.table)
    # the profile streams (bounded memory whatever the file's size); the rows are loaded only for GE
    profile = profile_of(
        snapshot.to_batches(columns=columns, filter=rows_of_batch, batch_size=65_536), columns
    )
    previous = profile_from_json(
        ledger.previous_profile(outcome.feed, outcome.batch_id, outcome.logical_date)
    )
    result = run_gate(
        std,
        outcome.table,
        lambda: snapshot.to_table(filter=rows_of_batch),
        profile,
        previous,
        outcome.logical_date,
    )
    outcome.gate_success = result.success
    outcome.gate_report = result.report_json()
    outcome.profile = result.profile_json()
    if result.success is False:
        log.warning("batch %s: GE batch gate findings %s", outcome.batch_id, result.failed)
    # The full result feeds the data docs (jianguan.ingest.data_docs); the log already holds the verdict, so a
    # failure to write it is noted but never fails the load.
    try:
        store_validation(
            lakehouse,
            result,
            table_name=outcome.table,
            batch_id=outcome.batch_id,
            logical_date=outcome.logical_date,
            source_file=outcome.source_file,
        )
    except OSError as exc:
        log.warning("batch %s: validation result not stored: %s", outcome.batch_id, exc)
        outcome.notes.append(f"GE validation result not stored: {exc}")


def ingest_date(
    settings: Settings, logical_date: date, *, sources: list[str] | None = None, force: bool = False
) -> IngestSummary:
    """Ingest every file landed for ``logical_date`` (sequentially; the DAGs map one task per file)."""
    summary = IngestSummary(logical_date)
    for path in discover_files(settings, logical_date, sources):
        summary.outcomes.append(ingest_path(settings, path, force=force))
    totals = summary.totals()
    log.info("ingested %s: %s", logical_date, totals)
    return summary
