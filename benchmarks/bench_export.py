"""Benchmark of the national export: wall time of a full load, an incremental day and an idempotent rerun.

Two modes:

* ``--synthetic ROWS`` (default 100 000): builds every export dataset's silver staging table with ROWS valid
  rows generated from the table specs (masked personal fields, as silver holds them) in a temporary lakehouse,
  exports day 1 (full load), rewrites every table the way a dbt run does (whole-table overwrite) with 2 % of the
  rows updated, 1 % deleted and 1 % new, exports day 2 (incremental, netted change feed), then reruns day 2.
* ``--lakehouse PATH --dates D1 D2 …``: times ``run`` for each date in order against an existing lakehouse
  (after ``jianguan pipeline`` has built the staging tables at ``medium`` scale), export root beside it.

    .venv/bin/python benchmarks/bench_export.py --synthetic 200000
    .venv/bin/python benchmarks/bench_export.py --lakehouse ./lakehouse --dates 2026-11-02 2026-11-03
    .venv/bin/python benchmarks/bench_export.py --synthetic 1000000 --reader driver   # or spark; default auto

Each run prints wall time, records, operations, which readers the datasets had (Spark tasks for sources of at
least ``spark_min_rows`` rows, the driver below) and the peak RSS of the driver process and of the Spark JVM.

A script, not a test: it takes minutes and memory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import shutil
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
from peak_memory import PeakMemory  # benchmarks/peak_memory.py (this script's folder)

from jianguan.export.config import load_config
from jianguan.export.job import run
from jianguan.export.layouts import datasets
from jianguan.lake import LakeTable
from jianguan.settings import PROJECT_ROOT, Settings
from jianguan.spec.loader import Standard, load_standard
from jianguan.spec.render.schemas import bronze_arrow_schema
from jianguan.validate.codes import make_uscc

REGION = "420102"
DAY1, DAY2 = dt.date(2026, 11, 2), dt.date(2026, 11, 3)


def _template(std: Standard, table: str) -> dict[str, Any]:
    """One valid row of ``table`` (values the 质检 accepts)."""
    row: dict[str, Any] = {}
    for spec in std.table(table).fields:
        masked = {"name": "张**", "id_number": "420102********1234", "phone": "138****5678"}
        if spec.pii in masked:
            value: Any = masked[spec.pii]
        elif spec.pii != "none":
            value = "湖北省武汉市江岸区***"
        elif spec.code_list:
            value = std.code_list(spec.code_list).codes[0].code
        elif spec.format in {"uscc", "party_code"}:
            value = make_uscc("9", "1", REGION, "00000001")
        elif spec.format == "item_code":
            value = "42000000000001"
        elif spec.format == "checklist_code":
            value = make_uscc("1", "1", REGION, "00000002") + "10001"
        elif spec.format == "region_code":
            value = REGION
        elif spec.format == "phone":
            value = "02788888888"
        elif spec.format == "url":
            value = "https://example.cn/"
        elif spec.type == "string":
            value = f"{spec.label_zh}示例"[: spec.length or 50]
        elif spec.type == "date":
            value = dt.date(2026, 10, 1)
        elif spec.type == "timestamp":
            value = dt.datetime(2026, 10, 20, 9, 30, tzinfo=dt.UTC)
        elif spec.type == "boolean":
            value = False
        elif spec.type.startswith("decimal"):
            value = Decimal("1")
        elif spec.format == "ratio":
            value = 0.05
        else:
            value = 1
        row[spec.name] = value
    return row


def _column(
    std: Standard, table: str, name: str, ids: range, template: dict[str, Any], tag: str
) -> list[Any]:
    spec = std.table(table).field(name)
    if name in std.table(table).business_key and not spec.code_list:
        if spec.format == "uscc":
            return [make_uscc("9", "1", REGION, f"{i:08d}") for i in ids]
        if spec.format == "item_code":
            return [f"{42000000000000 + i:014d}" for i in ids]
        if spec.format == "checklist_code":
            return [f"{template[name]}{i:08d}" for i in ids]
        if spec.type == "string":
            return [f"{name[:8]}{i:010d}"[-(spec.length or 50) :] for i in ids]
    if name == "updated_at" or (spec.type == "string" and not spec.format and not spec.code_list and spec.pii == "none"
                                and name.endswith(("_name", "_result")) and tag):  # fmt: skip
        return [
            f"{template[name]}{tag}"[: spec.length or 50] if spec.type == "string" else template[name]
            for _ in ids
        ]
    return [template[name]] * len(ids)


def build_table(std: Standard, table: str, ids: range, tag: str = "") -> pa.Table:
    schema = bronze_arrow_schema(std, table)
    template = _template(std, table)
    columns: dict[str, list[Any]] = {
        n: _column(std, table, n, ids, template, tag) for n in std.table(table).field_names
    }
    n = len(ids)
    for token in std.token_fields(std.table(table)):
        columns[token.name] = [f"tk_{i:032x}" for i in ids]
    lineage = {
        "batch_id": f"{table}/bench",
        "source_system": "bench",
        "source_file": f"bench/{table}.csv",
        "source_row_number": 1,
        "content_hash": "0" * 64,
        "row_hash": "0" * 16,
        "logical_date": DAY1,
        "ingested_at": dt.datetime(2026, 11, 2, 20, 0, tzinfo=dt.UTC),
        "row_warnings": None,
    }
    for name, value in lineage.items():
        columns[name] = [value] * n
    return pa.table({f.name: pa.array(columns[f.name], f.type) for f in schema}, schema=schema)


READERS: dict[str, int | None] = {"auto": None, "driver": 2**62, "spark": 0}
"""``--reader`` → ``spark_min_rows`` (auto: the packaged configuration's threshold)."""


def _timed(label: str, settings: Settings, day: dt.date, std: Standard, reader: str) -> dict[str, Any]:
    config = load_config()
    if READERS[reader] is not None:
        config = config.model_copy(update={"spark_min_rows": READERS[reader]})
    with PeakMemory() as rss:
        started = time.perf_counter()
        summary = run(settings, day, std=std, config=config)
        seconds = time.perf_counter() - started
    records = summary["records"]
    used = sorted(set(summary["readers"].values()))
    print(
        f"{label:<22} {seconds:8.1f} s  records={records:>9,}  ops={summary['operations']}  "
        f"holds={summary['holds']}  status={summary['status']}  ({records / seconds:,.0f} records/s)  "
        f"readers={'+'.join(used)}  peak RSS driver {rss.driver_mib:,.0f} MiB, JVM {rss.jvm_mib:,.0f} MiB"
    )
    return summary


def synthetic(rows: int, keep: Path | None, reader: str) -> None:
    std = load_standard(PROJECT_ROOT / "schemas")
    root = keep or Path(tempfile.mkdtemp(prefix="bench_export_"))
    settings = Settings(lakehouse_root=root / "lakehouse", export_root=root / "exports")
    started = time.perf_counter()
    tables = sorted({d.table.name: d for d in datasets(std)}.items())
    for name, dataset in tables:
        data = build_table(std, name, range(rows))
        LakeTable.create(dataset.source_path(settings, "silver"), data.schema, exist_ok=True).overwrite(data)
    print(
        f"built {len(tables)} staging tables × {rows:,} rows in {time.perf_counter() - started:.1f} s ({root})"
    )
    _timed("full load (day 1)", settings, DAY1, std, reader)
    started = time.perf_counter()
    updated, deleted, new = rows // 50, rows // 100, rows // 100
    for name, dataset in tables:
        keep_rows = build_table(std, name, range(updated, rows - deleted))
        changed = build_table(std, name, range(updated), tag="（更新）")
        added = build_table(std, name, range(rows, rows + new))
        LakeTable(dataset.source_path(settings, "silver")).overwrite(
            pa.concat_tables([changed, keep_rows, added])
        )
    print(
        f"rewrote the staging tables (2% updated, 1% deleted, 1% new) in {time.perf_counter() - started:.1f} s"
    )
    _timed("incremental (day 2)", settings, DAY2, std, reader)
    _timed("rerun (day 2)", settings, DAY2, std, reader)
    if keep is None:
        shutil.rmtree(root, ignore_errors=True)


def from_lakehouse(lakehouse: Path, dates: list[dt.date], reader: str) -> None:
    std = load_standard(PROJECT_ROOT / "schemas")
    settings = Settings(lakehouse_root=lakehouse, export_root=lakehouse.parent / "exports_bench")
    for index, day in enumerate(dates):
        _timed(f"{'full' if index == 0 else 'incremental'} {day}", settings, day, std, reader)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--synthetic", type=int, default=100_000, help="rows per staging table")
    parser.add_argument("--keep", type=Path, default=None, help="build in this folder and keep it")
    parser.add_argument("--lakehouse", type=Path, default=None, help="time exports of an existing lakehouse")
    parser.add_argument("--dates", type=dt.date.fromisoformat, nargs="+", default=[])
    parser.add_argument(
        "--reader",
        choices=sorted(READERS),
        default="auto",
        help="force every dataset onto the driver or Spark",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.lakehouse is not None:
        from_lakehouse(args.lakehouse.resolve(), args.dates, args.reader)
    else:
        synthetic(args.synthetic, args.keep, args.reader)


if __name__ == "__main__":
    main()
