"""The evaluation job end to end over tiny hand-made staging tables (real Delta tables, real Spark).

Two cities: 武汉 (江岸 420102) does its work on time, 黄石 (黄石港 420202) reports and publishes late, so 武汉
must rank first. The job runs twice for the same date (idempotence), each stored value is recomputed from its
numerator and denominator, and the report is opened in headless Chromium.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest

from jianguan.evaluation.job import SCORES_TABLE, VALUES_TABLE, report_path, run
from jianguan.lake import LakeTable
from jianguan.settings import Settings
from jianguan.spec.loader import Standard, cached_standard
from jianguan.spec.render.schemas import bronze_arrow_schema

pytestmark = pytest.mark.spark

D = date(2026, 11, 20)
SHANGHAI = ZoneInfo("Asia/Shanghai")
WUHAN, HUANGSHI = "420102", "420202"
FIXED = datetime(2026, 11, 21, 1, 0, tzinfo=SHANGHAI)


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def _default(kind: pa.DataType) -> Any:
    """A filler for required columns the scenario does not care about."""
    if pa.types.is_string(kind):
        return "x"
    if pa.types.is_date(kind):
        return D
    if pa.types.is_timestamp(kind):
        return ts("2026-11-20 08:00")
    if pa.types.is_boolean(kind):
        return False
    if pa.types.is_integer(kind):
        return 1
    if pa.types.is_decimal(kind):
        return Decimal(0)
    return 0.0


def write_stg(settings: Settings, std: Standard, table: str, rows: list[dict[str, Any]]) -> None:
    """Create ``silver/stg_<library>__<table>`` with the bronze shape and the given rows."""
    schema = bronze_arrow_schema(std, table)
    unknown = {key for row in rows for key in row} - set(schema.names)
    assert not unknown, f"{table}: {unknown}"
    lineage = {
        "logical_date": D,
        "batch_id": "b1",
        "source_system": "test",
        "ingested_at": ts("2026-11-20 02:00"),
    }
    columns = {
        f.name: [
            row.get(f.name, lineage.get(f.name)) if row.get(f.name, lineage.get(f.name)) is not None or f.nullable
            else _default(f.type)
            for row in rows
        ]
        for f in schema
    }  # fmt: skip
    path = settings.table_path("silver", f"stg_{std.table(table).library}__{table}")
    LakeTable.create(path, schema).append(pa.table(columns, schema=schema))


def scenario(settings: Settings, std: Standard) -> None:
    cities = {WUHAN: "good", HUANGSHI: "late"}
    write_stg(settings, std, "supervision_items", [
        {"item_code": f"0100{n}", "department_code": "SCJG", "region_code": "420000", "claim_status_code": "1",
         "item_type_code": "01", "exercise_level_codes": "2,3,4"}
        for n in range(3)
    ])  # fmt: skip
    write_stg(settings, std, "inspection_checklists", [
        {"checklist_code": f"L{region}", "item_code": "01000", "department_code": "SCJG", "region_code": region,
         "claim_status_code": "1" if kind == "good" else "0", "check_content": "检查", "check_basis": "依据"}
        for region, kind in cities.items()
    ])  # fmt: skip
    write_stg(settings, std, "officers", [
        {"officer_certificate_no": f"C{region}", "department_code": "SCJG", "region_code": region,
         "certificate_status_code": "1" if kind == "good" else "2"}
        for region, kind in cities.items()
    ])  # fmt: skip
    inspections = []
    for region, kind in cities.items():
        for n in range(4):
            inspections.append({
                "inspection_code": f"I{region}{n}", "item_code": f"0100{n % 3}", "department_code": "SCJG",
                "region_code": region, "check_date": date(2026, 11, 2 + n), "uscc": f"9142{region}MA4K000{n}X",
                "officer_certificate_nos": f"C{region}",
                "submitted_at": ts(f"2026-11-0{3 + n} 10:00") if kind == "good" else ts("2026-11-19 10:00"),
            })  # fmt: skip
    write_stg(settings, std, "inspections", inspections)
    write_stg(settings, std, "penalties", [
        {"penalty_action_code": f"P{region}", "penalty_decision_no": f"N{region}", "item_code": "01001",
         "department_code": "SCJG", "region_code": region, "penalty_decision_date": date(2026, 11, 3),
         "case_filing_date": date(2026, 10, 20), "case_closed_date": date(2026, 11, 3), "is_not_punished": False,
         "submitted_at": ts("2026-11-04 10:00")}
        for region in cities
    ])  # fmt: skip
    write_stg(settings, std, "public_penalties", [
        {"penalty_decision_no": f"N{WUHAN}", "authority_uscc": "x", "public_date": date(2026, 11, 5),
         "public_status_code": "0"},
    ])  # fmt: skip
    write_stg(settings, std, "hotline_work_orders", [
        {"work_order_no": f"H{region}{n}", "region_code": region, "department_code": "SCJG",
         "request_type_code": "02", "accepted_at": ts("2026-11-04 09:00"), "dispatched_at": ts("2026-11-04 10:00"),
         "due_at": ts("2026-11-10 17:00"),
         "closed_at": ts("2026-11-09 10:00") if kind == "good" else ts("2026-11-13 10:00"),
         "callback_at": ts("2026-11-14 10:00"), "satisfaction_code": "3" if kind == "good" else "0",
         "is_returned": kind != "good"}
        for region, kind in cities.items() for n in range(2)
    ])  # fmt: skip
    write_stg(settings, std, "enterprises", [
        {"entity_pripid": f"E{region}{n}", "region_code": region, "registration_status_code": "1",
         "established_date": date(2020, 1, 1)}
        for region in cities for n in range(5)
    ])  # fmt: skip


def read(settings: Settings, name: str) -> list[dict[str, Any]]:
    return LakeTable(settings.table_path("gold", name)).read().to_pylist()


@pytest.fixture(scope="module")
def evaluated(
    spark: Any, tmp_path_factory: pytest.TempPathFactory, spark_settings: Settings
) -> tuple[Settings, dict]:
    root = tmp_path_factory.mktemp("evaluation")
    # a fresh Settings: model_copy would keep the session lakehouse's cached resolved root
    settings = Settings(**{**spark_settings.model_dump(), "lakehouse_root": root / "lakehouse"})
    std = cached_standard(settings.schemas_root)
    scenario(settings, std)
    summary = run(settings, D, spark, computed_at=FIXED)
    return settings, summary


def test_summary_and_missing_sources(evaluated: tuple[Settings, dict]) -> None:
    settings, summary = evaluated
    assert summary["periods"] == ["month:2026-11", "quarter:2026-Q4", "year:2026"]
    assert summary["tables"][VALUES_TABLE]["rows"] > 0 and summary["tables"][SCORES_TABLE]["rows"] > 0
    assert "risk_clues" in summary["indicators_missing"]["risk_disposal_rate"]
    assert "national_dispatches" not in summary["inputs_present"]
    notes = [r for r in read(settings, VALUES_TABLE) if r["indicator_id"] == "risk_feedback_rate"]
    assert notes and all(
        r["value"] is None and r["numerator"] is None and "risk_clues" in r["note"] for r in notes
    )


def test_every_value_recomputes_from_numerator_and_denominator(evaluated: tuple[Settings, dict]) -> None:
    settings, _ = evaluated
    rows = read(settings, VALUES_TABLE)
    checked = 0
    for row in rows:
        if row["denominator"]:
            assert row["value"] == pytest.approx(row["scale"] * row["numerator"] / row["denominator"])
            checked += 1
        else:
            assert row["value"] is None
    assert checked > 50
    month = {
        (r["indicator_id"], r["department_code"], r["region_code"]): r
        for r in rows
        if r["period_key"] == "2026-11"
    }
    timeliness = month[("reporting_timeliness_rate", "SCJG", "420000")]
    # 武汉: 4 inspections and 1 penalty on time; 黄石: 4 inspections late, 1 penalty on time
    assert (timeliness["numerator"], timeliness["denominator"]) == (6.0, 10.0)
    publication = month[("penalty_publication_rate", "SCJG", "420100")]
    assert (publication["numerator"], publication["denominator"], publication["normalised_score"]) == (
        1.0,
        1.0,
        100.0,
    )
    per_1000 = month[("complaints_per_1000_enterprises", "ALL", "420200")]
    assert per_1000["value"] == pytest.approx(1000 * 2 / 5)
    assert {r["weights_version"] for r in rows} == {summary_version(settings)}


def summary_version(settings: Settings) -> str:
    from jianguan.evaluation.config import load_config

    return load_config().version


def test_rankings_and_idempotent_rerun(spark: Any, evaluated: tuple[Settings, dict]) -> None:
    settings, first = evaluated
    scores = read(settings, SCORES_TABLE)
    cities = {
        r["region_code"]: r
        for r in scores
        if r["period_key"] == "2026-11" and r["index_code"] == "supervision" and r["department_code"] == "ALL"
        and r["region_level"] == "prefecture"
    }  # fmt: skip
    assert cities["420100"]["rank_among_regions"] == 1
    assert cities["420200"]["rank_among_regions"] == 2
    assert cities["420100"]["composite_score"] > cities["420200"]["composite_score"]
    assert cities["420100"]["region_name_zh"] == "武汉市"
    values_before = sorted(json.dumps(r, default=str, sort_keys=True) for r in read(settings, VALUES_TABLE))
    second = run(settings, D, spark, computed_at=FIXED, write_report=False)
    assert second["tables"][VALUES_TABLE]["version"] == first["tables"][VALUES_TABLE]["version"] + 1
    values_after = sorted(json.dumps(r, default=str, sort_keys=True) for r in read(settings, VALUES_TABLE))
    assert values_after == values_before, "a rerun for the same date changes nothing"


def test_report_renders_rankings_in_headless_chromium(
    evaluated: tuple[Settings, dict], tmp_path: Path
) -> None:
    settings, summary = evaluated
    page = report_path(settings, D)
    assert summary["report"] == str(page) and page.is_file()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip(
            "chromium is not installed (Debian package `chromium`); the report was written but not opened"
        )
    result = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
         "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    dom = result.stdout
    assert "监管效能评估与营商环境监测报告" in dom
    section = dom[dom.index('id="ranking-supervision-cities-2026-11"') :]
    section = section[: section.index("</section>")]
    assert "<svg" in section and "<table>" in section
    assert section.index("武汉市") < section.index("黄石市"), "武汉 ranks first"
    assert "<polyline" in dom or "<circle" in dom  # the trend chart drew its points
