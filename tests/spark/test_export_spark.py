"""The export with its records read and netted by Spark tasks writes exactly the bytes the driver writes.

Two lakehouses receive the same staging tables and the same day-by-day rewrites (as dbt runs make them); one is
exported with every dataset on the driver, the other with every dataset on Spark (``spark_min_rows: 0``); every
export dataset has rows, so every layout's rendering is compared. Each day's folder — data files and manifest — must be byte-identical, across a full load, a day of inserts/updates/
deletes under a whole-table rewrite, and a day whose changes span several commits (one of them undone).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from pyspark.sql import SparkSession
from tests.unit.test_export_job import DAY1, DAY2, DAY3, make_row, ops, read_records, write_stg

from jianguan.export import job as export_job
from jianguan.export.config import load_config
from jianguan.export.layouts import datasets
from jianguan.settings import PROJECT_ROOT, Settings
from jianguan.spec.loader import Standard, cached_standard
from jianguan.spec.render.schemas import bronze_arrow_schema

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def std() -> Standard:
    return cached_standard(PROJECT_ROOT / "schemas")


def lakehouse(root: Path) -> Settings:
    return Settings(
        lakehouse_root=root / "lakehouse", landing_root=root / "landing", export_root=root / "exports"
    )


def folder(settings: Settings, day: dt.date) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((settings.export_root / f"{day:%Y%m%d}").iterdir())}


def test_spark_tasks_export_the_same_bytes_as_the_driver(
    spark: SparkSession, tmp_path: Path, std: Standard
) -> None:
    on_driver, on_spark = lakehouse(tmp_path / "driver"), lakehouse(tmp_path / "spark")
    all_spark = load_config().model_copy(update={"spark_min_rows": 0})

    def export_both(day: dt.date, change: Callable[[Settings], Any]) -> dict[str, Any]:
        for settings in (on_driver, on_spark):
            change(settings)
        by_driver = export_job.run(on_driver, day, std=std)
        by_spark = export_job.run(on_spark, day, spark, std=std, config=all_spark)
        assert set(by_driver["readers"].values()) == {"driver"}
        assert set(by_spark["readers"].values()) == {"spark"}
        assert by_spark["operations"] == by_driver["operations"]
        assert folder(on_spark, day) == folder(on_driver, day)
        return by_spark

    tables = sorted({d.table.name for d in datasets(std)})

    def row(table: str, n: int) -> dict[str, Any]:
        values = make_row(std, table, n)
        for field in bronze_arrow_schema(std, table):  # small decimals (ratios) cannot hold make_row's 100.00
            if pa.types.is_decimal(field.type) and field.type.precision - field.type.scale < 3:
                values[field.name] = Decimal(n).scaleb(-field.type.scale)
        return values

    def seed_all(settings: Settings) -> None:
        """Every dataset's source has rows, so every layout's rendering is compared."""
        for table in tables:
            write_stg(settings, std, table, [row(table, n) for n in range(1, 5)])

    first = export_both(DAY1, seed_all)
    assert first["operations"] == {"i": 4 * len(tables), "u": 0, "d": 0}
    assert len(first["readers"]) == len(datasets(std))

    def day2(settings: Settings) -> None:  # a dbt rewrite: 1 re-ingested unchanged, 2 updated, 3 gone, 5 new
        later = dt.datetime(2026, 11, 3, 8, 0, tzinfo=dt.UTC)
        write_stg(settings, std, "penalties", [
            make_row(std, "penalties", 1, updated_at=later, logical_date=DAY2),
            make_row(std, "penalties", 2, penalty_result="罚款五千元", logical_date=DAY2),
            make_row(std, "penalties", 4),
            make_row(std, "penalties", 5, logical_date=DAY2),
        ])  # fmt: skip

    export_both(DAY2, day2)
    got = ops(read_records(on_spark.export_root / "20261103", "penalties", std))
    assert got == {"penalty_action_code-2": "u", "penalty_action_code-3": "d", "penalty_action_code-5": "i"}

    def day3(
        settings: Settings,
    ) -> None:  # three commits: 5 changed and changed back, 4 changed twice, 1 gone
        rows = {n: make_row(std, "penalties", n) for n in (1, 2, 4, 5)}
        rows[2] = make_row(std, "penalties", 2, penalty_result="罚款五千元")
        edited = {**rows, 5: make_row(std, "penalties", 5, penalty_result="警告"), 4: make_row(std, "penalties", 4, penalty_result="罚款一千元")}  # fmt: skip
        write_stg(settings, std, "penalties", list(edited.values()))
        edited[5] = rows[5]
        edited[4] = make_row(std, "penalties", 4, penalty_result="罚款两千元")
        write_stg(settings, std, "penalties", list(edited.values()))
        del edited[1]
        write_stg(settings, std, "penalties", list(edited.values()))

    export_both(DAY3, day3)
    got = ops(read_records(on_spark.export_root / "20261104", "penalties", std))
    assert got == {"penalty_action_code-1": "d", "penalty_action_code-4": "u"}
    rerun = export_job.run(on_spark, DAY3, spark, std=std, config=all_spark)
    assert rerun["status"] == "unchanged"
