"""``dbt build`` over tiny hand-made bronze tables: staging contract, entity resolution, complaint dedup, the
监管信息链, and the marts as real Delta tables (opened with ``deltalake``, history checked).

One module-scoped build (the expensive part) serves every assertion; a second, selected build proves that a run
adds a Delta version and keeps the history.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest
from deltalake import DeltaTable
from pyspark.sql import SparkSession

from jianguan.lake import LakeTable
from jianguan.marts.dbt_run import DbtSummary, expose_bronze_changes, expose_lake_tables, run_dbt
from jianguan.settings import Settings
from jianguan.spec.loader import Standard, load_standard
from jianguan.spec.render.schemas import bronze_arrow_schema
from jianguan.validate.codes import make_uscc

pytestmark = [pytest.mark.spark, pytest.mark.dbt, pytest.mark.slow]

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY1 = dt.date(2026, 11, 2)
DAY2 = dt.date(2026, 11, 3)
USCC_A = make_uscc("9", "1", "420102", "MA4K0001")
USCC_B = make_uscc("9", "1", "420103", "MA4K0002")
USCC_A_TYPO = USCC_A[:-1] + ("0" if USCC_A[-1] != "0" else "1")  # a wrong check character
CHECKLIST = "420000000000000101"
ITEM = "42000000000001"
STAGING_LINEAGE = ["batch_id", "source_system", "logical_date", "ingested_at"]
MARTS_SELECTION = [
    "+rpt_supervision_chain",
    "+rpt_supervision_monthly",
    "+fct_complaint_events",
    "+dim_registration_status_history",
    "+dim_credit_class_history",
]


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=SHANGHAI)


def _default(field: pa.Field) -> Any:
    """A value for a required column the test does not care about."""
    if pa.types.is_string(field.type):
        return "x"
    if pa.types.is_boolean(field.type):
        return False
    if pa.types.is_timestamp(field.type):
        return at(DAY1)
    if pa.types.is_date(field.type):
        return DAY1
    return 0


def write_bronze(
    settings: Settings, std: Standard, table: str, rows: list[dict[str, Any]], day: dt.date = DAY1
) -> None:
    """Append one delivery of ``rows`` to the bronze table (created when absent), lineage filled in."""
    schema = bronze_arrow_schema(std, table)
    path = settings.table_path("bronze", table)
    lake = LakeTable(path) if LakeTable(path).exists() else LakeTable.create(path, schema)
    batch = f"{table}/{day}/test"
    records = []
    for number, row in enumerate(rows, start=1):
        lineage = {
            "batch_id": batch,
            "source_system": "test",
            "source_file": f"test/{day}/{table}.csv",
            "source_row_number": number,
            "content_hash": "0" * 64,
            "row_hash": f"{number:016x}",
            "logical_date": day,
            "ingested_at": at(day, 23),
        }
        record = {**lineage, **row}
        records.append(
            {
                f.name: record[f.name] if f.name in record else (None if f.nullable else _default(f))
                for f in schema
            }
        )
    lake.append(pa.Table.from_pylist(records, schema=schema))


def seed_bronze(settings: Settings, std: Standard) -> None:
    """A province in miniature: two enterprises, a catalogue, three inspections, complaints across channels."""
    enterprise = {
        "entity_pripid": "P-A",
        "uscc": USCC_A.lower(),  # standardisation upper-cases it
        "party_name": "武汉甲乙食品有限公司",
        "region_code": "420102",
        "domicile": "武汉市江岸区解放大道1号",
        "legal_representative_name": "张*",
        "legal_representative_name_token": "tok-legal-a",
        "registration_status_code": "1",
        "established_date": dt.date(2020, 5, 6),
        "updated_at": at(DAY1),
    }
    write_bronze(
        settings,
        std,
        "enterprises",
        [
            enterprise,
            {
                **enterprise,
                "entity_pripid": "P-B",
                "uscc": USCC_B,
                "party_name": "武汉丙丁药房",
                "region_code": "420103",
            },
        ],
    )
    # Day 2 corrects A's status (a newer version of the same business key) and redelivers it twice.
    later = {**enterprise, "registration_status_code": "4", "updated_at": at(DAY2)}
    write_bronze(settings, std, "enterprises", [later, later], day=DAY2)

    write_bronze(
        settings,
        std,
        "supervision_items",
        [{"item_code": ITEM, "item_name": "食品生产监督检查", "updated_at": at(DAY1)}],
    )
    write_bronze(
        settings,
        std,
        "inspection_checklists",
        [
            {
                "checklist_code": CHECKLIST,
                "checklist_name": "食品生产日常检查",
                "item_code": ITEM,
                "updated_at": at(DAY1),
            }
        ],
    )
    write_bronze(
        settings,
        std,
        "officers",
        [
            {
                "officer_certificate_no": "42010000001",
                "officer_name": "李*",
                "organisation_name": "江岸区市场监督管理局",
                "department_code": "SAMR",
                "updated_at": at(DAY1),
            }
        ],
    )
    inspection = {
        "inspection_code": "JC-1",
        "checklist_code": CHECKLIST,
        "item_code": ITEM,
        "uscc": USCC_A,
        "party_name": "武汉甲乙食品有限公司",
        "region_code": "420102",
        "department_code": "SAMR",
        "check_date": DAY1,
        "officer_certificate_nos": "42010000001",
        "updated_at": at(DAY1),
    }
    write_bronze(
        settings,
        std,
        "inspections",
        [
            inspection,
            # a mistyped USCC and full-width spacing: resolved to A by name + region
            {
                **inspection,
                "inspection_code": "JC-2",
                "uscc": USCC_A_TYPO,
                "party_name": "　武汉甲乙食品有限公司 ",
                "checklist_code": "429999999999999999",  # not in the catalogue: an orphan, kept
                "plan_id": "PLAN-1",
            },
            # an unregistered shop known only by name + region
            {**inspection, "inspection_code": "JC-3", "uscc": None, "party_name": "某某小吃店"},
        ],
    )
    complaint_text = "武汉甲乙食品有限公司销售过期食品，要求处理"
    write_bronze(
        settings,
        std,
        "hotline_work_orders",
        [
            {
                "work_order_no": "W1",
                "accepted_at": at(DAY1, 9),
                "caller_phone_token": "tok-phone-1",
                "target_name": "武汉甲乙食品有限公司",
                "target_uscc": USCC_A,
                "region_code": "420102",
                "title": "举报销售过期食品",
                "content": complaint_text,
                "due_at": at(DAY1 + dt.timedelta(days=9), 17),
                "closed_at": at(DAY1 + dt.timedelta(days=3), 11),
                "satisfaction_code": "2",
                "updated_at": at(DAY1),
            },
            {
                "work_order_no": "W2",
                "accepted_at": at(DAY1, 14),
                "caller_phone_token": "tok-phone-2",
                "region_code": "420103",
                "title": "药店价格问题",
                "content": "药店收费不明码标价",
                "updated_at": at(DAY1),
            },
        ],
    )
    write_bronze(
        settings,
        std,
        "consumer_complaints",
        [
            # the same event, filed again a day later in other words
            {
                "complaint_no": "C1",
                "accepted_at": at(DAY2, 11),
                "consumer_phone_token": "tok-phone-1",
                "target_name": "武汉甲乙食品有限公司",
                "target_uscc": USCC_A,
                "region_code": "420102",
                "content": "武汉甲乙食品有限公司销售过期的食品，请处理",
                "acceptance_decision_date": DAY2 + dt.timedelta(days=2),
                "updated_at": at(DAY2),
            },
            # transferred from 12345 work order W2 (explicit link)
            {
                "complaint_no": "C2",
                "accepted_at": at(DAY1, 16),
                "consumer_phone_token": "tok-phone-9",
                "hotline_work_order_no": "W2",
                "region_code": "420103",
                "content": "转办：药店收费不明码标价",
                "updated_at": at(DAY1),
            },
            # same complainant, same target, same week — but a different matter
            {
                "complaint_no": "C3",
                "accepted_at": at(DAY2, 15),
                "consumer_phone_token": "tok-phone-1",
                "target_uscc": USCC_A,
                "target_name": "武汉甲乙食品有限公司",
                "region_code": "420102",
                "content": "会员卡余额无法退还，商家拒绝沟通协商",
                "updated_at": at(DAY2),
            },
        ],
    )
    write_bronze(
        settings,
        std,
        "national_dispatches",
        [
            {
                "dispatch_id": "N1",
                "dispatched_at": at(DAY1 + dt.timedelta(days=3), 10),
                "complainant_phone_token": "tok-phone-1",
                "target_name": "武汉甲乙食品有限公司",
                "region_code": "420102",
                "content": "武汉甲乙食品有限公司销售过期食品，要求查处",
                "deadline_date": DAY1 + dt.timedelta(days=20),
                "updated_at": at(DAY1),
            }
        ],
    )
    write_bronze(
        settings,
        std,
        "complaint_events",
        [
            {
                "source_channel_code": "12345",
                "event_id": f"E{seq}",
                "source_order_no": "W1",
                "event_seq": seq,
                "event_type_code": code,
                "event_at": at(DAY1, 9 + seq),
                "recorded_at": at(DAY1, 9 + seq),
            }
            for seq, code in enumerate(["registered", "DISPATCHED", "CLOSED"], start=1)
        ],
    )


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory, spark_settings: Settings) -> Settings:
    root = tmp_path_factory.mktemp("dbt_lake")
    # A new object, not model_copy: the resolved root is a cached property and would be copied along.
    return Settings(**{**spark_settings.model_dump(), "lakehouse_root": root / "lakehouse"})


@pytest.fixture(scope="module")
def built(spark: SparkSession, lake: Settings) -> Iterator[DbtSummary]:
    std = load_standard(lake.schemas_root)
    seed_bronze(lake, std)
    # Everything the marts need (the staging models of unused bronze tables are left out to save time).
    yield run_dbt(
        ["build"], lake, logical_date=DAY2 + dt.timedelta(days=30), select=MARTS_SELECTION, spark=spark
    )


def rows(settings: Settings, layer: str, name: str) -> list[dict[str, Any]]:
    """A model's rows read with delta-rs, outside Spark."""
    return DeltaTable(str(settings.table_path(layer, name))).to_pyarrow_table().to_pylist()


def test_build_is_green_and_every_model_is_a_delta_table(built: DbtSummary, lake: Settings) -> None:
    assert built.success, built.as_dict()
    assert built.tests_failed == 0 and built.tests_passed >= 20
    unit_tests = {
        "dedup_merges_one_event_across_channels",
        "fct_complaints_acceptance_within_7_working_days",
        "dim_registration_status_history_intervals",
        "dim_credit_class_history_intervals",
    }
    assert unit_tests <= set(built.tests), "the dbt unit tests of dedup and SLA ran"
    assert {"dim_entities", "fct_complaints", "rpt_supervision_chain", "rpt_supervision_monthly"} <= set(
        built.models
    )
    assert built.seeds == {"holidays_cn": "success"}
    for name, path in built.paths.items():
        log = Path(path) / "_delta_log"
        assert log.is_dir(), name
        assert DeltaTable(path).to_pyarrow_table().num_rows == built.rows[name]
    assert built.rows["holidays_cn"] > 80


def test_staging_keeps_the_contract_and_the_latest_version(built: DbtSummary, lake: Settings) -> None:
    std = load_standard(lake.schemas_root)
    spec = std.table("enterprises")
    table = DeltaTable(str(lake.table_path("silver", "stg_objects__enterprises")))
    schema = pa.schema(table.schema().to_arrow())
    bronze = bronze_arrow_schema(std, "enterprises")
    match_keys = ["uscc_match_key", "party_name_match_key", "domicile_match_key"]
    expected = [f.name for f in spec.fields] + [f.name for f in std.token_fields(spec)] + STAGING_LINEAGE
    assert schema.names == expected + match_keys
    for name in expected:
        assert schema.field(name).type == bronze.field(name).type, name
    assert all(schema.field(name).type == pa.string() for name in match_keys)
    # column comments come from the generated YAML (Chinese label first)
    assert schema.field("uscc").metadata[b"comment"].decode().startswith("统一社会信用代码")
    by_id = {r["entity_pripid"]: r for r in table.to_pyarrow_table().to_pylist()}
    assert sorted(by_id) == ["P-A", "P-B"]
    assert by_id["P-A"]["registration_status_code"] == "4"  # day 2's correction wins
    assert by_id["P-A"]["uscc"] == USCC_A and by_id["P-A"]["logical_date"] == DAY2
    # the matching keys entity resolution reads, computed here once per delivered row
    assert by_id["P-A"]["uscc_match_key"] == USCC_A
    assert by_id["P-A"]["party_name_match_key"] == "武汉甲乙食品有限公司"
    assert by_id["P-A"]["domicile_match_key"] == "武汉市江岸区解放大道1号"
    inspections = {r["inspection_code"]: r for r in rows(lake, "silver", "stg_actions__inspections")}
    assert inspections["JC-2"]["uscc"] == USCC_A_TYPO and inspections["JC-2"]["uscc_match_key"] is None
    assert inspections["JC-2"]["party_name_match_key"] == "武汉甲乙食品有限公司"  # full-width spaces gone
    assert (
        inspections["JC-3"]["uscc_match_key"] is None
        and inspections["JC-3"]["operating_address_match_key"] is None
    )


def test_entities_resolve_by_uscc_then_name_and_region(built: DbtSummary, lake: Settings) -> None:
    inspections = {r["inspection_code"]: r for r in rows(lake, "gold", "fct_inspections")}
    entities = {r["entity_key"]: r for r in rows(lake, "gold", "dim_entities")}
    a, typo, shop = inspections["JC-1"], inspections["JC-2"], inspections["JC-3"]
    assert a["entity_match_reason"] == "uscc"
    assert typo["entity_key"] == a["entity_key"] and typo["entity_match_reason"].startswith("name_region")
    assert shop["entity_match_reason"] == "name_region_only" and shop["entity_key"] != a["entity_key"]
    assert entities[a["entity_key"]]["uscc"] == USCC_A
    assert entities[a["entity_key"]]["entity_type"] == "enterprise"
    assert entities["0000000000000000"]["entity_type"] == "unknown"
    # orphans are flagged, not dropped; the random inspection keeps its plan
    assert not a["is_orphan_checklist"] and typo["is_orphan_checklist"] and typo["is_random_inspection"]
    assert a["checklist_name"] == "食品生产日常检查" and a["item_name"] == "食品生产监督检查"


def test_complaints_are_deduplicated_across_channels(built: DbtSummary, lake: Settings) -> None:
    complaints = rows(lake, "gold", "fct_complaints")
    by_orders = {
        (r["hotline_work_order_nos"], r["consumer_complaint_nos"], r["national_dispatch_ids"])
        for r in complaints
    }
    assert by_orders == {("W1", "C1", "N1"), ("W2", "C2", ""), ("", "C3", "")}
    first = next(r for r in complaints if r["hotline_work_order_nos"] == "W1")
    assert first["channel_codes"] == "12315,12345,NATIONAL" and first["source_record_count"] == 3
    assert first["is_handled_on_time"] and first["is_satisfied"]
    c1 = next(r for r in complaints if r["consumer_complaint_nos"] == "C3")
    assert c1["working_days_to_close"] is None
    events = rows(lake, "gold", "fct_complaint_events")
    assert {e["complaint_id"] for e in events} == {first["complaint_id"]}
    assert sorted(e["event_type_code"] for e in events) == ["CLOSED", "DISPATCHED", "REGISTERED"]
    # no personal data in the mart: tokens only
    std = load_standard(lake.schemas_root)
    personal = {
        f.name for t in std.tables.values() for f in t.fields if f.pii in ("name", "phone", "id_number")
    }
    assert not personal & set(complaints[0])


def test_supervision_chain_is_time_ordered_per_entity(built: DbtSummary, lake: Settings) -> None:
    chain = [r for r in rows(lake, "gold", "rpt_supervision_chain") if r["uscc"] == USCC_A]
    chain.sort(key=lambda r: r["chain_seq"])
    kinds = [r["event_kind"] for r in chain]
    assert kinds[0] == "registration"
    assert {"inspection", "random_inspection", "complaint"} <= set(kinds)
    times = [r["event_at"] for r in chain]
    assert None not in times and times == sorted(times)
    inspection = next(r for r in chain if r["event_id"] == "JC-1")
    assert inspection["item_name"] == "食品生产监督检查"
    assert inspection["officer_organisation_name"] == "江岸区市场监督管理局"


def test_a_model_whose_inputs_are_unchanged_is_kept_and_a_full_refresh_adds_a_version(
    built: DbtSummary, spark: SparkSession, lake: Settings
) -> None:
    path = lake.table_path("gold", "dim_entities")
    before = DeltaTable(str(path)).version()
    assert "inputs" in json.loads(DeltaTable(str(path)).history(1)[0]["userMetadata"])  # its fingerprint
    again = run_dbt(["build"], lake, select=["dim_entities"], spark=spark)
    assert again.success and again.models == {"dim_entities": "success"}
    assert again.kept == ("dim_entities",)  # same SQL, same input versions: not run, no commit
    assert DeltaTable(str(path)).version() == before
    refreshed = run_dbt(["build"], lake, select=["dim_entities"], full_refresh=True, spark=spark)
    assert refreshed.success and refreshed.kept == ()
    table = DeltaTable(str(path))
    assert table.version() == before + 1
    history = table.history()
    assert history[0]["operation"] == "CREATE OR REPLACE TABLE"  # the rebuild
    assert history[1]["operation"] == "CREATE TABLE"  # the first build created it
    assert table.metadata().description.startswith("监管对象维表")
    old = DeltaTable(str(path), version=before).to_pyarrow_table()
    assert old.num_rows == table.to_pyarrow_table().num_rows
    # analysts query the same table by name
    assert spark.sql("select count(*) from global_temp.dim_entities").first()[0] == old.num_rows


def test_a_staging_model_without_a_bronze_table_is_not_rewritten_every_night(
    built: DbtSummary, spark: SparkSession, lake: Settings
) -> None:
    model = "stg_actions__penalties"  # no penalties were delivered: its source is an empty view
    assert not LakeTable(lake.table_path("bronze", "penalties")).exists()
    table = DeltaTable(str(lake.table_path("silver", model)))
    assert "inputs" in json.loads(table.history(1)[0]["userMetadata"])  # fingerprinted, no bronze version
    again = run_dbt(["build"], lake, select=[model], spark=spark)
    assert again.success and again.kept == (model,)
    assert DeltaTable(str(lake.table_path("silver", model))).version() == table.version()


def test_a_model_is_rebuilt_when_an_input_or_a_var_in_its_sql_changes(
    built: DbtSummary, spark: SparkSession, lake: Settings
) -> None:
    def versions() -> dict[str, int]:
        return {
            name: DeltaTable(str(lake.table_path(layer, name))).version()
            for layer, name in (
                ("silver", "int_complaints_unioned"),
                ("gold", "fct_complaints"),
                ("gold", "rpt_supervision_monthly"),
            )
        }

    selection = ["int_complaints_unioned", "fct_complaints", "rpt_supervision_monthly"]
    first = versions()
    same_day = run_dbt(
        ["build"], lake, logical_date=DAY2 + dt.timedelta(days=30), select=selection, spark=spark
    )
    assert same_day.success and set(same_day.kept) == set(selection) and versions() == first
    # fct_complaints measures overdue at the logical date (a var rendered into its SQL): a new day rebuilds it,
    # and the monthly report reading it; int_complaints_unioned does not use the date and is kept
    next_day = run_dbt(
        ["build"], lake, logical_date=DAY2 + dt.timedelta(days=31), select=selection, spark=spark
    )
    assert next_day.success and next_day.kept == ("int_complaints_unioned",)
    second = versions()
    assert second["int_complaints_unioned"] == first["int_complaints_unioned"]
    assert second["fct_complaints"] == first["fct_complaints"] + 1
    assert second["rpt_supervision_monthly"] == first["rpt_supervision_monthly"] + 1


def test_an_incremental_day_merges_new_and_redelivered_events(
    built: DbtSummary, spark: SparkSession, lake: Settings
) -> None:
    std = load_standard(lake.schemas_root)
    path = str(lake.table_path("gold", "fct_complaint_events"))
    before = DeltaTable(path).version()
    day3 = DAY2 + dt.timedelta(days=1)
    event = {"source_channel_code": "12345", "source_order_no": "W1", "recorded_at": at(day3, 9)}
    write_bronze(
        lake,
        std,
        "complaint_events",
        [
            # a redelivery of E3 with a corrected time, and a new callback event
            {**event, "event_id": "E3", "event_seq": 3, "event_type_code": "CLOSED", "event_at": at(day3, 9)},
            {
                **event,
                "event_id": "E4",
                "event_seq": 4,
                "event_type_code": "CALLBACK",
                "event_at": at(day3, 10),
            },
        ],
        day=day3,
    )
    again = run_dbt(
        ["build"],
        lake,
        logical_date=day3,
        select=["stg_complaints__complaint_events", "fct_complaint_events"],
        spark=spark,
    )
    assert again.success, again.as_dict()
    table = DeltaTable(path)
    events = {r["event_id"]: r for r in table.to_pyarrow_table().to_pylist()}
    assert sorted(events) == ["E1", "E2", "E3", "E4"]  # merged by key: no duplicate E3
    assert events["E3"]["event_at"] == at(day3, 9) and events["E4"]["event_type_code"] == "CALLBACK"
    assert table.version() == before + 1
    assert table.history(1)[0]["operation"] == "WRITE"  # the merge commit, not a table replacement


def test_registration_status_history_is_scd2_and_recomputed_for_changed_enterprises(
    built: DbtSummary, spark: SparkSession, lake: Settings
) -> None:
    def history() -> dict[str, list[tuple[Any, ...]]]:
        found: dict[str, list[tuple[Any, ...]]] = {}
        for r in sorted(rows(lake, "gold", "dim_registration_status_history"), key=lambda r: r["version_no"]):
            interval = (r["version_no"], r["registration_status_code"], r["valid_from"], r["valid_to"])
            found.setdefault(r["entity_pripid"], []).append((*interval, r["is_current"]))
        return found

    # day 2's correction (delivered twice) closes A's first interval; B never changed
    assert history() == {
        "P-A": [(1, "1", at(DAY1), at(DAY2), False), (2, "4", at(DAY2), None, True)],
        "P-B": [(1, "1", at(DAY1), None, True)],
    }
    keys = {
        r["entity_pripid"]: r["entity_key"] for r in rows(lake, "gold", "dim_registration_status_history")
    }
    entities = {r["entity_key"]: r for r in rows(lake, "gold", "dim_entities")}
    assert entities[keys["P-A"]]["uscc"] == USCC_A

    # Day 3 brings a late version of A (revoked between its two known versions): A's history is recomputed
    # in time order; B's interval is unchanged.
    std = load_standard(lake.schemas_root)
    path = str(lake.table_path("gold", "dim_registration_status_history"))
    before = DeltaTable(path).version()
    day3 = DAY2 + dt.timedelta(days=1)
    late = {
        "entity_pripid": "P-A",
        "uscc": USCC_A,
        "party_name": "武汉甲乙食品有限公司",
        "region_code": "420102",
    }
    write_bronze(
        lake,
        std,
        "enterprises",
        [{**late, "registration_status_code": "2", "updated_at": at(DAY1, 15)}],
        day=day3,
    )
    again = run_dbt(
        ["build"],
        lake,
        logical_date=day3,
        select=[
            "stg_objects__enterprises",
            "stg_objects__enterprises_versions",
            "dim_registration_status_history",
        ],
        spark=spark,
    )
    assert again.success, again.as_dict()
    # incremental staging: the late, older version joins the versions but does not replace the latest one
    latest = {r["entity_pripid"]: r for r in rows(lake, "silver", "stg_objects__enterprises")}
    assert latest["P-A"]["registration_status_code"] == "4" and latest["P-A"]["logical_date"] == DAY2
    assert history() == {
        "P-A": [
            (1, "1", at(DAY1), at(DAY1, 15), False),
            (2, "2", at(DAY1, 15), at(DAY2), False),
            (3, "4", at(DAY2), None, True),
        ],
        "P-B": [(1, "1", at(DAY1), None, True)],
    }
    table = DeltaTable(path)
    assert table.version() == before + 1 and table.history(1)[0]["operation"] == "WRITE"


def staged(settings: Settings, model: str) -> list[tuple[Any, ...]]:
    """A staging table's rows, sorted (to compare an incremental build with a full one)."""
    table = DeltaTable(str(settings.table_path("silver", model))).to_pyarrow_table()
    return sorted(tuple(str(v) for v in row.values()) for row in table.to_pylist())


def test_staging_is_incremental_over_the_bronze_change_feed_and_equals_a_full_rebuild(
    built: DbtSummary, spark: SparkSession, lake: Settings
) -> None:
    std = load_standard(lake.schemas_root)
    model = "stg_objects__enterprises"
    path = str(lake.table_path("silver", model))
    bronze = LakeTable(lake.table_path("bronze", "enterprises"))
    day4 = DAY2 + dt.timedelta(days=2)
    base = {"uscc": USCC_B, "party_name": "武汉丙丁药房", "region_code": "420103"}
    write_bronze(
        lake,
        std,
        "enterprises",
        [
            # a newer version of B, a new enterprise C, and an older late version of A (must not win)
            {**base, "entity_pripid": "P-B", "registration_status_code": "2", "updated_at": at(day4)},
            {
                **base,
                "entity_pripid": "P-C",
                "uscc": None,
                "party_name": "武汉戊己超市",
                "updated_at": at(day4),
            },
            {
                **base,
                "entity_pripid": "P-A",
                "uscc": USCC_A,
                "registration_status_code": "3",
                "updated_at": at(DAY1, 9),
            },
        ],
        day=day4,
    )
    selection = [model, f"{model}_versions"]
    before = DeltaTable(path).version()
    again = run_dbt(["build"], lake, logical_date=day4, select=selection, spark=spark)
    assert again.success, again.as_dict()
    table = DeltaTable(path)
    assert table.version() == before + 1
    commit = table.history(1)[0]
    assert commit["operation"] == "WRITE"  # built from the feed (overwrite), not CREATE OR REPLACE
    assert json.loads(commit["userMetadata"]) == {"bronze_version": bronze.version()}
    latest = {r["entity_pripid"]: r for r in rows(lake, "silver", model)}
    assert sorted(latest) == ["P-A", "P-B", "P-C"]
    assert latest["P-A"]["registration_status_code"] == "4"  # still day 2's version
    assert latest["P-B"]["registration_status_code"] == "2" and latest["P-C"]["logical_date"] == day4
    incremental = {name: staged(lake, name) for name in selection}

    # Nothing new in bronze: the build leaves the table as it is.
    assert run_dbt(["build"], lake, logical_date=day4, select=selection, spark=spark).success
    assert DeltaTable(path).version() == before + 1

    # A full rebuild gives the same rows.
    full = run_dbt(["build"], lake, logical_date=day4, select=selection, full_refresh=True, spark=spark)
    assert full.success, full.as_dict()
    assert DeltaTable(path).history(1)[0]["operation"] == "CREATE OR REPLACE TABLE"
    assert {name: staged(lake, name) for name in selection} == incremental


def test_a_versions_model_merges_only_the_files_holding_its_keys(
    built: DbtSummary, spark: SparkSession, lake: Settings
) -> None:
    std = load_standard(lake.schemas_root)
    model = "stg_objects__enterprises_versions"  # incremental_strategy merge (lake_merge)
    table = LakeTable(lake.table_path("silver", model))
    base = {"uscc": None, "region_code": "420103", "entity_pripid": "P-D"}
    day5, day6 = DAY2 + dt.timedelta(days=3), DAY2 + dt.timedelta(days=4)

    def build(day: dt.date) -> set[str]:
        before = {entry.path for entry in table.files()}
        # every table is worth a look at its files (by default a small single-file table is just rewritten)
        summary = run_dbt(["build"], lake, logical_date=day, select=[model], spark=spark,
                          extra_vars={"lake_merge_min_bytes": 0})  # fmt: skip
        assert summary.success, summary.as_dict()
        return before

    # New grains only: an append — every earlier file stays, one file is added.
    write_bronze(lake, std, "enterprises", [
        {**base, "party_name": "武汉庚辛商行", "updated_at": at(day5)},
    ], day=day5)  # fmt: skip
    old_files = build(day5)
    files = {entry.path for entry in table.files()}
    assert old_files < files and len(files - old_files) == 1
    (d_file,) = files - old_files

    # A corrected redelivery of that version (a later delivery wins) and a new version: only the file holding
    # the redelivered grain is rewritten.
    write_bronze(lake, std, "enterprises", [
        {**base, "party_name": "武汉庚辛商行（更正）", "updated_at": at(day5)},
        {**base, "party_name": "武汉庚辛商行", "registration_status_code": "2", "updated_at": at(day6)},
    ], day=day6)  # fmt: skip
    build(day6)
    after = {entry.path for entry in table.files()}
    assert d_file not in after and old_files < after and len(after - old_files) == 1
    versions = {r["updated_at"]: r for r in rows(lake, "silver", model) if r["entity_pripid"] == "P-D"}
    assert len(versions) == 2
    assert sorted(r["party_name"] for r in versions.values()) == ["武汉庚辛商行", "武汉庚辛商行(更正)"]
    # match keys are for entity resolution, which reads the latest versions only
    assert all("party_name_match_key" not in r for r in versions.values())
    assert table.history(1)[0].operation == "WRITE"
    incremental = staged(lake, model)
    full = run_dbt(["build"], lake, logical_date=day6, select=[model], full_refresh=True, spark=spark)
    assert full.success, full.as_dict()
    assert staged(lake, model) == incremental


def test_staging_is_rebuilt_when_bronze_rows_were_deleted(
    built: DbtSummary, spark: SparkSession, lake: Settings
) -> None:
    std = load_standard(lake.schemas_root)
    model = "stg_complaints__hotline_work_orders"
    bronze = LakeTable(lake.table_path("bronze", "hotline_work_orders"))
    keys = {r["work_order_no"] for r in rows(lake, "silver", model)}
    gone = sorted(keys)[0]
    bronze.delete(f"work_order_no = '{gone}'")  # e.g. a rerun that replaced a batch without this row
    exposed = expose_lake_tables(spark, lake, std)
    changes = expose_bronze_changes(spark, lake, std, exposed.bronze_versions)
    assert model not in changes.pending
    assert "deleted or rewrote rows" in changes.rebuilt[model] and model in changes.replaced
    # fct_complaint_events is incremental and reads the work orders through the complaint dedup: an increment
    # would keep what the gone order linked, so it is rebuilt in full too
    downstream = ["int_complaints_unioned", "int_complaints_deduplicated", "fct_complaint_events"]
    again = run_dbt(["build"], lake, select=[model, *downstream], spark=spark)
    assert again.success, again.as_dict()
    for layer, name in (("silver", model), ("gold", "fct_complaint_events")):
        assert DeltaTable(str(lake.table_path(layer, name))).history(1)[0]["operation"] == (
            "CREATE OR REPLACE TABLE"
        )
    assert {r["work_order_no"] for r in rows(lake, "silver", model)} == keys - {gone}
