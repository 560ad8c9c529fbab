"""Personal data on the way into bronze: masked in place, tokenised beside, as ``schemas/pii.yaml`` says.

The row rules have already validated the raw values (an ID number's check character can only be verified on
the real number); from here on only masks and tokens travel. Work is done once per distinct value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial

import pyarrow as pa
import pyarrow.compute as pc

from jianguan.privacy import mask, tokenise
from jianguan.spec.loader import Standard
from jianguan.spec.model import TableSpec


def _map_distinct(values: pa.Array, fn: Callable[[str], str]) -> pa.Array:
    encoded = pc.cast(values, pa.string()).dictionary_encode()
    mapped = pa.array([fn(v) for v in encoded.dictionary.to_pylist()], pa.string())
    return pc.take(mapped, encoded.indices)


def protect_columns(
    std: Standard, table: TableSpec, columns: Mapping[str, pa.Array], secret: str
) -> dict[str, pa.Array]:
    """Return ``columns`` with personal fields masked and ``<field>_token`` columns added where tokenised."""
    out = dict(columns)
    for spec in table.fields:
        treatment = std.pii[spec.pii]
        if treatment.treatment == "keep" or spec.name not in columns:
            continue
        raw = columns[spec.name]
        if "token" in treatment.treatment:
            out[f"{spec.name}_token"] = _map_distinct(raw, partial(_token, secret=secret, pii_class=spec.pii))
        if "mask" in treatment.treatment and treatment.mask:
            out[spec.name] = _map_distinct(raw, partial(mask, method=treatment.mask))
    return out


def _token(value: str, *, secret: str, pii_class: str) -> str:
    return tokenise(value, secret, pii_class=pii_class)


def protect_payload(std: Standard, table: TableSpec, rows: pa.Table) -> pa.Table:
    """Mask the personal fields of raw records (strings named by field) before they are kept in quarantine.

    Column by column, once per distinct value; empty values stay as they are.
    """
    specs = {spec.name: spec for spec in table.fields}
    columns = {}
    for name in rows.column_names:
        spec = specs.get(name)
        treatment = std.pii[spec.pii] if spec is not None else None
        column = rows.column(name).combine_chunks()
        if treatment is not None and treatment.treatment != "keep" and treatment.mask and len(column):
            column = _map_distinct(column, partial(_mask_present, method=treatment.mask))
        columns[name] = column
    return pa.table(columns)


def _mask_present(value: str, *, method: str) -> str:
    return mask(value, method) if value else value
