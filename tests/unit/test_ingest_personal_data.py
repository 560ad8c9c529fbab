"""Personal data in quarantined raw records: masked column by column exactly as ``schemas/pii.yaml`` says."""

from __future__ import annotations

import pyarrow as pa

from jianguan.ingest.personal_data import protect_payload
from jianguan.privacy import mask
from jianguan.settings import Settings
from jianguan.spec.loader import cached_standard


def test_raw_records_are_masked_per_field_and_empty_values_stay() -> None:
    std = cached_standard(Settings().schemas_root)
    table = next(
        t
        for t in std.tables.values()
        if any(std.pii[f.pii].treatment == "keep" for f in t.fields)
        and sum(1 for f in t.fields if std.pii[f.pii].mask) >= 2
    )
    masked = [f for f in table.fields if std.pii[f.pii].treatment != "keep" and std.pii[f.pii].mask]
    kept = next(f for f in table.fields if std.pii[f.pii].treatment == "keep")
    values = ["张三丰", "110101199003077715", "联系电话13812345678", "", None, "张三丰"]
    rows = pa.table({f.name: pa.array(values, pa.string()) for f in [*masked, kept]})
    protected = protect_payload(std, table, rows)
    for spec in masked:
        method = std.pii[spec.pii].mask
        assert method is not None
        expected = [mask(v, method) if v else v for v in values]
        assert protected.column(spec.name).to_pylist() == expected, spec.name
    assert protected.column(kept.name).to_pylist() == values, "a field the standard keeps is not touched"
    assert protected.column_names == rows.column_names
