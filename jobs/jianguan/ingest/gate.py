"""The Great Expectations batch gate: the rendered ``bronze__<table>__batch`` suite over one committed batch.

Row-level rules already ran at the boundary (rejected rows are in quarantine); the suite judges the *batch* against
the feed's previous batch (row count, how full optional columns are, freshness) with suite parameters from
:func:`jianguan.spec.render.expectations.batch_parameters`. Its findings are recorded in the ingestion log and
never drop rows: a surprising batch is flagged for a data engineer, the reject-ratio gate is what holds a batch.

The full GE validation result of each gate run is also kept as JSON (:func:`store_validation`) under
``<lakehouse>/_quality/validations/<table>/``; :mod:`jianguan.ingest.data_docs` renders the data-docs site from it.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from jianguan.spec.loader import Standard
from jianguan.spec.render.expectations import BatchProfile, batch_parameters, bronze_batch_suite

log = logging.getLogger(__name__)

GATE_MAX_ROWS = 500_000
"""Batches above this size are profiled (streaming) but not validated by GE, whose pandas validation holds the
batch in memory several times over (about 4 KiB per row of a wide feed was measured); recorded as skipped."""

VALIDATIONS_DIR = Path("_quality") / "validations"
"""Where the gate's validation results are kept, relative to the lakehouse root (one folder per table)."""


@dataclass(frozen=True)
class GateResult:
    success: bool | None
    """None when the gate did not run (batch too large)."""
    failed: list[dict[str, Any]]
    profile: BatchProfile
    validation: dict[str, Any] | None = None
    """The suite validation result as GE's JSON dict (None when the gate did not run)."""
    suite: dict[str, Any] | None = None
    """The suite that ran, as GE's JSON dict (for the data docs' expectation pages)."""

    def report_json(self) -> str:
        return json.dumps({"success": self.success, "failed": self.failed}, ensure_ascii=False, default=str)

    def profile_json(self) -> str:
        return json.dumps({"rows": self.profile.rows, "non_null_ratio": self.profile.non_null_ratio})


def profile_of(batches: Iterable[pa.RecordBatch], columns: list[str]) -> BatchProfile:
    """Row count and per-column non-null ratio of a batch, accumulated over a stream (bounded memory)."""
    rows = 0
    nulls = dict.fromkeys(columns, 0)
    for chunk in batches:
        rows += chunk.num_rows
        for column in columns:
            nulls[column] += chunk.column(column).null_count
    ratios = {c: round(1 - nulls[c] / rows, 6) if rows else 0.0 for c in columns}
    return BatchProfile(rows=rows, non_null_ratio=ratios)


def optional_columns(std: Standard, table_name: str) -> list[str]:
    """The columns whose null ratio the gate compares with the previous batch."""
    return [f.name for f in std.table(table_name).fields if not f.required]


def profile_from_json(data: dict[str, Any] | None) -> BatchProfile | None:
    if not data:
        return None
    return BatchProfile(rows=int(data["rows"]), non_null_ratio=dict(data.get("non_null_ratio", {})))


def run_gate(
    std: Standard,
    table_name: str,
    batch: Callable[[], pa.Table],
    profile: BatchProfile,
    previous: BatchProfile | None,
    logical_date: date,
) -> GateResult:
    """Validate one batch (the rows of one batch id in bronze) with the table's suite.

    ``profile`` is the batch's streamed profile; ``batch`` loads its rows, called only when the batch is small
    enough for GE's in-memory (pandas) validation (:data:`GATE_MAX_ROWS`).
    """
    if profile.rows > GATE_MAX_ROWS:
        log.warning("batch of %s has %d rows: GE gate skipped, profile kept", table_name, profile.rows)
        return GateResult(success=None, failed=[], profile=profile)
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas(name=f"bronze_{table_name}")
    asset = source.add_dataframe_asset(name=table_name)
    definition = asset.add_batch_definition_whole_dataframe(name="batch")
    frame = _to_pandas(batch())
    ge_batch = definition.get_batch(batch_parameters={"dataframe": frame})
    params = batch_parameters(std, table_name, previous, logical_date)
    suite = bronze_batch_suite(std, table_name)
    result = ge_batch.validate(suite, expectation_parameters=params)
    failed = [
        {
            "expectation": r.expectation_config.type if r.expectation_config else None,
            "column": r.expectation_config.kwargs.get("column") if r.expectation_config else None,
            "observed": (r.result or {}).get("observed_value"),
        }
        for r in result.results
        if not r.success
    ]
    return GateResult(
        success=bool(result.success),
        failed=failed,
        profile=profile,
        validation=result.to_json_dict(),
        suite=suite.to_json_dict(),
    )


def validation_file(lakehouse: Path, table_name: str, batch_id: str) -> Path:
    """``<lakehouse>/_quality/validations/<table>/<batch id>.json``, the batch id's ``/`` written as ``__``."""
    return lakehouse / VALIDATIONS_DIR / table_name / (batch_id.replace("/", "__") + ".json")


def store_validation(
    lakehouse: Path,
    result: GateResult,
    *,
    table_name: str,
    batch_id: str,
    logical_date: date,
    source_file: str,
) -> Path | None:
    """Write the gate's full validation result for one batch (a rerun of the batch replaces its file).

    Returns the file, or None when the gate did not run. The write is atomic (temporary file, then rename), so a
    data-docs build never reads half a file.
    """
    if result.validation is None:
        return None
    path = validation_file(lakehouse, table_name, batch_id)
    record = {
        "batch_id": batch_id,
        "table": table_name,
        "logical_date": logical_date.isoformat(),
        "source_file": source_file,
        "validated_at": datetime.now(UTC).isoformat(),
        "success": result.success,
        "suite": result.suite,
        "validation_result": result.validation,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(record, out, ensure_ascii=False, default=str)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _to_pandas(batch: pa.Table) -> Any:
    """Timestamps as Asia/Shanghai wall time, so the freshness bound compares like with like."""
    columns = {}
    for name in batch.column_names:
        column = batch.column(name)
        if pa.types.is_timestamp(column.type) and column.type.tz is not None:
            column = pc.cast(column, pa.timestamp("us", tz="Asia/Shanghai"))
        columns[name] = column
    return pa.table(columns).to_pandas()
