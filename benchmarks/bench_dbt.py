"""Benchmark of the marts build (``dbt build``, embedded Spark): a first full build and the following days.

    .venv/bin/python benchmarks/bench_dbt.py --scale small --days 2
    .venv/bin/python benchmarks/bench_dbt.py --lakehouse ./lakehouse --landing ./landing --dates 2026-11-05
    # an existing lakehouse whose day 1 is ingested: build it, then ingest and build day 2 (the nightly case)
    .venv/bin/python benchmarks/bench_dbt.py --lakehouse L --landing D --dates 2026-11-02 2026-11-03 --ingested 2026-11-02

It simulates ``--scale`` × ``--days`` feeds into a scratch folder (or uses an existing lakehouse and landing
zone), then per day ingests the day's files into bronze and runs ``dbt build`` (seeds, every model, every
data test; unit tests are left to CI) for that logical date, exactly as ``transform__marts`` does. The first
build of a lakehouse without marts builds everything from scratch; later days are the nightly case — the
staging models standardise only the bronze rows delivered since (the bronze change feed) and rank them with
their current rows, the incremental marts (fct_complaint_events, the SCD2 histories) merge only what is new,
the rest are rebuilt unless their SQL and inputs are those of their last build (then they are kept as they
are). ``--rerun-last`` builds the last day once more (a retry: nothing new); ``--full-refresh-last`` adds a
``--full-refresh`` build after the last day: the full cost of the same data. ``--rewrite-floor`` then reads
back every data file the build wrote (silver and gold) and writes it again through the connector: the cost of
writing that output with no computation, the floor of any build that has to write it. Per build it prints wall time,
models/tests, how many staging models were built incrementally / left unchanged / rebuilt, how many other
models were kept, and the slowest nodes (from dbt's run_results.json); the ingestion time is printed apart.
Peak RSS of the driver and the Spark JVM is sampled.

A script, not a test: a small day takes minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from peak_memory import PeakMemory  # benchmarks/peak_memory.py (this script's folder)

from jianguan.ingest.run import ingest_date
from jianguan.lake import FileEntry, LakeTable, list_tables
from jianguan.marts.dbt_run import NIGHTLY_EXCLUDED_RESOURCES, run_dbt
from jianguan.settings import Settings
from jianguan.sim.config import SCALES, SimConfig
from jianguan.sim.engine import simulate
from jianguan.spark import spark_session

START = date(2026, 11, 2)


def bronze_rows(settings: Settings) -> int:
    bronze = settings.resolved_lakehouse_root / "bronze"
    return sum(LakeTable(p).count() for p in sorted(bronze.iterdir()) if (p / "_delta_log").is_dir())


def slowest(target_dir: str, count: int = 8) -> list[tuple[str, float]]:
    results = json.loads((Path(target_dir) / "run_results.json").read_text(encoding="utf-8"))["results"]
    timed = [(r["unique_id"].split(".", 2)[-1], float(r["execution_time"])) for r in results]
    return sorted(timed, key=lambda item: -item[1])[:count]


def model_files(settings: Settings) -> dict[str, list[FileEntry]]:
    """The data files of every silver and gold table: what a build writes."""
    tables = list_tables(settings.resolved_lakehouse_root, layers=("silver", "gold"))
    return {info.name: LakeTable(info.path).files() for info in tables}


def rewrite_floor(spark: Any, before: dict[str, list[FileEntry]], settings: Settings, scratch: Path) -> float:
    """Read back the files the build wrote and write them again through the connector; print the figures.

    Copy-on-write has no cheaper way to produce them (no deletion vectors: a file holding one changed row is
    rewritten whole), so this is the floor of the build's writes, without its SQL, data tests or dbt.
    """
    began = time.perf_counter()
    per_table: list[tuple[float, str]] = []
    rows = size = 0
    for name, files in model_files(settings).items():
        kept = {entry.path for entry in before.get(name, [])}
        written = [entry for entry in files if entry.path not in kept]
        if not written:
            continue
        started = time.perf_counter()
        frame = spark.read.parquet(*(entry.path for entry in written))
        frame.write.format("delta").mode("overwrite").save(str(scratch / name))
        shutil.rmtree(scratch / name)
        per_table.append((time.perf_counter() - started, name))
        rows += sum(entry.num_records or 0 for entry in written)
        size += sum(entry.size for entry in written)
    seconds = time.perf_counter() - began
    slowest_copies = ", ".join(f"{name} {s:.1f}s" for s, name in sorted(per_table, reverse=True)[:6])
    print(f"  rewrite floor: the build wrote {rows:,} rows ({size / 2**20:,.0f} MiB) in {len(per_table)} tables; "
          f"reading them back and writing them again took {seconds:.0f} s (slowest: {slowest_copies})")  # fmt: skip
    return seconds


def build(settings: Settings, spark: Any, day: date, kind: str, *, full_refresh: bool = False) -> float:
    """One ``dbt build`` as ``transform__marts`` runs it, and its figures; returns its wall time."""
    with PeakMemory() as memory:
        summary = run_dbt(
            ["build"],
            settings,
            logical_date=day,
            full_refresh=full_refresh,
            spark=spark,
            exclude_resource_types=NIGHTLY_EXCLUDED_RESOURCES,
        )
    print(f"  dbt build, {kind}: {'green' if summary.success else 'FAILED'} in {summary.seconds:.0f} s — "
          f"{len(summary.models)} models, {len(summary.seeds)} seeds, {summary.tests_passed} tests passed, "
          f"{summary.tests_failed} failed; peak RSS driver {memory.driver_mib:,.0f} MiB, JVM {memory.jvm_mib:,.0f} MiB")  # fmt: skip
    staging = summary.as_dict()["staging"]
    rebuilt = len(staging["rebuilt"]) if not full_refresh else "all"
    print(f"  staging: {len(staging['incremental'])} built from the bronze change feed, "
          f"{len(staging['unchanged'])} unchanged, {rebuilt} rebuilt in full")  # fmt: skip
    others = [name for name in [*summary.models, *summary.seeds] if not name.startswith("stg_")]
    kept = [name for name in others if name in summary.kept]
    print(f"  other models and seeds left at their version (kept, or an empty increment): {len(kept)} of {len(others)}"
          + (f" ({', '.join(kept)})" if 0 < len(kept) <= 12 else ""))  # fmt: skip
    print("  slowest: " + ", ".join(f"{name} {s:.1f}s" for name, s in slowest(summary.target_dir)))
    gold = {n: summary.rows[n] for n in ("dim_entities", "fct_complaints", "rpt_supervision_chain")
            if n in summary.rows}  # fmt: skip
    print("  rows: " + ", ".join(f"{name} {rows:,}" for name, rows in gold.items()))
    return summary.seconds


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", default="small", choices=sorted(SCALES))
    parser.add_argument("--days", type=int, default=2)
    parser.add_argument("--seed", type=int, default=20261102)
    parser.add_argument("--lakehouse", type=Path, default=None, help="existing lakehouse (no simulation)")
    parser.add_argument("--landing", type=Path, default=None, help="landing zone of --lakehouse")
    parser.add_argument("--dates", type=date.fromisoformat, nargs="*", default=None, help="dates to run")
    parser.add_argument("--ingested", type=date.fromisoformat, nargs="*", default=[],
                        help="dates of --dates already in bronze: built, not ingested again")  # fmt: skip
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    parser.add_argument("--driver-memory", default="4g")
    parser.add_argument("--full-refresh-last", action="store_true", help="then rebuild everything in full")
    parser.add_argument("--rerun-last", action="store_true",
                        help="then build the last day again (a retry: nothing new)")  # fmt: skip
    parser.add_argument("--rewrite-floor", action="store_true",
                        help="after each build, write again what it wrote (the floor of its writes)")  # fmt: skip
    args = parser.parse_args()

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench_dbt_"))
    try:
        if args.lakehouse is None:
            settings = Settings(lakehouse_root=workdir / "lakehouse", landing_root=workdir / "landing",
                                spark_driver_memory=args.driver_memory)  # fmt: skip
            began = time.perf_counter()
            simulate(SimConfig(scale=SCALES[args.scale], seed=args.seed, days=args.days, start=START,
                               province_code="420000", landing_root=settings.landing_root,
                               truth_root=workdir / "truth", schemas_root=settings.schemas_root))  # fmt: skip
            print(f"simulated {args.scale} × {args.days} day(s) in {time.perf_counter() - began:.0f} s")
            dates = [START + timedelta(days=n) for n in range(args.days)]
        else:
            settings = Settings(lakehouse_root=args.lakehouse, landing_root=args.landing or Path("landing"),
                                spark_driver_memory=args.driver_memory)  # fmt: skip
            dates = args.dates or []
        spark = spark_session(settings, app_name="bench-dbt")

        def measured(day: date, kind: str, *, full_refresh: bool = False) -> None:
            before = model_files(settings) if args.rewrite_floor else {}
            seconds = build(settings, spark, day, kind, full_refresh=full_refresh)
            if args.rewrite_floor:
                floor = rewrite_floor(spark, before, settings, workdir / "rewrite_floor")
                print(f"  the floor is {floor / seconds:.0%} of this build")

        for number, day in enumerate(dates, start=1):
            began = time.perf_counter()
            if day in args.ingested:
                print(f"day {number} ({day}): already ingested; bronze {bronze_rows(settings):,} rows")
            else:
                ingested = ingest_date(settings, day).totals()
                print(f"day {number} ({day}): ingested {ingested.get('rows_loaded', 0):,} rows from "
                      f"{ingested.get('files', 0)} files in {time.perf_counter() - began:.0f} s; "
                      f"bronze now {bronze_rows(settings):,} rows")  # fmt: skip
            first = not (settings.resolved_lakehouse_root / "gold").is_dir()
            measured(day, "first (full) build" if first else "nightly build")
        if args.rerun_last and dates:
            measured(dates[-1], "rerun of the same day")
        if args.full_refresh_last and dates:
            measured(dates[-1], "full refresh of the same data", full_refresh=True)
        spark.stop()
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
