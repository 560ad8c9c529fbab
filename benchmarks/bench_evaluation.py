"""Benchmark of the evaluation job (``jianguan evaluate run``) on simulated data.

    .venv/bin/python benchmarks/bench_evaluation.py --scale medium --days 2
    .venv/bin/python benchmarks/bench_evaluation.py --lakehouse ./lakehouse --date 2026-11-03   # existing data
    .venv/bin/python benchmarks/bench_evaluation.py --landing /data/medium/landing --days 2   # simulated already

Without ``--lakehouse`` it simulates ``--scale`` × ``--days`` feeds into a temporary folder, ingests them into
bronze (``jianguan ingest``) and, for every staging table the job reads that dbt has not built, writes a
**stand-in** ``silver/stg_<library>__<table>``: the bronze rows, latest version per business key (the dbt
staging models also standardise values; the job's cost does not depend on that). It then times the job —
indicators, scores, both gold writes and the report — ``--repeat`` times and prints wall time, row counts and
the input sizes. It is a script, not a test: medium takes minutes.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from pyspark.sql import SparkSession, Window
from pyspark.sql import functions as F

from jianguan.evaluation.job import COLUMNS, run, stg_name
from jianguan.lake import LakeTable
from jianguan.settings import Settings
from jianguan.spark import spark_session
from jianguan.spec.loader import Standard, load_standard

START = date(2026, 11, 2)
log = logging.getLogger("bench_evaluation")


def jianguan(*args: str, env_root: Path) -> None:
    """Run the CLI (simulate, ingest) as the pipeline would."""
    command = [str(Path(sys.executable).with_name("jianguan")), *args]
    env = {
        "JIANGUAN_LAKEHOUSE_ROOT": str(env_root / "lakehouse"),
        "JIANGUAN_LANDING_ROOT": str(env_root / "landing"),
        "JIANGUAN_LOG_LEVEL": "WARNING",
        "PATH": "/usr/bin:/bin",
    }
    subprocess.run(command, check=True, env=env)


def stand_in_staging(spark: SparkSession, std: Standard, settings: Settings) -> dict[str, int]:
    """Latest version per business key of each bronze table the job reads, where no stg table exists yet."""
    rows: dict[str, int] = {}
    for table in COLUMNS:
        target = settings.table_path("silver", stg_name(std, table))
        if LakeTable(target).exists():
            rows[table] = LakeTable(target).count()
            continue
        source = settings.table_path("bronze", table)
        if not LakeTable(source).exists():
            continue
        spec = std.table(table)
        order = [F.col(spec.order_by).desc_nulls_last()] if spec.order_by else []
        latest = Window.partitionBy(*spec.business_key).orderBy(*order, F.col("logical_date").desc())
        frame = (
            spark.read.format("delta")
            .load(str(source))
            .withColumn("_n", F.row_number().over(latest))
            .where("_n = 1")
            .drop("_n")
        )
        frame.write.format("delta").mode("overwrite").save(str(target))
        rows[table] = LakeTable(target).count()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", default="medium", help="simulator scale (tiny, small, medium, large)")
    parser.add_argument("--days", type=int, default=2, help="delivery days to simulate and ingest")
    parser.add_argument("--lakehouse", type=Path, default=None, help="use this lakehouse (no simulation)")
    parser.add_argument(
        "--landing", type=Path, default=None, help="ingest this simulated landing folder (no simulation)"
    )
    parser.add_argument("--date", type=date.fromisoformat, default=None, help="logical date to evaluate")
    parser.add_argument("--repeat", type=int, default=2, help="timed runs (the first includes JVM warm-up)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    workdir = Path(tempfile.mkdtemp(prefix="bench_evaluation_"))
    try:
        if args.lakehouse is None:
            began = time.perf_counter()
            if args.landing is None:
                jianguan("simulate", "--scale", args.scale, "--days", str(args.days), "--start", START.isoformat(),
                         "--landing", str(workdir / "landing"), "--truth", str(workdir / "truth"), env_root=workdir)  # fmt: skip
                print(f"simulate {args.scale} × {args.days} day(s): {time.perf_counter() - began:.1f} s")
            else:
                (workdir / "landing").symlink_to(args.landing.resolve(), target_is_directory=True)
            began = time.perf_counter()
            for offset in range(args.days):
                jianguan("ingest", "--date", (START + timedelta(days=offset)).isoformat(), env_root=workdir)
            print(f"ingest {args.days} day(s): {time.perf_counter() - began:.1f} s")
            root = workdir / "lakehouse"
        else:
            root = args.lakehouse
        logical = args.date or START + timedelta(days=args.days - 1)
        settings = Settings(lakehouse_root=root, spark_driver_memory="6g", spark_shuffle_partitions=4)
        spark = spark_session(settings, app_name="bench-evaluation")
        std = load_standard(settings.schemas_root)
        began = time.perf_counter()
        inputs = stand_in_staging(spark, std, settings)
        print(
            f"staging tables ready in {time.perf_counter() - began:.1f} s: "
            + ", ".join(f"{k}={v:,}" for k, v in sorted(inputs.items()))
        )
        for attempt in range(1, args.repeat + 1):
            began = time.perf_counter()
            summary = run(settings, logical, spark)
            seconds = time.perf_counter() - began
            tables = summary["tables"]
            print(
                f"run {attempt}: evaluate {logical} in {seconds:.1f} s — "
                + ", ".join(
                    f"{name}: {info['rows']:,} rows (v{info['version']})" for name, info in tables.items()
                )
                + f"; {len(summary['indicators_missing'])} indicator(s) without source"
            )
        print(f"report: {summary['report']}")
        spark.stop()
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
