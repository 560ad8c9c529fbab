"""The catalogue of lakehouse tables: every Delta table under ``<root>/<layer>/<table>/``.

Row counts come from the ``add`` actions' statistics (``numRecords``), so listing a lakehouse reads only the logs;
files written without statistics have their Parquet footers read. Tables whose protocol needs features this
package does not implement (deletion vectors, column mapping …) are refused with a :class:`StorageError`, or, with
``strict=False``, logged and left out.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from jianguan.errors import StorageError
from jianguan.lake.tables import LIBRARY_PROPERTY, LakeTable, library_of

__all__ = ["LIBRARY_PROPERTY", "TableInfo", "TableStats", "list_tables", "table_library", "table_stats"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TableInfo:
    """One table of the lakehouse."""

    layer: str
    name: str
    path: str
    version: int
    rows: int
    partition_columns: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["partition_columns"] = list(self.partition_columns)
        return data


def _is_table_folder(path: Path) -> bool:
    return path.is_dir() and (path / "_delta_log").is_dir()


def list_tables(root: Path, *, layers: Sequence[str] | None = None, strict: bool = True) -> list[TableInfo]:
    """Every Delta table under ``root`` (one level of layers, one of tables), sorted by layer and name.

    Folders starting with ``_`` or ``.`` (``_spark_warehouse``, checkpoints of other tools) are not layers.
    """
    root = root.expanduser().resolve()
    if not root.is_dir():
        return []
    found: list[TableInfo] = []
    for layer_dir in sorted(p for p in root.iterdir() if p.is_dir() and p.name[0] not in "_."):
        if layers is not None and layer_dir.name not in layers:
            continue
        for table_dir in sorted(p for p in layer_dir.iterdir() if _is_table_folder(p)):
            table = LakeTable(table_dir)
            try:
                snapshot = table.load()
                info = TableInfo(
                    layer=layer_dir.name,
                    name=table_dir.name,
                    path=str(table_dir),
                    version=snapshot.version(),
                    rows=table.count(table=snapshot),
                    partition_columns=tuple(snapshot.metadata().partition_columns),
                )
            except StorageError:
                if strict:
                    raise
                log.warning("skipping %s: not readable by this package", table_dir, exc_info=True)
                continue
            found.append(info)
    log.info("found %d table(s) under %s", len(found), root)
    return found


@dataclass(frozen=True)
class TableStats:
    version: int
    rows: int


def table_stats(path: Path) -> TableStats | None:
    """Latest version and row count of the table at ``path``; ``None`` when no table exists there yet."""
    table = LakeTable(path)
    if not table.exists():
        return None
    version = table.version()
    return TableStats(version=version, rows=table.count(version))


def table_library(path: Path) -> str | None:
    """The library a table declares (:data:`LIBRARY_PROPERTY`, kept in its description), if any."""
    table = LakeTable(path)
    if not table.exists():
        return None
    return library_of(table.load().metadata().description)
