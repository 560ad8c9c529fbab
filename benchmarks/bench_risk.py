"""Wall time and peak memory of the risk job (``jianguan.risk.job.run``) for one logical date.

    # over an existing lakehouse whose silver staging tables were built (e.g. `jianguan pipeline` at medium):
    .venv/bin/python benchmarks/bench_risk.py --lakehouse ./lakehouse --date 2026-11-02
    # or over synthetic staging tables shaped like `medium` (600 000 enterprises, 400 000 个体工商户):
    .venv/bin/python benchmarks/bench_risk.py --synthetic 1000000 --workdir /tmp/bench_risk

The synthetic mode writes the staging tables the job reads most (registry, shops and listings, 舆情, 12345 orders,
penalties, inspections, credit lists and ratings, IoT readings, utility signals) with volumes per entity taken from
the simulator's `medium` daily rates × a 90-day history, schema-exact (``bronze_arrow_schema``). Peak memory is the
high-water RSS of this process (driver, Python) and of the Spark JVM, sampled every 0.2 s.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from peak_memory import PeakMemory  # benchmarks/peak_memory.py (this script's folder)

from jianguan.lake import LakeTable
from jianguan.settings import Settings
from jianguan.spec.loader import load_standard
from jianguan.spec.render.schemas import bronze_arrow_schema

PER_ENTITY = {  # rows per legal entity in the staging tables (medium: ~daily rate × 90 days, stocks as is)
    "online_shops": 0.02,
    "online_listings": 0.06,
    "public_opinion": 0.05,
    "hotline_work_orders": 0.3,
    "penalties": 0.05,
    "inspections": 0.2,
    "abnormal_operations": 0.03,
    "credit_ratings": 0.6,
    "iot_readings": 0.5,
    "utility_signals": 0.4,
}


def _uscc(i: np.ndarray) -> list[str]:
    return [f"914201{n:011d}X" for n in i]


def synthetic(settings: Settings, entities: int, day: date, seed: int = 1) -> None:
    """Write synthetic silver staging tables for ``entities`` legal persons."""
    std = load_standard(settings.schemas_root)
    rng = np.random.default_rng(seed)
    stamp = datetime.combine(day, datetime.min.time(), tzinfo=UTC)

    def write(table: str, columns: dict[str, Any], rows: int) -> None:
        schema = pa.schema([f.with_nullable(True) for f in bronze_arrow_schema(std, table)])
        lineage = {"batch_id": ["bench"] * rows, "source_system": ["bench"] * rows, "source_file": ["b"] * rows,
                   "source_row_number": list(range(rows)), "content_hash": ["0"] * rows, "row_hash": ["0"] * rows,
                   "logical_date": [day] * rows, "ingested_at": [stamp] * rows}  # fmt: skip
        data = {n: columns.get(n, lineage.get(n, pa.nulls(rows))) for n in schema.names}
        arrays = [pa.array(data[n], type=schema.field(n).type) if not isinstance(data[n], pa.Array) else
                  data[n].cast(schema.field(n).type) for n in schema.names]  # fmt: skip
        path = settings.table_path("silver", f"stg_{std.table(table).library}__{table}")
        LakeTable.create(path, schema, exist_ok=True).overwrite(pa.Table.from_arrays(arrays, schema=schema))
        print(f"  {table}: {rows:,} rows")

    ids = np.arange(entities)
    industries = np.array(["F5251", "F5254", "Q8411", "L7212", "F5211", "H6210", "C1391", "E4710"])
    write("enterprises", {"entity_pripid": [str(i) for i in ids], "uscc": _uscc(ids),
                          "party_name": [f"湖北某{i}有限公司" for i in ids], "region_code": ["420102"] * entities,
                          "industry_code": list(rng.choice(industries, entities)),
                          "registration_status_code": ["1"] * entities}, entities)  # fmt: skip

    def some(table: str) -> np.ndarray:
        return rng.integers(0, entities, int(entities * PER_ENTITY[table]))

    def days(n: int, back: int = 90) -> list[date]:
        return [day - timedelta(days=int(x)) for x in rng.integers(0, back, n)]

    def times(n: int, back: int = 90) -> list[datetime]:
        return [
            datetime.combine(d, datetime.min.time(), tzinfo=UTC) + timedelta(hours=10) for d in days(n, back)
        ]

    owners = some("online_shops")
    write("online_shops", {"platform_code": ["P1"] * len(owners), "shop_id": [f"S{i}" for i in range(len(owners))],
                           "uscc": _uscc(owners), "is_licence_displayed": list(rng.random(len(owners)) < 0.9),
                           "is_closed": [False] * len(owners)}, len(owners))  # fmt: skip
    n = int(entities * PER_ENTITY["online_listings"])
    write("online_listings", {"platform_code": ["P1"] * n, "listing_id": [f"L{i}" for i in range(n)],
                              "shop_id": [f"S{x}" for x in rng.integers(0, len(owners), n)],
                              "title": list(rng.choice(["阿莫西林胶囊", "保温杯", "电子血压计", "地西泮片"], n)),
                              "category_name": list(rng.choice(["处方药", "日用百货", "医疗器械"], n)),
                              "drug_category_code": list(rng.choice(["00", "10", "24"], n, p=[0.7, 0.29, 0.01])),
                              "is_prescription": list(rng.random(n) < 0.3), "has_prescription_warning": [True] * n,
                              "is_on_sale": [True] * n, "captured_at": times(n)}, n)  # fmt: skip
    who = some("public_opinion")
    write("public_opinion", {"opinion_id": [f"O{i}" for i in range(len(who))], "uscc": _uscc(who),
                             "title": list(rng.choice(["某公司开业", "某医院宣称彻底根治", "保本保息理财"], len(who),
                                                      p=[0.98, 0.01, 0.01])),
                             "sentiment_code": list(rng.choice(["1", "2", "3"], len(who))),
                             "published_at": times(len(who)), "heat_score": [Decimal("10.00")] * len(who)},
          len(who))  # fmt: skip
    who = some("hotline_work_orders")
    write("hotline_work_orders", {"work_order_no": [f"W{i}" for i in range(len(who))], "target_uscc": _uscc(who),
                                  "request_type_code": list(rng.choice(["02", "03"], len(who))),
                                  "title": ["投诉"] * len(who), "content": ["商家不退款"] * len(who),
                                  "accepted_at": times(len(who))}, len(who))  # fmt: skip
    who = some("penalties")
    write("penalties", {"penalty_action_code": [f"P{i}" for i in range(len(who))], "uscc": _uscc(who),
                        "penalty_decision_no": [f"罚{i}" for i in range(len(who))],
                        "penalty_decision_date": days(len(who), 700), "punishment_type_codes": ["02"] * len(who),
                        "fine_amount": [Decimal("5000.00")] * len(who)}, len(who))  # fmt: skip
    who = some("inspections")
    write("inspections", {"inspection_code": [f"I{i}" for i in range(len(who))], "uscc": _uscc(who),
                          "check_date": days(len(who), 360),
                          "check_result_code": list(rng.choice(["01", "05", "09"], len(who)))}, len(who))  # fmt: skip
    who = some("abnormal_operations")
    write("abnormal_operations", {"abnormal_id": [f"A{i}" for i in range(len(who))], "uscc": _uscc(who),
                                  "is_listed": [True] * len(who), "inclusion_date": days(len(who), 900),
                                  "inclusion_reason_code": ["01"] * len(who)}, len(who))  # fmt: skip
    who = some("credit_ratings")
    write("credit_ratings", {"uscc": _uscc(who), "rating_source_code": ["01"] * len(who),
                             "risk_class_code": list(rng.choice(list("ABCD"), len(who))),
                             "rated_date": days(len(who), 60)}, len(who))  # fmt: skip
    who = some("iot_readings")
    write("iot_readings", {"device_id": [f"D{i % 5000}" for i in range(len(who))], "uscc": _uscc(who),
                           "metric_code": ["WATER_COD"] * len(who), "is_exceedance": list(rng.random(len(who)) < 0.03),
                           "data_flag_code": ["N"] * len(who), "measured_at": times(len(who), 30)}, len(who))  # fmt: skip
    who = some("utility_signals")
    write("utility_signals", {"uscc": _uscc(who), "signal_type_code": list(rng.choice(["02", "07"], len(who))),
                              "period_month": [f"{day.year}{day.month:02d}"] * len(who),
                              "signal_value": [Decimal("12.0000")] * len(who),
                              "arrears_period_count": list(rng.integers(1, 5, len(who)))}, len(who))  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lakehouse", type=Path, default=None, help="existing lakehouse with silver staging")
    parser.add_argument("--synthetic", type=int, default=None, help="write synthetic staging for N entities")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/bench_risk"))
    parser.add_argument("--date", type=date.fromisoformat, default=date(2026, 11, 2))
    parser.add_argument("--driver-memory", default="4g")
    args = parser.parse_args()
    root = args.lakehouse or args.workdir / "lakehouse"
    settings = Settings(lakehouse_root=root, spark_driver_memory=args.driver_memory)
    if args.synthetic:
        print(f"writing synthetic staging tables for {args.synthetic:,} entities under {root}")
        synthetic(settings, args.synthetic, args.date)

    from jianguan.risk.job import run
    from jianguan.spark import spark_session

    spark = spark_session(settings, app_name="bench_risk")
    with PeakMemory() as memory:
        started = time.monotonic()
        summary = run(settings, args.date, spark)
        seconds = time.monotonic() - started
    print(f"risk job {args.date}: {seconds:.1f} s wall, {summary['entities']:,} entities, "
          f"{summary['indicator_rows']:,} indicator rows, {summary['score_rows']:,} scores, "
          f"{summary['warnings_open']} open warnings")  # fmt: skip
    print(f"peak RSS: driver (python) {memory.peak_driver / 2**20:,.0f} MiB, "
          f"Spark JVM {memory.peak_jvm / 2**20:,.0f} MiB")  # fmt: skip
    spark.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
