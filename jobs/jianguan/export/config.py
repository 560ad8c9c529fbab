"""House settings of the export (``config/export.yaml``): batch time, department fallbacks, gold table names."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field


class ExportTables(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    batches: str
    ledger: str
    holds: str


class ExportConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    batch_time_next_day: dt.time
    default_department: str
    dataset_departments: dict[str, str] = Field(default_factory=dict)
    source_layer: str
    library_property: str
    tables: ExportTables
    receipts_table: str
    spark_min_rows: int = Field(ge=0)
    """Sources of at least this many rows are read, rendered and netted by Spark tasks; smaller ones on the driver."""

    def department_for(self, dataset: str) -> str:
        return self.dataset_departments.get(dataset, self.default_department)


@lru_cache(maxsize=1)
def load_config() -> ExportConfig:
    """The packaged configuration (read once per process)."""
    text = resources.files("jianguan.export").joinpath("config/export.yaml").read_text(encoding="utf-8")
    data: Any = yaml.safe_load(text)
    return ExportConfig.model_validate(data)
