"""Benchmark of ingestion (``jianguan.ingest``): throughput and peak memory, against pyarrow's raw CSV parse.

    # every file landed for a date (e.g. the `medium` province written by bench_simulate.py --keep):
    .venv/bin/python benchmarks/bench_ingest.py landing --landing /tmp/sim/landing --date 2026-11-02
    # one large CSV (default ≥ 2 GB) of the 12345 work-order feed, built from simulated rows:
    .venv/bin/python benchmarks/bench_ingest.py big-csv --gigabytes 2

``landing`` ingests each file of the date into a scratch lakehouse exactly as an ingest DAG's mapped task does
(``ingest_path``: read, validate, tokenise, write bronze/rejected, ledger, GE gate) and prints per source and in
total: files, rows read/loaded/rejected, megabytes, seconds, rows/s and MB/s.

``big-csv`` writes one feed file of the requested size (rows of a simulated ``tiny`` day repeated, each copy with
its own work-order number, so keys stay unique), then times (1) pyarrow's streaming CSV reader over it with every
column as a string — the floor of any CSV ingestion here — and (2) the full ingestion of the same file, and
prints both rates and their ratio. Peak RSS is sampled every 0.2 s in each phase (this process; ingestion has
no JVM), to show whether memory stays bounded as the file grows.

A script, not a test: the big file takes minutes.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

import pyarrow as pa
from peak_memory import PeakMemory  # benchmarks/peak_memory.py (this script's folder)
from pyarrow import csv as pacsv

from jianguan.ingest.run import discover_files, ingest_path
from jianguan.settings import Settings
from jianguan.sim.config import SCALES, SimConfig
from jianguan.sim.engine import simulate
from jianguan.spec.loader import cached_standard

FEED = "hotline_12345_work_orders"
TEMPLATE_DAY = date(2026, 11, 2)


def _rate(amount: float, seconds: float) -> float:
    return amount / seconds if seconds > 0 else float("nan")


def bench_landing(landing: Path, day: date, workdir: Path) -> None:
    settings = Settings(lakehouse_root=workdir / "lakehouse", landing_root=landing)
    files = discover_files(settings, day)
    print(f"{len(files)} files landed for {day} under {landing}")
    per_source: dict[str, list[float]] = defaultdict(lambda: [0, 0, 0, 0, 0.0, 0.0])
    with PeakMemory() as rss:
        began = time.perf_counter()
        for path in files:
            started = time.perf_counter()
            outcome = ingest_path(settings, path)
            seconds = time.perf_counter() - started
            source = path.parent.parent.name
            counts = per_source[source]
            counts[0] += 1
            counts[1] += outcome.rows_read
            counts[2] += outcome.rows_loaded
            counts[3] += outcome.rows_rejected
            counts[4] += path.stat().st_size / 2**20
            counts[5] += seconds
        total_seconds = time.perf_counter() - began
    print(
        f"{'source':<22}{'files':>6}{'read':>11}{'loaded':>11}{'rejected':>9}{'MB':>9}{'s':>8}{'rows/s':>9}{'MB/s':>7}"
    )
    totals = [0, 0, 0, 0, 0.0, 0.0]
    for source, counts in sorted(per_source.items(), key=lambda item: -item[1][5]):
        files_n, read, loaded, rejected, mb, seconds = counts
        print(f"{source:<22}{files_n:>6}{read:>11,}{loaded:>11,}{rejected:>9,}{mb:>9.1f}{seconds:>8.1f}"
              f"{_rate(read, seconds):>9,.0f}{_rate(mb, seconds):>7.2f}")  # fmt: skip
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
    files_n, read, loaded, rejected, mb, _ = totals
    print(f"{'total':<22}{files_n:>6}{read:>11,}{loaded:>11,}{rejected:>9,}{mb:>9.1f}{total_seconds:>8.1f}"
          f"{_rate(read, total_seconds):>9,.0f}{_rate(mb, total_seconds):>7.2f}")  # fmt: skip
    print(f"peak RSS {rss.driver_mib:,.0f} MiB")


def _template(workdir: Path) -> tuple[list[str], list[list[str]], str, str]:
    """Header and rows of the feed's file in a simulated tiny day, its file name and encoding."""
    landing = workdir / "template"
    schemas = Settings().schemas_root
    simulate(SimConfig(scale=SCALES["tiny"], seed=7, days=1, start=TEMPLATE_DAY, province_code="420000",
                       landing_root=landing, truth_root=workdir / "truth", schemas_root=schemas))  # fmt: skip
    spec = cached_standard(schemas).feeds[FEED]
    path = next((landing / spec.source / TEMPLATE_DAY.isoformat()).glob(spec.file_pattern))
    with path.open(encoding=spec.encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=spec.csv.delimiter if spec.csv else ",")
        header = next(reader)
        rows = [row for row in reader if len(row) == len(header)]
    return header, rows, path.name, spec.encoding


def build_big_csv(
    target: Path, gigabytes: float, header: list[str], rows: list[list[str]], encoding: str
) -> int:
    """Write ``target`` of at least ``gigabytes`` GB from the template rows; returns the data rows written."""
    key = header.index("工单编号")
    wanted = int(gigabytes * 1e9)
    written = 0
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        copy = 0
        while handle.tell() < wanted:
            copy += 1
            for row in rows:
                row = list(row)
                row[key] = f"{row[key]}C{copy:06d}"
                writer.writerow(row)
            written += len(rows)
    return written


def pyarrow_parse(path: Path, encoding: str) -> tuple[int, float]:
    """Rows and seconds of pyarrow's streaming reader over ``path``, every column a string."""
    read = pacsv.ReadOptions(
        encoding="utf8" if encoding.startswith("utf-8") else encoding, block_size=16 << 20
    )
    with pacsv.open_csv(path, read_options=read) as probe:
        names = probe.schema.names
    convert = pacsv.ConvertOptions(column_types={name: pa.string() for name in names})
    began = time.perf_counter()
    rows = 0
    with pacsv.open_csv(path, read_options=read, convert_options=convert) as reader:
        for batch in reader:
            rows += batch.num_rows
    return rows, time.perf_counter() - began


def bench_big_csv(gigabytes: float, workdir: Path) -> None:
    spec = cached_standard(Settings().schemas_root).feeds[FEED]
    header, template_rows, name, encoding = _template(workdir)
    landing = workdir / "landing"
    path = landing / spec.source / TEMPLATE_DAY.isoformat() / name
    began = time.perf_counter()
    rows = build_big_csv(path, gigabytes, header, template_rows, encoding)
    size_mb = path.stat().st_size / 2**20
    print(f"built {path.name}: {size_mb:,.0f} MiB, {rows:,} rows in {time.perf_counter() - began:.0f} s")

    with PeakMemory() as rss:
        parsed, seconds = pyarrow_parse(path, encoding)
    raw_rate = _rate(size_mb, seconds)
    print(f"pyarrow open_csv (strings): {parsed:,} rows in {seconds:.1f} s = {raw_rate:,.1f} MiB/s, "
          f"{_rate(parsed, seconds):,.0f} rows/s; peak RSS {rss.driver_mib:,.0f} MiB")  # fmt: skip

    settings = Settings(lakehouse_root=workdir / "lakehouse", landing_root=landing)
    with PeakMemory() as rss:
        began = time.perf_counter()
        outcome = ingest_path(settings, path)
        seconds = time.perf_counter() - began
    rate = _rate(size_mb, seconds)
    print(f"ingest_path: {outcome.status}, read {outcome.rows_read:,} = loaded {outcome.rows_loaded:,} + "
          f"rejected {outcome.rows_rejected:,} + held {outcome.rows_held:,} in {seconds:.1f} s = {rate:,.1f} MiB/s, "
          f"{_rate(outcome.rows_read, seconds):,.0f} rows/s; peak RSS {rss.driver_mib:,.0f} MiB")  # fmt: skip
    print(f"ingestion runs at {rate / raw_rate:.1%} of pyarrow's raw parse ({raw_rate / rate:.1f}× slower)")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    modes = parser.add_subparsers(dest="mode", required=True)
    landing = modes.add_parser("landing", help="ingest every file landed for a date")
    landing.add_argument("--landing", type=Path, required=True)
    landing.add_argument("--date", type=date.fromisoformat, required=True)
    big = modes.add_parser("big-csv", help="one large 12345 CSV against pyarrow's raw parse")
    big.add_argument("--gigabytes", type=float, default=2.0)
    for sub in (landing, big):
        sub.add_argument(
            "--workdir", type=Path, default=None, help="scratch folder (default: a temporary one)"
        )
        sub.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench_ingest_"))
    try:
        if args.mode == "landing":
            bench_landing(args.landing, args.date, workdir)
        else:
            bench_big_csv(args.gigabytes, workdir)
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
