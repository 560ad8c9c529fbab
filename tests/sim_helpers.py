"""Simulated landing zones for tests: a tiny province, written once per test module that needs one."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from jianguan.settings import PROJECT_ROOT
from jianguan.sim.config import SCALES, DirtConfig, SimConfig
from jianguan.sim.engine import simulate


def simulate_tiny(landing_root: Path, truth_root: Path, *, start: date, days: int, seed: int) -> None:
    """Write ``days`` days of the ``tiny`` Hubei province (default dirt) under ``landing_root``."""
    simulate(
        SimConfig(
            scale=SCALES["tiny"],
            seed=seed,
            days=days,
            start=start,
            province_code="420000",
            landing_root=landing_root,
            truth_root=truth_root,
            schemas_root=PROJECT_ROOT / "schemas",
            dirt=DirtConfig(),
        )
    )
