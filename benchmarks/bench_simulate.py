"""Benchmark of the feed simulator: generation throughput and peak memory at a given scale.

    .venv/bin/python benchmarks/bench_simulate.py                      # medium, 2 days
    .venv/bin/python benchmarks/bench_simulate.py --scale small --days 3

It runs :func:`jianguan.sim.simulate` in this process into a scratch folder (deleted afterwards unless
``--keep``) and prints, per delivery day and in total: files, rows, megabytes, seconds, rows/s and MB/s, plus
the peak resident set size of the process (``getrusage`` ``ru_maxrss``); a progress line every minute gives
partial figures if a long run has to be stopped — the simulator regenerates parties
on demand instead of holding the world, so peak memory should stay flat as the scale grows. Loading
``schemas/`` is timed separately: it is a fixed start-up cost, not generation.

It is a script, not a test: ``medium`` writes a few million rows and takes many minutes on a laptop.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import resource
import shutil
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

from jianguan.settings import Settings
from jianguan.sim.config import SCALES, DirtConfig, SimConfig
from jianguan.sim.engine import Simulation
from jianguan.spec.loader import load_standard


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports ``ru_maxrss`` in KB)."""
    kilobytes = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kilobytes / 1024 if sys.platform != "darwin" else kilobytes / 1024 / 1024


def current_rss_mb() -> float:
    """Resident set size right now (Linux ``/proc``; 0 where unavailable)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def bytes_under(folder: Path) -> int:
    total = 0
    for path in folder.rglob("*"):
        with contextlib.suppress(OSError):  # a file replaced while we look
            total += path.stat().st_size if path.is_file() else 0
    return total


class ProgressSampler(threading.Thread):
    """Prints rows and bytes written so far, CPU seconds and memory every ``every`` seconds.

    Medium and large runs take long on a shared machine; if one has to be stopped, these lines are the
    partial figures (throughput per CPU second is comparable across machine loads, wall time is not).
    """

    def __init__(self, simulation: Simulation, landing: Path, every: float, cpu_start: float) -> None:
        super().__init__(daemon=True)
        self.cpu_start = cpu_start
        self.simulation = simulation
        self.landing = landing
        self.every = every
        self.stopped = threading.Event()

    def run(self) -> None:
        started = time.perf_counter()
        while not self.stopped.wait(self.every):
            rows = self.simulation.rows_written
            megabytes = bytes_under(self.landing) / 1e6
            cpu = time.process_time() - self.cpu_start
            print(
                f"[progress] wall {time.perf_counter() - started:7.0f} s  cpu {cpu:7.0f} s  rows {rows:>11,}  "
                f"{megabytes:9.1f} MB  {rows / cpu if cpu else 0:8,.0f} rows/cpu-s  "
                f"RSS {current_rss_mb():6.0f} MB (peak {peak_rss_mb():.0f})",
                flush=True,
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--scale", choices=sorted(SCALES, key=lambda s: SCALES[s].legal_entities), default="medium"
    )
    parser.add_argument("--days", type=int, default=2, help="delivery days (day 1 is the full load)")
    parser.add_argument("--seed", type=int, default=20261102)
    parser.add_argument("--start", type=date.fromisoformat, default=date(2026, 11, 2))
    parser.add_argument(
        "--out", type=Path, default=None, help="folder for landing/ and truth/ (default: temp)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument("--clean", action="store_true", help="no dirt (measures the world model alone)")
    parser.add_argument(
        "--progress", type=float, default=60.0, help="seconds between progress lines (0: none)"
    )
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings()
    out = args.out or Path(tempfile.mkdtemp(prefix=f"bench-sim-{args.scale}-"))
    scale = SCALES[args.scale]
    try:
        started = time.perf_counter()
        standard = load_standard(settings.schemas_root)
        load_seconds = time.perf_counter() - started
        rss_after_load = peak_rss_mb()
        config = SimConfig(
            scale=scale, seed=args.seed, days=args.days, start=args.start,
            province_code=settings.province_code, landing_root=out / "landing", truth_root=out / "truth",
            schemas_root=settings.schemas_root, dirt=DirtConfig.clean() if args.clean else DirtConfig(),
        )  # fmt: skip
        simulation = Simulation(config, standard)
        cpu_start = time.process_time()
        sampler = ProgressSampler(simulation, config.landing_root, args.progress, cpu_start)
        if args.progress > 0:
            sampler.start()
        try:
            summary = simulation.run()
        finally:
            sampler.stopped.set()
        total_seconds = time.perf_counter() - started
        print()
        print(f"scale {scale.name}: {scale.enterprises:,} enterprises + {scale.individual_businesses:,} "
              f"个体工商户, {args.days} day(s) from {args.start}, seed {args.seed}"
              + (", no dirt" if args.clean else ""))  # fmt: skip
        print(f"{'day':<12}{'files':>7}{'rows':>12}{'MB':>10}")
        for day in sorted({f.delivery_date for f in summary.files}):
            day_files = [f for f in summary.files if f.delivery_date == day]
            print(f"{day.isoformat():<12}{len(day_files):>7}{sum(f.rows for f in day_files):>12,}"
                  f"{sum(f.bytes for f in day_files) / 1e6:>10.1f}")  # fmt: skip
        seconds = summary.seconds
        print(f"schemas loaded in {load_seconds:.1f} s (peak RSS then {rss_after_load:.0f} MB)")
        print(f"generated {len(summary.files)} files, {summary.rows:,} rows, {summary.bytes / 1e6:.1f} MB "
              f"in {seconds:.1f} s")  # fmt: skip
        print(f"throughput: {summary.rows / seconds:,.0f} rows/s, {summary.bytes / 1e6 / seconds:.2f} MB/s")
        cpu = time.process_time() - cpu_start
        print(
            f"generation CPU time {cpu:.1f} s: {summary.rows / cpu:,.0f} rows per CPU second (load-independent)"
        )
        print(f"peak RSS: {peak_rss_mb():.0f} MB")
        print(f"wall time including schema load: {total_seconds:.1f} s")
        print(f"output: {out}" + ("" if args.keep else " (deleted)"))
    finally:
        if not args.keep:
            shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
