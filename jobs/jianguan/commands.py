"""Registry of CLI subcommands contributed by feature modules, so ``cli.py`` stays a thin dispatcher.

A module adds itself by listing a ``register(subparsers)`` function in :data:`MODULES` (module path, function
name); its handler receives ``(args, settings)`` and returns an exit code.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable

MODULES: list[tuple[str, str]] = [
    ("jianguan.sim.cli", "register"),
    ("jianguan.marts.cli", "register"),
    ("jianguan.lake.cli", "register"),
    ("jianguan.export.cli", "register"),
    ("jianguan.ingest.cli", "register"),
    ("jianguan.orchestration.cli", "register"),
    ("jianguan.risk.cli", "register"),
    ("jianguan.evaluation.cli", "register"),
    ("jianguan.inspection.cli", "register"),
]


def registered() -> list[Callable[[argparse._SubParsersAction], None]]:
    return [getattr(importlib.import_module(module), name) for module, name in MODULES]
