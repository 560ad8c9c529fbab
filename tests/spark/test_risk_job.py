"""The risk job end to end over hand-made silver staging tables (Delta), for two logical dates.

Day 1: a pharmacy lists a psychotropic drug online, an investment company is named in 舆情 promising 保本保息
(by name only) while on the abnormal list, a hospital gets one complaint, a shop is clean. Day 2: the pharmacy's
clue is handled through the disposal-feedback feed. Checks the five gold tables, dedup, closing, idempotent reruns.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.dataset as pads
import pytest
from pyspark.sql import SparkSession

from jianguan.lake import LakeTable
from jianguan.lake.tables import library_of
from jianguan.risk import tables
from jianguan.risk.inputs import stg_name
from jianguan.risk.job import run
from jianguan.settings import Settings
from jianguan.spec.loader import cached_standard
from jianguan.spec.render.schemas import bronze_arrow_schema

pytestmark = [pytest.mark.spark, pytest.mark.slow]

SH = ZoneInfo("Asia/Shanghai")
D1, D2 = date(2026, 11, 2), date(2026, 11, 3)
PHARMACY, FUND, HOSPITAL, SHOP = (f"9142010000000000{n}" for n in ("1A", "2B", "3C", "4D"))  # 18 characters
LINEAGE_DEFAULTS = {
    "batch_id": "test-batch", "source_system": "test", "source_file": "test.csv", "source_row_number": 1,
    "content_hash": "0" * 64, "row_hash": "0" * 16, "ingested_at": datetime(2026, 11, 2, 6, tzinfo=UTC),
}  # fmt: skip


def write_stg(settings: Settings, table: str, rows: list[dict[str, Any]], delivered: date = D1) -> None:
    """Append rows to ``silver/stg_<library>__<table>`` (created with the bronze shape, columns nullable)."""
    std = cached_standard(settings.schemas_root)
    schema = bronze_arrow_schema(std, table)
    schema = pa.schema([f.with_nullable(True) for f in schema])
    path = settings.table_path("silver", stg_name(std, table))
    lake = LakeTable.create(path, schema, exist_ok=True)
    full = [{**LINEAGE_DEFAULTS, "logical_date": delivered, **r} for r in rows]
    lake.append(pa.Table.from_pylist([{n: r.get(n) for n in schema.names} for r in full], schema=schema))


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SH)


def partition(settings: Settings, name: str, day: date) -> list[dict[str, Any]]:
    lake = LakeTable(settings.table_path("gold", name))
    rows = lake.read(filter=pads.field("as_of_date") == pa.scalar(day)).to_pylist()
    return sorted(
        ({k: v for k, v in r.items() if k != "computed_at"} for r in rows),
        key=lambda r: json.dumps(r, default=str),
    )


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory, spark_settings: Settings) -> Settings:
    root: Path = tmp_path_factory.mktemp("risk_lake")
    # a fresh Settings (model_copy would keep the cached resolved root of the shared session lakehouse)
    return Settings(**{**spark_settings.model_dump(), "lakehouse_root": root})


def seed_day1(settings: Settings) -> None:
    write_stg(settings, "enterprises", [
        {"entity_pripid": "E1", "uscc": PHARMACY, "party_name": "武汉甲大药房有限公司", "industry_code": "F5251",
         "region_code": "420102", "registration_status_code": "1"},
        {"entity_pripid": "E2", "uscc": FUND, "party_name": "湖北乙投资管理有限公司", "industry_code": "L7212",
         "region_code": "420103", "registration_status_code": "1"},
        {"entity_pripid": "E3", "uscc": HOSPITAL, "party_name": "宜昌丙医院有限公司", "industry_code": "Q8411",
         "region_code": "420502", "registration_status_code": "1"},
        {"entity_pripid": "E4", "uscc": SHOP, "party_name": "武汉丁百货有限公司", "industry_code": "F5211",
         "region_code": "420102", "registration_status_code": "1"},
    ])  # fmt: skip
    write_stg(settings, "online_shops", [
        {"platform_code": "P1", "shop_id": "S1", "uscc": PHARMACY, "is_licence_displayed": False, "is_closed": False},
        {"platform_code": "P1", "shop_id": "S4", "uscc": SHOP, "is_licence_displayed": True, "is_closed": False},
    ])  # fmt: skip
    write_stg(settings, "online_listings", [
        {"platform_code": "P1", "listing_id": "L1", "shop_id": "S1", "title": "地西泮片", "category_name": "药品",
         "drug_category_code": "24", "is_prescription": True, "has_prescription_warning": False,
         "is_on_sale": True, "captured_at": at(D1, 4)},
        {"platform_code": "P1", "listing_id": "L2", "shop_id": "S4", "title": "保温杯", "category_name": "日用百货",
         "drug_category_code": "00", "is_on_sale": True, "captured_at": at(D1, 4)},
    ])  # fmt: skip
    write_stg(settings, "public_opinion", [
        {"opinion_id": "O1", "title": "湖北乙投资管理有限公司推出保本保息理财，多名老人参与",
         "party_name": "湖北乙投资管理有限责任公司", "sentiment_code": "3", "published_at": at(D1, 9),
         "heat_score": Decimal("55.00")},
    ])  # fmt: skip
    write_stg(settings, "abnormal_operations", [
        {"abnormal_id": "AB1", "uscc": FUND, "is_listed": True, "inclusion_date": date(2025, 6, 1),
         "inclusion_reason_code": "04"},
    ])  # fmt: skip
    write_stg(settings, "hotline_work_orders", [
        {"work_order_no": "W1", "target_name": "宜昌丙医院有限公司", "request_type_code": "03",
         "title": "举报医院广告", "content": "宣称彻底根治，花了很多钱没效果", "accepted_at": at(D1, 11)},
    ])  # fmt: skip


def test_two_days_of_risk(spark: SparkSession, settings: Settings) -> None:
    seed_day1(settings)
    computed = datetime(2026, 11, 2, 20, tzinfo=UTC)
    summary = run(settings, D1, spark, computed_at=computed)
    assert summary["warnings_by_model"] == {"illegal_drug_sales": 1, "illegal_fundraising": 1}
    assert summary["clues"] == 2 and summary["clues_by_status"] == {"issued": 2}

    # every gold table is partitioned by date and labelled with the risk library
    for name in tables.COLUMNS:
        lake = LakeTable(settings.table_path("gold", name))
        assert lake.partition_columns() == ["as_of_date"]
        assert library_of(lake.load().metadata().description) == "risk"

    warnings = {w["model"]: w for w in partition(settings, "risk_warnings", D1)}
    drug = warnings["illegal_drug_sales"]
    assert drug["uscc"] == PHARMACY and drug["status"] == "open" and drug["is_new"]
    assert drug["department_code"] == "YPJG" and drug["clue_id"]
    assert "网售禁止网络销售类别药品1件" in drug["reason_zh"] and drug["reason_zh"].startswith(
        "【网络违法销售药品】"
    )
    assert {e["indicator"] for e in json.loads(drug["triggering_indicators"])} >= {
        "listing_banned_drug_count"
    }
    fund = warnings["illegal_fundraising"]
    assert fund["uscc"] == FUND  # found by name (a legal-form variant) in 舆情
    assert fund["entity_name"] == "湖北乙投资管理有限公司"

    scores = {(s["uscc"], s["model"]): s for s in partition(settings, "risk_scores", D1)}
    assert not scores[(HOSPITAL, "false_medical_ads")][
        "is_warning"
    ]  # one complaint + scope: scored, no warning
    assert all(s["model_version"] for s in scores.values())

    credit = {c["uscc"]: c for c in partition(settings, "credit_risk_classes", D1)}
    assert set(credit) == {PHARMACY, FUND, HOSPITAL, SHOP}
    assert credit[SHOP]["risk_class"] == "A" and credit[SHOP]["risk_score"] == 0.0
    assert credit[FUND]["risk_class"] in ("C", "D") and credit[FUND]["risk_score"] >= 35

    indicators = {(i["uscc"], i["indicator_code"]): i for i in partition(settings, "risk_indicators", D1)}
    assert indicators[(PHARMACY, "listing_banned_drug_count")]["indicator_value"] == 1.0
    assert indicators[(PHARMACY, "listing_banned_drug_count")]["library"] == "third_party"
    assert indicators[(FUND, "model_max_score")]["indicator_value"] == fund["risk_score"]

    # day 2: the pharmacy's clue is taken, judged, disposed and fed back
    clue = next(c for c in partition(settings, "risk_clues", D1) if c["uscc"] == PHARMACY)
    write_stg(settings, "risk_clue_feedback", [
        {"feedback_id": f"F{s}", "clue_id": clue["clue_id"], "stage_code": s, "event_at": at(D2, 9 + int(s)),
         "department_code": "YPJG", "judgement_code": "1" if s >= "2" else None}
        for s in "1234"
    ], delivered=D2)  # fmt: skip
    summary2 = run(settings, D2, spark, computed_at=datetime(2026, 11, 3, 20, tzinfo=UTC))
    assert summary2["warnings_new"] == 0 and summary2["warnings_closed"] == 1
    day2 = {w["model"]: w for w in partition(settings, "risk_warnings", D2)}
    assert (
        day2["illegal_drug_sales"]["status"] == "closed" and day2["illegal_drug_sales"]["closed_date"] == D2
    )
    assert day2["illegal_fundraising"]["warning_id"] == fund["warning_id"]  # deduplicated, not re-raised
    assert not day2["illegal_fundraising"]["is_new"]
    clues2 = {c["uscc"]: c for c in partition(settings, "risk_clues", D2)}
    assert clues2[PHARMACY]["status"] == "fed_back" and clues2[PHARMACY]["judgement_code"] == "1"
    assert not clues2[PHARMACY]["overdue"] and clues2[FUND]["status"] == "issued"

    # rerunning day 2 replaces its partitions with the same rows and leaves day 1 alone
    before = {name: partition(settings, name, D2) for name in tables.COLUMNS}
    day1_before = partition(settings, "risk_warnings", D1)
    run(settings, D2, spark, computed_at=datetime(2026, 11, 3, 21, tzinfo=UTC))
    for name in tables.COLUMNS:
        assert partition(settings, name, D2) == before[name], name
    assert partition(settings, "risk_warnings", D1) == day1_before
