"""The region tree of ``schemas/codes/regions.yaml``: every code with its level and its ancestors.

Facts are recorded at the region they happened in (usually a county); :func:`ancestor_rows` lets the roll-up
count each fact once at its own level and once at every level above, so a city's value covers its counties.
"""

from __future__ import annotations

from dataclasses import dataclass

from jianguan.errors import ConfigError
from jianguan.spec.loader import Standard

LEVELS: tuple[str, ...] = ("province", "prefecture", "county")
"""Region levels of codes/regions.yaml, top down (评价层级: 省, 市, 县)."""


@dataclass(frozen=True)
class RegionNode:
    code: str
    name_zh: str
    level: str
    parent: str | None


def region_nodes(std: Standard) -> dict[str, RegionNode]:
    """Every region code of the standard with its name, level and parent."""
    nodes: dict[str, RegionNode] = {}
    for code in std.code_list("regions").codes:
        if code.level not in LEVELS:
            raise ConfigError(f"regions.yaml: code {code.code} has level {code.level!r}, not one of {LEVELS}")
        nodes[code.code] = RegionNode(code.code, code.label_zh, code.level, code.parent)
    return nodes


def ancestor_rows(nodes: dict[str, RegionNode]) -> list[tuple[str, str, str]]:
    """``(region_code, ancestor_level, ancestor_code)`` for each code and each of its ancestors (itself too)."""
    rows: list[tuple[str, str, str]] = []
    for node in nodes.values():
        current: RegionNode | None = node
        seen: set[str] = set()
        while current is not None and current.code not in seen:
            seen.add(current.code)
            rows.append((node.code, current.level, current.code))
            current = nodes.get(current.parent) if current.parent else None
    return rows
