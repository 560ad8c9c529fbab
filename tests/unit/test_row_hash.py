"""The row hash behind the in-file duplicate check and bronze's ``row_hash``: equal rows alike, different rows not."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pytest

from jianguan.rules import row_hash
from jianguan.rules.row_hash import column_hashes, content_hashes

TYPES = {
    "s": pa.string(),
    "i": pa.int32(),
    "l": pa.int64(),
    "d": pa.decimal128(18, 2),
    "w": pa.decimal128(38, 4),
    "ts": pa.timestamp("us", tz="UTC"),
    "day": pa.date32(),
    "f": pa.float64(),
    "b": pa.bool_(),
}
ROWS = [
    {"s": "武汉市洪山区", "i": 1, "l": 10**12, "d": Decimal("1.10"), "w": Decimal("1.0000"),
     "ts": dt.datetime(2026, 11, 2, 8, tzinfo=dt.UTC), "day": dt.date(2026, 11, 2), "f": 0.5, "b": True},
    {"s": "武汉市洪山区", "i": 1, "l": 10**12, "d": Decimal("1.10"), "w": Decimal("1.0000"),
     "ts": dt.datetime(2026, 11, 2, 8, tzinfo=dt.UTC), "day": dt.date(2026, 11, 2), "f": 0.5, "b": True},
    {"s": None, "i": None, "l": None, "d": None, "w": None, "ts": None, "day": None, "f": None, "b": None},
    {"s": "", "i": 0, "l": 0, "d": Decimal(0), "w": Decimal(0), "ts": dt.datetime(1970, 1, 1, tzinfo=dt.UTC),
     "day": dt.date(1970, 1, 1), "f": 0.0, "b": False},
]  # fmt: skip


def _table(rows: list[dict[str, object]]) -> pa.Table:
    return pa.table({name: pa.array([r[name] for r in rows], t) for name, t in TYPES.items()})


def test_equal_rows_hash_alike_and_a_change_in_any_column_changes_the_hash() -> None:
    base = _table(ROWS)
    hashes = content_hashes(base)
    assert hashes[0] == hashes[1]
    assert len(set(hashes.tolist())) == 3, "a null differs from an empty string, a zero, false, the epoch"
    for name in TYPES:
        changed = dict(ROWS[0])
        changed[name] = ROWS[3][name]
        assert content_hashes(_table([changed]))[0] != hashes[0], name


def test_values_that_must_differ_do_and_signed_zero_and_nan_do_not() -> None:
    strings = column_hashes(pa.array(["ab", "ba", "a", "a\x00", "\x00a", "", None, "长" * 5000, "长" * 5001]))
    assert len(set(strings.tolist())) == len(strings)
    floats = column_hashes(pa.array([0.0, -0.0, float("nan"), -float("nan"), 1.0, None]))
    assert floats[0] == floats[1] and floats[2] == floats[3]
    assert len({floats[0], floats[2], floats[4], floats[5]}) == 4
    wide = column_hashes(
        pa.array([Decimal("1.0000"), Decimal("-1.0000"), Decimal(2**70)], pa.decimal128(38, 4))
    )
    assert len(set(wide.tolist())) == 3


def test_columns_are_hashed_in_order() -> None:
    table = pa.table({"a": ["x", "y"], "b": ["y", "x"]})
    swapped = table.select(["b", "a"]).rename_columns(["a", "b"])
    assert content_hashes(table)[0] == content_hashes(swapped)[1]
    assert content_hashes(table)[0] != content_hashes(swapped)[0]


def test_slices_chunks_and_the_text_chunk_size_do_not_change_a_rows_hash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(5)
    words = ["", "a", "长文本", "x" * 300, "检查 实施", None]
    table = pa.table(
        {
            "s": [words[int(k)] for k in rng.integers(0, len(words), 2000)],
            "n": pa.array(rng.integers(-(10**9), 10**9, 2000), pa.int64()),
        }
    )
    whole = content_hashes(table)
    assert (content_hashes(table.slice(700, 900)) == whole[700:1600]).all()
    chunked = pa.concat_tables([table.slice(0, 333), table.slice(333)])
    assert (content_hashes(chunked) == whole).all()
    monkeypatch.setattr(row_hash, "CHUNK_BYTES", 7)
    assert (content_hashes(table) == whole).all()


def test_the_definition_is_pinned() -> None:
    """Bronze keeps these hashes: a change to the definition must be deliberate (and migrate ``row_hash``)."""
    assert [f"{h:016x}" for h in content_hashes(_table(ROWS)).tolist()] == PINNED


PINNED = ["a1fc94058e920c36", "a1fc94058e920c36", "9bf746bbbb7a7a70", "9d8838cb49d39292"]
"""Computed by this module when the definition was written (a regression pin, not an independent check)."""


def test_threads_growing_the_shared_powers_at_once_get_the_same_hashes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    arrays = [pa.array(["长" * (size % 97) + str(size) for size in range(n)]) for n in range(1, 4000, 97)]
    expected = [column_hashes(a) for a in arrays]
    for _ in range(3):
        monkeypatch.setattr(row_hash, "_POWERS", row_hash._Powers())  # every thread has to grow them
        with ThreadPoolExecutor(max_workers=4) as pool:
            results = list(pool.map(column_hashes, arrays))
        assert all((r == e).all() for r, e in zip(results, expected, strict=True))


def test_row_hashes_are_sixteen_hex_digits_of_each_content_hash() -> None:
    from jianguan.ingest.file_ingest import row_hashes

    hashes = np.array([0, 1, 2**64 - 1, 0x0123456789ABCDEF, 0xFEDCBA9876543210], dtype=np.uint64)
    hashed = row_hashes(hashes)
    hashed.validate(full=True)
    assert hashed.to_pylist() == [f"{h:016x}" for h in hashes.tolist()]
    assert row_hashes(np.zeros(0, dtype=np.uint64)).to_pylist() == []
