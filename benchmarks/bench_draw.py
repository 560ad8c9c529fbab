"""Benchmark of the 双随机 draw over a medium-sized synthetic province (default 1 M entities, the ``medium``
scale's legal entities).

    .venv/bin/python benchmarks/bench_draw.py --entities 1000000 [--publish]

Prints the time to build the pools (not part of a real run: Spark reads them), to draw one plan with four items
over two departments (eligibility, stratification, keyed-hash sampling, inspector assignment), to merge the visits
of two departments' plans, and with ``--publish`` to write the snapshot and draw tables (delta-rs) and verify.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import tempfile
import time
from pathlib import Path

from jianguan.inspection import synthetic
from jianguan.inspection.draw import draw
from jianguan.inspection.joint import entries_of, merge_visits, saving
from jianguan.inspection.plans import load_config
from jianguan.inspection.publish import publish
from jianguan.inspection.verify import verify_draw
from jianguan.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entities", type=int, default=1_000_000)
    parser.add_argument(
        "--publish", action="store_true", help="also publish and verify (writes to a temp dir)"
    )
    args = parser.parse_args()
    config = load_config()

    print(
        f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (wall times include waiting)"
    )
    started = time.perf_counter()
    prov = synthetic.province(args.entities, seed=2026, prefectures=12, counties_per_prefecture=8)
    print(f"pools: {len(prov.entities):,} entities, {len(prov.officers):,} officers "
          f"built in {time.perf_counter() - started:.1f}s")  # fmt: skip

    ratios = {"A": 0.03, "B": 0.10, "C": 0.30, "D": 0.70}
    plan = synthetic.plan_for(prov, class_ratios=ratios)
    started, cpu = time.perf_counter(), time.process_time()
    result = draw(plan, config, prov.entities, prov.officers)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"draw {result.draw_id}: {len(result.drawn):,} objects of {len(result.pool):,} in the pool, "
          f"{len(result.assignments()):,} inspector seats in {seconds:.1f}s wall, {cpu:.1f}s CPU "
          f"({len(prov.entities) / cpu:,.0f} entities per CPU second)")  # fmt: skip
    for risk_class, counts in result.class_summary().items():
        rate = counts["drawn"] / counts["eligible"] if counts["eligible"] else 0.0
        print(
            f"  class {risk_class}: eligible {counts['eligible']:>9,}  drawn {counts['drawn']:>8,}  ({rate:.2%})"
        )

    second = draw(
        dataclasses.replace(plan, plan_id="P-2026-002", items=prov.items[2:], department_codes=("WSJK",)),
        config,
        prov.entities,
        prov.officers,
    )
    started, cpu = time.perf_counter(), time.process_time()
    visits = merge_visits(entries_of(result) + entries_of(second))
    print(f"joint merge of {len(result.drawn) + len(second.drawn):,} entries in "
          f"{time.perf_counter() - started:.1f}s wall, {time.process_time() - cpu:.1f}s CPU: {saving(visits)}")  # fmt: skip

    if args.publish:
        with tempfile.TemporaryDirectory() as folder:
            settings = Settings(lakehouse_root=Path(folder) / "lakehouse")
            started, cpu = time.perf_counter(), time.process_time()
            publish(
                settings,
                [result, second],
                visits,
                published_at=dt.datetime.combine(plan.period_start, dt.time(), tzinfo=dt.UTC),
            )
            print(
                f"publish (snapshots + draws + inspectors + visits): {time.perf_counter() - started:.1f}s wall, "
                f"{time.process_time() - cpu:.1f}s CPU"
            )
            started, cpu = time.perf_counter(), time.process_time()
            report = verify_draw(settings, result.draw_id)
            print(
                f"verify {result.draw_id}: ok={report.ok} in {time.perf_counter() - started:.1f}s wall, "
                f"{time.process_time() - cpu:.1f}s CPU"
            )


if __name__ == "__main__":
    main()
