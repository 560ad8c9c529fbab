"""``jianguan simulate``: write a province's feeds into the landing root (thin layer over :func:`simulate`)."""

from __future__ import annotations

import argparse
import logging
from datetime import date
from pathlib import Path

from jianguan.settings import Settings

log = logging.getLogger("jianguan.sim")

DEFAULT_START = date(2026, 11, 2)


def register(subparsers: argparse._SubParsersAction) -> None:
    from jianguan.sim.config import SCALES

    parser = subparsers.add_parser(
        "simulate",
        help="write a simulated province's feeds (with dirt) and the ground truth",
        description="Seeded and deterministic: the same arguments give byte-identical files.",
    )
    parser.add_argument(
        "--scale", choices=sorted(SCALES, key=lambda s: SCALES[s].legal_entities), default="small"
    )
    parser.add_argument("--seed", type=int, default=20261102)
    parser.add_argument(
        "--days", type=int, default=3, help="consecutive delivery days (day 1 is the full load)"
    )
    parser.add_argument(
        "--start", type=date.fromisoformat, default=DEFAULT_START, help="first day, YYYY-MM-DD"
    )
    parser.add_argument("--province", default=None, help="GB/T 2260 province code (default: settings)")
    parser.add_argument("--landing", type=Path, default=None, help="landing root (default: settings)")
    parser.add_argument("--truth", type=Path, default=None, help="ground-truth root (default: settings)")
    parser.add_argument("--clean", action="store_true", help="no dirt at all (world model only)")
    parser.set_defaults(handler=_simulate)


def _simulate(args: argparse.Namespace, settings: Settings) -> int:
    from jianguan.sim.config import SCALES, DirtConfig, SimConfig
    from jianguan.sim.engine import simulate

    if args.days < 1:
        log.error("--days must be at least 1")
        return 2
    try:
        config = SimConfig(
            scale=SCALES[args.scale],
            seed=args.seed,
            days=args.days,
            start=args.start,
            province_code=args.province or settings.province_code,
            landing_root=(args.landing or settings.landing_root).expanduser().resolve(),
            truth_root=(args.truth or settings.truth_root).expanduser().resolve(),
            schemas_root=settings.schemas_root,
            dirt=DirtConfig.clean() if args.clean else DirtConfig(),
        )
    except ValueError as exc:  # e.g. the truth folder inside the landing root
        log.error("%s", exc)
        return 2
    summary = simulate(config)
    rate = summary.rows / summary.seconds if summary.seconds else 0.0
    print(
        f"simulated {args.scale} × {args.days} day(s) from {args.start}: {len(summary.files)} files, "
        f"{summary.rows:,} rows, {summary.bytes / 1e6:.1f} MB in {summary.seconds:.1f} s ({rate:,.0f} rows/s)"
    )
    print(f"landing: {config.landing_root}")
    print(f"truth:   {summary.manifest}")
    for kind, count in sorted(summary.dirt_counts.items()):
        measured = summary.dirt_rates.get(kind)
        print(
            f"  {kind:<20} {count:>8}"
            + (f"  ({measured:.2%} of eligible rows)" if measured is not None else "")
        )
    return 0
