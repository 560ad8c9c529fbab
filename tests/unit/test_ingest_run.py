"""Ingestion end to end on real files and real Delta tables: a tiny simulated province, two sources."""

from __future__ import annotations

import json
import re
import shutil
from collections import defaultdict
from datetime import date

import pyarrow.compute as pc
import pytest

from jianguan.ingest.ledger import IngestionLog
from jianguan.ingest.run import IngestSummary, ingest_date, ingest_path
from jianguan.lake import LakeTable
from jianguan.settings import Settings
from jianguan.validate.codes import check_id_number
from tests.sim_helpers import lakehouse_settings, simulate_tiny

DAY1 = date(2026, 11, 2)
DAY2 = date(2026, 11, 3)
SOURCES = ["dept_health", "catalog_system"]
ID_NUMBER = re.compile(r"\b\d{17}[\dXx]\b")


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("ingest")
    settings = lakehouse_settings(root)
    simulate_tiny(settings.landing_root, settings.truth_root, start=DAY1, days=2, seed=7)
    return settings


@pytest.fixture(scope="module")
def first_run(settings: Settings) -> IngestSummary:
    return ingest_date(settings, DAY1, sources=SOURCES)


def _bronze_rows(settings: Settings, table: str, day: date) -> int:
    lake = LakeTable(settings.table_path("bronze", table))
    if not lake.exists():
        return 0
    return lake.read(columns=["batch_id"], filter=pc.field("logical_date") == day).num_rows


def test_every_row_is_accounted_for(first_run: IngestSummary) -> None:
    assert first_run.outcomes, "the simulator landed no files"
    for outcome in first_run.outcomes:
        assert outcome.balanced, outcome.source_file
    totals = first_run.totals()
    assert totals["rows_read"] == totals["rows_loaded"] + totals["rows_rejected"] + totals["rows_held"]
    assert totals["rows_rejected"] > 0, "the simulator plants dirt: some rows must be rejected"


def test_bronze_and_quarantine_hold_what_the_log_says(settings: Settings, first_run: IngestSummary) -> None:
    loaded: dict[str, int] = defaultdict(int)
    rejected: dict[str, int] = defaultdict(int)
    for outcome in first_run.outcomes:
        if outcome.table:
            loaded[outcome.table] += outcome.rows_loaded
            rejected[outcome.table] += outcome.rows_rejected
    for table, rows in loaded.items():
        assert _bronze_rows(settings, table, DAY1) == rows, table
        assert _bronze_rows(settings, table + "__rejected", DAY1) == rejected[table], table
    log = IngestionLog(settings.resolved_lakehouse_root).read(DAY1)
    assert sorted(log.column("batch_id").to_pylist()) == sorted(o.batch_id for o in first_run.outcomes)


def test_rejected_rows_name_file_row_and_rule(settings: Settings, first_run: IngestSummary) -> None:
    tables = {o.table for o in first_run.outcomes if o.rows_rejected and o.table}
    assert tables
    for table in tables:
        rows = LakeTable(settings.table_path("bronze", table + "__rejected")).read().to_pylist()
        for row in rows:
            assert row["source_file"].startswith(tuple(SOURCES))
            assert row["source_row_number"] >= 1
            reasons = json.loads(row["reject_reasons"])
            assert reasons and all(r["rule_id"] and r["message_zh"] for r in reasons)


def test_rerun_replaces_batches_instead_of_duplicating(settings: Settings, first_run: IngestSummary) -> None:
    before = {o.table: _bronze_rows(settings, o.table, DAY1) for o in first_run.outcomes if o.table}
    again = ingest_date(settings, DAY1, sources=SOURCES)
    assert [o.batch_id for o in again.outcomes] == [o.batch_id for o in first_run.outcomes]
    after = {o.table: _bronze_rows(settings, o.table, DAY1) for o in again.outcomes if o.table}
    assert after == before
    assert IngestionLog(settings.resolved_lakehouse_root).read(DAY1).num_rows == len(first_run.outcomes)


def test_redelivered_bytes_are_not_loaded_twice(settings: Settings, first_run: IngestSummary) -> None:
    loaded = next(o for o in first_run.outcomes if o.status == "loaded" and o.rows_loaded)
    source = settings.landing_root / loaded.source_file
    copy = settings.landing_root / loaded.source / DAY2.isoformat() / ("resent_" + source.name)
    shutil.copy2(source, copy)
    try:
        outcome = ingest_path(settings, copy)
    finally:
        copy.unlink()
    assert outcome.status == "duplicate_delivery"
    assert outcome.rows_loaded == 0
    assert loaded.batch_id in (outcome.reason_zh or "")


def test_unrecognised_file_is_quarantined_with_a_reason(settings: Settings) -> None:
    stray = settings.landing_root / "dept_health" / DAY2.isoformat() / "readme_说明.txt"
    stray.write_text("not a feed\n", encoding="utf-8")
    try:
        outcome = ingest_path(settings, stray)
    finally:
        stray.unlink()
    assert outcome.status == "quarantined_file"
    copy = settings.resolved_lakehouse_root / "quarantine" / "dept_health" / DAY2.isoformat() / stray.name
    assert copy.read_text(encoding="utf-8") == "not a feed\n"
    reason = json.loads(copy.with_name(copy.name + ".reason.json").read_text(encoding="utf-8"))
    assert reason["rule_id"] == "file_unrecognised" and reason["reason_zh"]


def test_personal_identities_never_reach_bronze_in_clear(
    settings: Settings, first_run: IngestSummary
) -> None:
    tables = {o.table for o in first_run.outcomes if o.rows_loaded and o.table}
    checked = 0
    for table in tables:
        data = LakeTable(settings.table_path("bronze", table)).read()
        for name in data.column_names:
            if not name.endswith("_token") and data.schema.field(name).type == "string":
                text = "\n".join(v for v in data.column(name).to_pylist() if v)
                clear = [m for m in ID_NUMBER.findall(text) if check_id_number(m) is None]
                assert not clear, f"{table}.{name} holds ID numbers in clear"
                checked += 1
    assert checked


def test_gate_findings_and_profiles_are_logged(settings: Settings, first_run: IngestSummary) -> None:
    log = IngestionLog(settings.resolved_lakehouse_root).read(DAY1).to_pylist()
    loaded = [r for r in log if r["status"] == "loaded" and r["rows_loaded"]]
    assert loaded
    for row in loaded:
        assert row["gate_success"] is not None
        assert json.loads(row["profile"])["rows"] == row["rows_loaded"]


def test_pipeline_command_ingests_a_day_through_the_cli_path(
    settings: Settings,
    first_run: IngestSummary,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`jianguan pipeline --date D --steps ingest`: every source of the day, each file accounted for."""
    from jianguan.cli import main

    monkeypatch.setenv("JIANGUAN_LAKEHOUSE_ROOT", str(settings.lakehouse_root))
    monkeypatch.setenv("JIANGUAN_LANDING_ROOT", str(settings.landing_root))
    capsys.readouterr()
    assert main(["pipeline", "--date", DAY2.isoformat(), "--steps", "ingest"]) == 0
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    ingest = printed["ingest"]
    landed = [p for p in settings.landing_root.glob(f"*/{DAY2.isoformat()}/*") if p.is_file()]
    assert printed["date"] == DAY2.isoformat() and ingest["files"] == len(landed) > 0
    assert ingest["rows_read"] == ingest["rows_loaded"] + ingest["rows_rejected"] + ingest["rows_held"]
    logged = {
        row["source_file"] for row in IngestionLog(settings.resolved_lakehouse_root).read(DAY2).to_pylist()
    }
    assert {p.relative_to(settings.landing_root).as_posix() for p in landed} <= logged
