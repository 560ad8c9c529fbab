"""The Great Expectations batch gate: the rendered ``bronze__<table>__batch`` suite over one committed batch.

Row-level rules already ran at the boundary (rejected rows are in quarantine); the suite judges the *batch* against
the feed's previous batch (row count, how full optional columns are, freshness) with suite parameters from
:func:`jianguan.spec.render.expectations.batch_parameters`. Its findings are recorded in the ingestion log and
never drop rows: a surprising batch is flagged for a data engineer, the reject-ratio gate is what holds a batch.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from jianguan.spec.loader import Standard
from jianguan.spec.render.expectations import BatchProfile, batch_parameters, bronze_batch_suite

log = logging.getLogger(__name__)

GATE_MAX_ROWS = 2_000_000
"""Batches above this size are profiled but not validated in memory by GE (recorded as skipped)."""


@dataclass(frozen=True)
class GateResult:
    success: bool | None
    """None when the gate did not run (batch too large)."""
    failed: list[dict[str, Any]]
    profile: BatchProfile

    def report_json(self) -> str:
        return json.dumps({"success": self.success, "failed": self.failed}, ensure_ascii=False, default=str)

    def profile_json(self) -> str:
        return json.dumps({"rows": self.profile.rows, "non_null_ratio": self.profile.non_null_ratio})


def profile_of(batch: pa.Table, columns: list[str]) -> BatchProfile:
    rows = batch.num_rows
    ratios = {c: round(1 - batch.column(c).null_count / rows, 6) if rows else 0.0 for c in columns}
    return BatchProfile(rows=rows, non_null_ratio=ratios)


def profile_from_json(data: dict[str, Any] | None) -> BatchProfile | None:
    if not data:
        return None
    return BatchProfile(rows=int(data["rows"]), non_null_ratio=dict(data.get("non_null_ratio", {})))


def run_gate(
    std: Standard,
    table_name: str,
    batch: pa.Table,
    previous: BatchProfile | None,
    logical_date: date,
) -> GateResult:
    """Validate one batch (the rows of one batch id in bronze) with the table's suite."""
    table = std.table(table_name)
    optional = [f.name for f in table.fields if not f.required]
    profile = profile_of(batch, optional)
    if batch.num_rows > GATE_MAX_ROWS:
        log.warning("batch of %s has %d rows: GE gate skipped, profile kept", table_name, batch.num_rows)
        return GateResult(success=None, failed=[], profile=profile)
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas(name=f"bronze_{table_name}")
    asset = source.add_dataframe_asset(name=table_name)
    definition = asset.add_batch_definition_whole_dataframe(name="batch")
    frame = _to_pandas(batch)
    ge_batch = definition.get_batch(batch_parameters={"dataframe": frame})
    params = batch_parameters(std, table_name, previous, logical_date)
    result = ge_batch.validate(bronze_batch_suite(std, table_name), expectation_parameters=params)
    failed = [
        {
            "expectation": r.expectation_config.type if r.expectation_config else None,
            "column": r.expectation_config.kwargs.get("column") if r.expectation_config else None,
            "observed": (r.result or {}).get("observed_value"),
        }
        for r in result.results
        if not r.success
    ]
    return GateResult(success=bool(result.success), failed=failed, profile=profile)


def _to_pandas(batch: pa.Table) -> Any:
    """Timestamps as Asia/Shanghai wall time, so the freshness bound compares like with like."""
    columns = {}
    for name in batch.column_names:
        column = batch.column(name)
        if pa.types.is_timestamp(column.type) and column.type.tz is not None:
            column = pc.cast(column, pa.timestamp("us", tz="Asia/Shanghai"))
        columns[name] = column
    return pa.table(columns).to_pandas()
