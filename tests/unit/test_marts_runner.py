"""The dbt runner's pure parts and the generated staging layer (no JVM, no dbt run)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pytest
import yaml

from jianguan.lake import LakeTable
from jianguan.marts.dbt_run import (
    DBT_PROJECT_DIR,
    NIGHTLY_EXCLUDED_RESOURCES,
    DbtSummary,
    covered_bronze_version,
    dbt_args,
    plan_bronze_changes,
)
from jianguan.settings import Settings
from jianguan.spec.loader import load_standard
from jianguan.spec.render.dbt_sources import (
    VERSIONS_SUFFIX,
    render_all,
    staging_arrow_schema,
    staging_name,
    staging_sql_path,
)
from jianguan.spec.render.schemas import bronze_arrow_schema


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # dbt_threads given: a JIANGUAN_DBT_THREADS in the developer's environment must not change these arguments
    return Settings(
        lakehouse_root=tmp_path / "lake",
        dbt_thrift_host="sts.example",
        dbt_thrift_port=10001,
        dbt_threads=None,
    )


def test_dbt_args_pin_project_target_artifacts_and_vars(settings: Settings) -> None:
    args = dbt_args(
        ["build"], settings, logical_date=dt.date(2026, 11, 2), select=["dim_entities+"], full_refresh=True
    )
    assert args[0] == "build"
    pairs = dict(zip(args[1:-5:2], args[2:-5:2], strict=True))
    assert pairs["--project-dir"] == pairs["--profiles-dir"] == str(DBT_PROJECT_DIR)
    assert pairs["--target"] == "local"
    lake = settings.resolved_lakehouse_root
    assert pairs["--target-path"] == str(lake / "_dbt" / "target")
    assert pairs["--log-path"] == str(lake / "_dbt" / "logs")
    variables = json.loads(pairs["--vars"])
    assert variables == {
        "lakehouse_root": str(lake),
        "logical_date": "2026-11-02",
        "thrift_host": "sts.example",
        "thrift_port": 10001,
    }
    # a selection runs a test only when everything it reads is selected (accepted-codes tests read a seed)
    assert args[-5:] == ["--select", "dim_entities+", "--indirect-selection", "buildable", "--full-refresh"]


def test_the_nightly_build_leaves_unit_tests_to_ci(settings: Settings) -> None:
    args = dbt_args(["build"], settings, exclude_resource_types=NIGHTLY_EXCLUDED_RESOURCES)
    assert args[-2:] == ["--exclude-resource-types", "unit_test"]
    assert "--exclude-resource-types" not in dbt_args(["build"], settings)


def test_cluster_target_comes_from_settings(tmp_path: Path) -> None:
    args = dbt_args(["run"], Settings(lakehouse_root=tmp_path, dbt_target="cluster"))
    assert args[args.index("--target") + 1] == "cluster"
    assert "--select" not in args and "--full-refresh" not in args


def test_threads_come_from_the_profile_unless_set(tmp_path: Path) -> None:
    assert "--threads" not in dbt_args(["build"], Settings(lakehouse_root=tmp_path, dbt_threads=None))
    args = dbt_args(["build"], Settings(lakehouse_root=tmp_path, dbt_threads=3))
    assert args[args.index("--threads") + 1] == "3"


def test_summary_counts_tests_and_lists_failures() -> None:
    summary = DbtSummary(
        command="build",
        success=False,
        seconds=1.0,
        models={"a": "success", "b": "error"},
        tests={"t1": "pass", "t2": "fail", "t3": "pass"},
    )
    data = summary.as_dict()
    assert (summary.tests_passed, summary.tests_failed) == (2, 1)
    assert data["models_built"] == ["a"] and data["models_failed"] == ["b"] and data["failed_tests"] == ["t2"]


def test_every_bronze_table_has_one_generated_staging_model() -> None:
    std = load_standard(Settings().schemas_root)
    rendered = render_all(std, DBT_PROJECT_DIR)
    for table in std.tables.values():
        path = staging_sql_path(DBT_PROJECT_DIR, table.library, table.name)
        assert path in rendered
        assert f"stage_bronze('bronze_{table.library}', '{table.name}')" in rendered[path]
        models_yml = rendered[
            DBT_PROJECT_DIR / "models" / "staging" / table.library / f"_{table.library}__models.yml"
        ]
        assert f"name: {staging_name(table.library, table.name)}" in models_yml
    # and nothing else under staging is hand-written SQL
    on_disk = {p for p in (DBT_PROJECT_DIR / "models" / "staging").rglob("*.sql")}
    assert on_disk == {p for p in rendered if p.suffix == ".sql"}


def test_sources_carry_what_the_staging_macro_needs() -> None:
    std = load_standard(Settings().schemas_root)
    text = render_all(std, DBT_PROJECT_DIR)[DBT_PROJECT_DIR / "models/staging/objects/_objects__sources.yml"]
    tables = {t["name"]: t for t in yaml.safe_load(text)["sources"][0]["tables"]}
    enterprises = tables["enterprises"]
    assert enterprises["meta"]["business_key"] == ["entity_pripid"]
    assert enterprises["meta"]["order_by"] == "updated_at"
    columns = {c["name"]: c for c in enterprises["columns"]}
    assert columns["legal_representative_name_token"]["meta"]["role"] == "token"
    assert columns["batch_id"]["meta"]["role"] == "lineage"
    assert columns["uscc"]["meta"]["format"] == "uscc"
    assert columns["registration_status_code"]["meta"]["code_list"] == "registration_status"
    assert "role" not in columns["party_name"]["meta"]


def test_staging_models_merge_by_their_grain() -> None:
    std = load_standard(Settings().schemas_root)
    text = render_all(std, DBT_PROJECT_DIR)[DBT_PROJECT_DIR / "models/staging/objects/_objects__models.yml"]
    models = {m["name"]: m for m in yaml.safe_load(text)["models"]}
    delivery = ["logical_date desc", "ingested_at desc", "batch_id desc"]
    # the latest version by the source's time, then by delivery; the versions model keeps every updated_at
    assert models["stg_objects__enterprises"]["config"] == {
        "unique_key": ["entity_pripid"],
        "merge_order": ["`updated_at` desc nulls last", *delivery],
    }
    assert models["stg_objects__enterprises_versions"]["config"] == {
        "unique_key": ["entity_pripid", "updated_at"],
        "merge_order": delivery,
        "incremental_strategy": "merge",
    }
    assert models["stg_objects__enterprises"]["meta"]["bronze_table"] == "enterprises"


def _bronze_row(schema: pa.Schema) -> dict[str, object]:
    """One bronze row: a value in every required column."""
    defaults = {"string": "P-A", "bool": False, "date32[day]": dt.date(2026, 11, 2)}
    row: dict[str, object] = {}
    for field in schema:
        if pa.types.is_timestamp(field.type):
            row[field.name] = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
        elif not field.nullable:
            row[field.name] = defaults.get(str(field.type), 0)
    return row


def _staged(settings: Settings, model: str, covered: int | None, *, columns: int | None = None) -> None:
    """A staging table of enterprises whose last commit records the bronze version it covered (as the
    materialization does); ``columns`` keeps only the first ones (a table built under an older standard)."""
    std = load_standard(settings.schemas_root)
    versions = model.endswith(VERSIONS_SUFFIX)
    schema = pa.schema(list(staging_arrow_schema(std, std.table("enterprises"), versions=versions))[:columns])
    table = LakeTable.create(settings.table_path("silver", model), schema)
    metadata = {"userMetadata": json.dumps({"bronze_version": covered})} if covered is not None else None
    table.append(pa.Table.from_pylist([_bronze_row(schema)], schema=schema), metadata=metadata)


def test_bronze_changes_plan_which_staging_models_merge_and_which_are_rebuilt(settings: Settings) -> None:
    std = load_standard(settings.schemas_root)
    schema = bronze_arrow_schema(std, "enterprises")
    bronze = LakeTable.create(settings.table_path("bronze", "enterprises"), schema)
    rows = pa.Table.from_pylist([_bronze_row(schema)], schema=schema)
    bronze.append(rows)  # version 1
    bronze.append(rows)  # version 2
    versions = {"enterprises": bronze.version()}
    base, history = "stg_objects__enterprises", "stg_objects__enterprises_versions"

    first = plan_bronze_changes(settings, std, versions)
    assert first.feeds == {} and set(first.rebuilt) == {base, history}
    assert "first build" in first.rebuilt[base]
    assert first.replaced == ()  # no rows to lose: the models downstream may stay incremental

    _staged(settings, base, 1)
    _staged(settings, history, 2)
    plan = plan_bronze_changes(settings, std, versions)
    feed = plan.feeds[base]
    assert feed is not None and (feed.uri, feed.first, feed.last, feed.files) == (bronze.uri, 2, 2, 1)
    assert plan.feeds[history] is None  # nothing new: the build leaves it as it is
    assert plan.as_vars() == {
        "lake_bronze_versions": {"enterprises": 2},
        "lake_bronze_changes": {base: 1, history: 0},
        "lake_replaced_staging": [],
    }
    # bronze older than what was built (the table was replaced): rebuild
    assert "older than" in plan_bronze_changes(settings, std, {"enterprises": 0}).rebuilt[history]

    bronze.delete("entity_pripid = 'P-A'")  # version 3, a delete: only a rebuild drops deleted rows
    after_delete = plan_bronze_changes(settings, std, {"enterprises": bronze.version()})
    assert set(after_delete.rebuilt) == {base, history}
    assert "deleted or rewrote rows in version(s) [3]" in after_delete.rebuilt[history]
    # both tables hold rows that may be gone: every incremental model reading them is recomputed in full
    assert after_delete.replaced == (base, history)
    assert after_delete.as_vars()["lake_replaced_staging"] == [base, history]


def test_a_staging_table_without_a_recorded_bronze_version_is_rebuilt(settings: Settings) -> None:
    std = load_standard(settings.schemas_root)
    LakeTable.create(settings.table_path("bronze", "enterprises"), bronze_arrow_schema(std, "enterprises"))
    _staged(settings, "stg_objects__enterprises", None)  # built before versions were recorded
    assert covered_bronze_version(settings, "stg_objects__enterprises") is None
    plan = plan_bronze_changes(settings, std, {"enterprises": 0})
    assert "stg_objects__enterprises" in plan.rebuilt


def test_a_staging_table_with_other_columns_than_the_standard_is_rebuilt(settings: Settings) -> None:
    std = load_standard(settings.schemas_root)
    LakeTable.create(settings.table_path("bronze", "enterprises"), bronze_arrow_schema(std, "enterprises"))
    _staged(settings, "stg_objects__enterprises", 0)
    _staged(settings, "stg_objects__enterprises_versions", 0, columns=5)  # the standard gained columns since
    plan = plan_bronze_changes(settings, std, {"enterprises": 0})
    assert plan.feeds == {"stg_objects__enterprises": None}
    assert "columns differ" in plan.rebuilt["stg_objects__enterprises_versions"]


def test_generated_dbt_files_are_current() -> None:
    from jianguan.settings import PROJECT_ROOT
    from jianguan.spec.generate import drifted_files

    std = load_standard(Settings().schemas_root)
    drifted = [p for p in drifted_files(std, PROJECT_ROOT) if DBT_PROJECT_DIR in p.parents]
    assert drifted == [], "run `jianguan schemas render`"
