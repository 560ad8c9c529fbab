"""Great Expectations 1.x suites for bronze batches, built in code from ``schemas/``.

The three checking layers never test one property twice: row-level rules (required, types, formats, code
lists) already ran at the boundary, so these suites look at the *batch*: the columns it delivers, its row count
against the previous batch, how full optional columns are compared with the previous batch, freshness of the
source timestamps, and the reject ratio against the feed's threshold. Bounds that depend on history are suite
parameters (``{"$PARAMETER": …}``) filled in by :func:`batch_parameters` at validation time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from jianguan.spec.loader import Standard

if TYPE_CHECKING:
    from great_expectations.core import ExpectationSuite

SHANGHAI = ZoneInfo("Asia/Shanghai")
ROW_COUNT_FLOOR_RATIO = 0.2
"""A batch with fewer than 20% of the previous batch's rows is suspicious (a truncated delivery)."""
ROW_COUNT_CEILING_RATIO = 20.0
NON_NULL_DROP = 0.3
"""An optional column may become up to 30 points emptier than in the previous batch before the gate fails."""
FRESHNESS_DAYS = 400
"""The newest source timestamp must be within this many days of the logical date (history loads included)."""


@dataclass(frozen=True)
class BatchProfile:
    """What the gate remembers of a batch to judge the next one."""

    rows: int
    non_null_ratio: dict[str, float]


def _param(name: str) -> dict[str, str]:
    return {"$PARAMETER": name}


def suite_name(table: str) -> str:
    return f"bronze__{table}__batch"


def bronze_batch_suite(std: Standard, table_name: str) -> ExpectationSuite:
    import great_expectations as gx
    import great_expectations.expectations as gxe

    table = std.table(table_name)
    expectations: list[gxe.Expectation] = [
        gxe.ExpectTableColumnsToMatchSet(
            column_set=[f.name for f in std.bronze_fields(table_name)], exact_match=True
        ),
        gxe.ExpectTableRowCountToBeBetween(min_value=_param("min_rows"), max_value=_param("max_rows")),
    ]
    for spec in table.fields:
        if not spec.required:
            expectations.append(
                gxe.ExpectColumnProportionOfNonNullValuesToBeBetween(
                    column=spec.name, min_value=_param(f"min_non_null__{spec.name}"), max_value=1.0
                )
            )
    if table.order_by and table.field(table.order_by).type in {"date", "timestamp"}:
        expectations.append(
            gxe.ExpectColumnMaxToBeBetween(column=table.order_by, min_value=_param("freshest_not_before"))
        )
    # Expectations go in through the constructor: ``add_expectation`` would try to persist the suite and
    # needs an active data context, which rendering does not have.
    return gx.ExpectationSuite(
        name=suite_name(table_name),
        meta={"table": table_name, "library": table.library},
        expectations=expectations,
    )


def reject_ratio_suite(threshold: float, feed: str) -> ExpectationSuite:
    """A suite over the one-row batch summary (rows_read, rows_rejected, reject_ratio)."""
    import great_expectations as gx
    import great_expectations.expectations as gxe

    return gx.ExpectationSuite(
        name=f"feed__{feed}__reject_ratio",
        meta={"feed": feed},
        expectations=[
            gxe.ExpectColumnValuesToBeBetween(column="reject_ratio", min_value=0, max_value=threshold)
        ],
    )


def batch_parameters(
    std: Standard, table_name: str, previous: BatchProfile | None, logical_date: date
) -> dict[str, Any]:
    """Suite parameters for a batch of ``table_name`` given the previous batch's profile (None for the first)."""
    table = std.table(table_name)
    params: dict[str, Any] = {"min_rows": 1, "max_rows": None}
    if previous is not None and previous.rows > 0:
        params["min_rows"] = max(1, int(previous.rows * ROW_COUNT_FLOOR_RATIO))
        params["max_rows"] = int(previous.rows * ROW_COUNT_CEILING_RATIO) + 1000
    for spec in table.fields:
        if not spec.required:
            before = previous.non_null_ratio.get(spec.name, 0.0) if previous else 0.0
            params[f"min_non_null__{spec.name}"] = max(0.0, round(before - NON_NULL_DROP, 6))
    if table.order_by:
        earliest = logical_date - timedelta(days=FRESHNESS_DAYS)
        kind = table.field(table.order_by).type
        params["freshest_not_before"] = (
            datetime.combine(earliest, time.min, tzinfo=SHANGHAI) if kind == "timestamp" else earliest
        )
    return params
