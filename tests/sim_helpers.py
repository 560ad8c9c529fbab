"""Simulated landing zones for tests: a tiny province, written once per test module that needs one."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from jianguan.settings import PROJECT_ROOT, Settings
from jianguan.sim.config import SCALES, DirtConfig, SimConfig
from jianguan.sim.engine import simulate


def lakehouse_settings(root: Path) -> Settings:
    """Settings whose lakehouse, landing and truth roots are folders of ``root`` (a test's temporary folder)."""
    return Settings(
        lakehouse_root=root / "lakehouse", landing_root=root / "landing", truth_root=root / "truth"
    )


def simulate_tiny(
    landing_root: Path,
    truth_root: Path,
    *,
    start: date,
    days: int,
    seed: int,
    dirt: DirtConfig | None = None,
) -> None:
    """Write ``days`` days of the ``tiny`` Hubei province under ``landing_root`` (default dirt unless given)."""
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
            dirt=dirt if dirt is not None else DirtConfig(),
        )
    )
