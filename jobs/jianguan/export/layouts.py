"""Export datasets: a layout of ``schemas/exports/`` bound to its source table and input path.

Everything a dataset needs (which columns to read, which national field comes from which column, which source
fields are personal) is derived here from the layout and the table spec, never retyped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jianguan.settings import Settings
from jianguan.spec.loader import Standard
from jianguan.spec.model import ExportField, ExportLayout, TableSpec

RECORD_ID_SEPARATOR = "|"
"""Joins the values of a composite record id (credit ratings: uscc|source|date)."""


@dataclass(frozen=True)
class Dataset:
    """One export dataset: its layout, the table it reads, and the file it becomes."""

    layout: ExportLayout
    table: TableSpec

    @property
    def name(self) -> str:
        return self.layout.name

    @property
    def file_name(self) -> str:
        return f"{self.layout.name}.{self.layout.format}"

    @property
    def source_name(self) -> str:
        """The silver staging model of the table (``stg_<library>__<table>``, one row per business key)."""
        return f"stg_{self.table.library}__{self.table.name}"

    def source_path(self, settings: Settings, layer: str) -> Path:
        return settings.table_path(layer, self.source_name)

    @property
    def key_fields(self) -> list[str]:
        return self.layout.record_id_fields

    @property
    def has_department(self) -> bool:
        return "department_code" in self.table.field_names

    @property
    def read_columns(self) -> list[str]:
        """Source columns the export reads: record id, national fields (with fallbacks), department."""
        names: list[str] = list(self.key_fields)
        for spec in self.layout.fields:
            for name in (spec.source_field, spec.fallback):
                if name is not None and name not in names:
                    names.append(name)
        if self.has_department and "department_code" not in names:
            names.append("department_code")
        return names

    def is_personal(self, spec: ExportField) -> bool:
        """Whether a national field carries a personal source field (exported masked, as silver holds it)."""
        return any(
            name is not None and self.table.field(name).pii != "none"
            for name in (spec.source_field, spec.fallback)
        )


def datasets(std: Standard, names: list[str] | None = None) -> list[Dataset]:
    """The export datasets of the standard (all, or those named), sorted by name for deterministic output."""
    chosen = sorted(std.exports) if names is None else sorted(names)
    return [Dataset(layout=std.exports[n], table=std.table(std.exports[n].table)) for n in chosen]
