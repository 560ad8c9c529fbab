"""The list of lakehouse tables behind ``jianguan tables --json``.

Every table the schemas define (bronze tables and their quarantine twins) is listed even before it exists on
disk (version and rows null then); tables found on disk in other layers (silver, gold, export, ops) are added
with the library they declare in their Delta table metadata, or their layer otherwise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jianguan.settings import Settings
from jianguan.spec.loader import Standard
from jianguan.spec.render.schemas import REJECTED_SUFFIX

LAYERS_ON_DISK = ("bronze", "silver", "gold", "export", "ops")


def _entry(layer: str, library: str, name: str, path: Path) -> dict[str, Any]:
    from jianguan.lake.catalog import table_stats

    stats = table_stats(path)
    return {
        "layer": layer,
        "library": library,
        "name": name,
        "path": str(path),
        "version": None if stats is None else stats.version,
        "rows": None if stats is None else stats.rows,
    }


def table_inventory(std: Standard, settings: Settings) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    known: set[tuple[str, str]] = set()
    for table in sorted(std.tables.values(), key=lambda t: (t.library, t.name)):
        for name in (table.name, table.name + REJECTED_SUFFIX):
            entries.append(_entry("bronze", table.library, name, settings.table_path("bronze", name)))
            known.add(("bronze", name))
    for layer in LAYERS_ON_DISK:
        folder = settings.resolved_lakehouse_root / layer
        if not folder.is_dir():
            continue
        for path in sorted(p for p in folder.iterdir() if (p / "_delta_log").is_dir()):
            if (layer, path.name) not in known:
                entries.append(_entry(layer, _library_of(path, layer), path.name, path))
    return entries


def _library_of(path: Path, default: str) -> str:
    from jianguan.lake.catalog import table_library

    return table_library(path) or default
