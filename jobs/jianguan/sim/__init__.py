"""A realistic province as feed files: a seeded, deterministic simulator with dirty data and ground truth.

``jianguan simulate`` (see :mod:`jianguan.sim.cli`) writes every feed declared in ``schemas/feeds/`` for a
number of consecutive days under the landing root, and what it planted (duplicates, name variants, bad codes,
odd dates, orphans, late arrivals, cross-channel complaints, high-risk parties) under the truth root.
Headers, encodings, formats, file patterns and code values all come from ``schemas/``. docs/simulator.md
describes the world, the dirt and the truth layout.
"""

from jianguan.sim.config import SCALES, DirtConfig, ScaleSpec, SimConfig
from jianguan.sim.engine import SimulationSummary, simulate

__all__ = ["SCALES", "DirtConfig", "ScaleSpec", "SimConfig", "SimulationSummary", "simulate"]
