"""The 双随机 job end to end over tiny stg/gold tables: due plan drawn from Spark inputs, published, verified,
rerun idempotently, inspections linked back, completion, 一公开 list and features."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from jianguan.inspection.job import run
from jianguan.inspection.publish import DRAWS, INSPECTORS, LAYER
from jianguan.inspection.results import COMPLETION, FEATURES, PUBLICATION, RESULTS
from jianguan.inspection.verify import verify_draw
from jianguan.lake import LakeTable
from jianguan.settings import PROJECT_ROOT, Settings
from jianguan.spec.loader import Standard, cached_standard
from jianguan.spec.render.schemas import bronze_arrow_schema

pytestmark = [pytest.mark.spark, pytest.mark.slow]

STD: Standard = cached_standard(PROJECT_ROOT / "schemas")
DAY = dt.date(2026, 6, 2)
ITEM, CHECKLIST = "10000000000001", "914200000000000001" + "3" + "CL0001"
PLAN_ID = "P-4201-2026-01"
N = 60


def _filler(kind: pa.DataType) -> Any:
    """A placeholder for a required column the test does not care about."""
    if pa.types.is_string(kind):
        return "x"
    if pa.types.is_integer(kind):
        return 0
    if pa.types.is_date(kind):
        return DAY
    if pa.types.is_timestamp(kind):
        return dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    if pa.types.is_boolean(kind):
        return False
    if pa.types.is_decimal(kind):
        return decimal.Decimal(0)
    if pa.types.is_floating(kind):
        return 0.0
    raise TypeError(kind)


def write_stg(settings: Settings, table: str, rows: list[dict[str, Any]], *, append: bool = False) -> None:
    """A stg table in the bronze shape (schema fields + tokens + lineage), as the contracts describe."""
    schema = bronze_arrow_schema(STD, table)
    full = [
        {f.name: row.get(f.name, None if f.nullable else _filler(f.type)) for f in schema} for row in rows
    ]
    path = settings.table_path("silver", f"stg_{STD.table(table).library}__{table}")
    lake = LakeTable.create(path, schema, exist_ok=True)
    lake.append(pa.Table.from_pylist(full, schema=schema))
    assert append or lake.count() == len(rows)


def uscc(i: int) -> str:
    return f"91420100{i:09d}X"


@pytest.fixture(scope="module")
def lake_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    root: Path = tmp_path_factory.mktemp("inspection")
    settings = Settings(lakehouse_root=root / "lakehouse")
    populate(settings)
    yield settings


def populate(settings: Settings) -> None:
    """N enterprises of 武汉 (two deregistered), classes for all but ten, six SCJG officers (one suspended), one
    catalogue item with its checklist, one published and one executing plan, an old inspection and a penalty."""
    write_stg(
        settings,
        "enterprises",
        [
            {"uscc": uscc(i), "party_name": f"武汉测试{i}有限公司", "region_code": "420102" if i % 2 else "420103",
             "registration_status_code": "1" if i < N - 2 else "4"}
            for i in range(N)
        ],
    )  # fmt: skip
    classes = pa.table(
        {
            "uscc": [uscc(i) for i in range(N - 10)],
            "entity_name": [f"武汉测试{i}有限公司" for i in range(N - 10)],
            "region_code": ["420102"] * (N - 10),
            "risk_class": ["ABCD"[i % 4] for i in range(N - 10)],
            "risk_score": [50.0] * (N - 10),
            "model_version": ["test"] * (N - 10),
            "as_of_date": [dt.date(2026, 6, 1)] * (N - 10),
            "computed_at": [dt.datetime(2026, 6, 1, tzinfo=dt.UTC)] * (N - 10),
        }
    )
    LakeTable.create(settings.table_path("gold", "credit_risk_classes"), classes.schema).append(classes)
    write_stg(
        settings,
        "officers",
        [
            {"officer_certificate_no": f"ZF{i}", "department_code": "SCJG", "region_code": "420100",
             "certificate_status_code": "2" if i == 5 else "1", "certificate_valid_to_date": dt.date(2030, 1, 1)}
            for i in range(6)
        ],
    )  # fmt: skip
    write_stg(
        settings,
        "supervision_items",
        [{"item_code": ITEM, "department_code": "SCJG", "object_type_codes": "01", "item_type_code": "01"}],
    )
    write_stg(
        settings,
        "inspection_checklists",
        [
            {
                "checklist_code": CHECKLIST,
                "item_code": ITEM,
                "check_type_code": "1",
                "is_random_inspection": True,
            }
        ],
    )
    write_stg(
        settings,
        "random_inspection_plans",
        [
            {"plan_id": PLAN_ID, "plan_name": "武汉市2026年第一批双随机抽查", "plan_year": 2026, "region_code": "420100",
             "department_code": "SCJG", "sampling_ratio": decimal.Decimal("0.5000"), "plan_status_code": "02",
             "checklist_codes": CHECKLIST, "plan_start_date": dt.date(2026, 6, 1),
             "plan_end_date": dt.date(2026, 9, 30)},
            {"plan_id": "P-DONE", "plan_name": "已执行计划", "plan_year": 2026, "region_code": "420100",
             "department_code": "SCJG", "sampling_ratio": decimal.Decimal("0.5000"), "plan_status_code": "03",
             "checklist_codes": CHECKLIST, "plan_start_date": dt.date(2026, 6, 1),
             "plan_end_date": dt.date(2026, 9, 30)},
        ],
    )  # fmt: skip
    # Entity 0 was inspected by ZF0 and ZF1 a month ago, for the plan's item: quiet period and recusal.
    write_stg(
        settings,
        "inspections",
        [
            {"inspection_code": "JC-OLD", "uscc": uscc(0), "item_code": ITEM, "check_date": dt.date(2026, 5, 1),
             "officer_certificate_nos": "ZF0,ZF1", "check_result_code": "01"},
        ],
    )  # fmt: skip
    # Entity 2 was penalised by ZF2 last year: ZF2 must never be drawn for it.
    write_stg(
        settings,
        "penalties",
        [{"penalty_action_code": "CF-1", "uscc": uscc(2), "officer_certificate_nos": "ZF2",
          "penalty_decision_date": dt.date(2025, 9, 1)}],
    )  # fmt: skip


def test_job_draws_publishes_verifies_and_links_results(spark: object, lake_settings: Settings) -> None:
    settings = lake_settings
    at = dt.datetime(2026, 6, 2, 1, tzinfo=dt.UTC)
    summary = run(settings, DAY, spark, published_at=at)  # type: ignore[arg-type]
    assert summary["plans_due"] == 1 and len(summary["draws"]) == 1
    draw_summary = summary["draws"][0]
    assert draw_summary["pool"] == N - 2  # two deregistered enterprises are not in the object library pool
    draws = LakeTable(settings.table_path(LAYER, DRAWS)).read().to_pylist()
    drawn = {r["uscc"]: r for r in draws}
    assert len(draws) == draw_summary["drawn"] > 0
    assert uscc(0) not in drawn  # checked for the item a month ago: quiet period
    unclassified = [r for r in draws if r["class_source"] == "default"]
    assert all(r["risk_class"] == "C" and r["class_reason"] for r in unclassified)
    inspectors = LakeTable(settings.table_path(LAYER, INSPECTORS)).read().to_pylist()
    assert all(r["officer_certificate_no"] != "ZF5" for r in inspectors)  # suspended certificate
    assert all(not (r["uscc"] == uscc(2) and r["officer_certificate_no"] == "ZF2") for r in inspectors)
    per_object: dict[str, set[str]] = {}
    for r in inspectors:
        per_object.setdefault(r["uscc"], set()).add(r["officer_certificate_no"])
    assert set(per_object) == set(drawn) and all(len(v) == 2 for v in per_object.values())
    draw_id = draws[0]["draw_id"]
    assert verify_draw(settings, draw_id).ok

    # Two drawn objects are inspected under the plan; the rerun does not redraw the published plan.
    done = sorted(drawn)[:2]
    write_stg(
        settings,
        "inspections",
        [
            {"inspection_code": f"JC-{n}", "plan_id": PLAN_ID, "uscc": u, "item_code": ITEM,
             "check_date": dt.date(2026, 6, 10), "check_result_code": "01" if n == 0 else "05",
             "officer_certificate_nos": drawn[u]["officer_certificate_nos"], "officer_names": "张*,李*"}
            for n, u in enumerate(done)
        ],
        append=True,
    )  # fmt: skip
    later = dt.date(2026, 6, 20)
    again = run(settings, later, spark, published_at=at + dt.timedelta(days=18))  # type: ignore[arg-type]
    assert again["plans_already_published"] == 1 and again["draws"] == []
    assert LakeTable(settings.table_path(LAYER, DRAWS)).count() == len(draws)

    def gold(name: str) -> list[dict[str, Any]]:
        rows = LakeTable(settings.table_path(LAYER, name)).read().to_pylist()
        return [r for r in rows if r["as_of_date"] == later]

    completion = {r["draw_id"]: r for r in gold(COMPLETION)}[draw_id]
    assert completion["inspected_count"] == 2 and completion["drawn_count"] == len(draws)
    assert completion["completion_rate"] == pytest.approx(2 / len(draws))
    assert completion["problem_count"] == 1
    results = {r["uscc"]: r for r in gold(RESULTS) if r["draw_id"] == draw_id}
    assert results[done[1]]["is_problem_found"] and not results[done[0]]["is_problem_found"]
    publication = gold(PUBLICATION)
    assert sorted(r["uscc"] for r in publication) == done
    assert {r["check_result_name"] for r in publication} == {"未发现问题", "发现问题已责令改正"}
    assert all("officer_names" not in r for r in publication)
    features = {r["uscc"]: r for r in gold(FEATURES)}
    assert features[done[1]]["problem_count"] == 1 and features[done[1]]["random_inspection_count"] == 1
    assert features[uscc(0)]["inspection_count"] == 1
    # Rerunning the same date replaces its slice: no duplicates.
    run(settings, later, spark, published_at=at)  # type: ignore[arg-type]
    assert len(gold(PUBLICATION)) == 2
