"""A 64-bit hash of every row of an Arrow table, computed on the Arrow buffers with numpy (no Python per value).

It is what tells a redelivered row from a changed one (the in-file duplicate check and bronze's ``row_hash``), so
it runs for every row ingested. numpy releases the GIL in its array operations, so two batches hash at once on
two cores. The hash is this module's own definition (not a library's), so it stays the same across library
upgrades: equal typed rows always hash alike.

* a string column: a polynomial over its UTF-8 bytes, ``Σ byte_i · R^i mod 2⁶⁴`` with ``i`` counted from the
  string's first byte, mixed with the length (so zero bytes count too). All strings of a column are hashed at once:
  the terms are computed with the powers of ``R`` at the byte's position in the column's data buffer, summed per
  string from a running sum, and brought back to the string's own start by multiplying with the inverse power
  (``R`` is odd, so it is invertible modulo 2⁶⁴);
* a fixed-width column: its value bits (decimals: both 64-bit words; doubles: ``-0.0`` as ``0.0``, every NaN
  alike);
* a null: its own constant, never the hash of a value;
* the row: the column hashes folded in column order, each step finished by the splitmix64 mixer.

Different rows hash alike with probability about 2⁻⁶⁴ per pair (n²/2⁶⁵ for n rows).
"""

from __future__ import annotations

import threading

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_R = np.uint64(0x9E3779B97F4A7C15 | 3)  # odd, ≡ 3 (mod 4): swapped bytes never cancel out
_R_INVERSE = np.uint64(pow(int(_R), -1, 2**64))
_NULL = np.uint64(0x6A09E667F3BCC909)
_LENGTH = np.uint64(0xBB67AE8584CAA73B)
_COLUMN = np.uint64(0x3C6EF372FE94F82B)
_FOLD = np.uint64(0xA54FF53A5F1D36F1)


class _Powers:
    """``R^i`` and ``R^-i`` for i < n, grown on demand. Threads share them: the pair is replaced as one tuple
    (never one array, then the other), under a lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pair = (np.ones(1, dtype=np.uint64), np.ones(1, dtype=np.uint64))

    def upto(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        pair = self._pair
        if pair[0].size >= n:
            return pair
        with self._lock:
            if self._pair[0].size < n:
                size = max(n, 2 * self._pair[0].size)
                self._pair = (_powers(_R, size), _powers(_R_INVERSE, size))
            return self._pair


def _powers(base: np.uint64, size: int) -> np.ndarray:
    """``base^0 … base^(size-1)`` modulo 2⁶⁴."""
    steps = np.full(size, base, dtype=np.uint64)
    steps[0] = 1
    with np.errstate(over="ignore"):
        return np.cumprod(steps, dtype=np.uint64)


_POWERS = _Powers()
CHUNK_BYTES = 1 << 20


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: every input bit affects every output bit."""
    with np.errstate(over="ignore"):
        z = values ^ (values >> np.uint64(30))
        z = z * np.uint64(0xBF58476D1CE4E5B9)
        z ^= z >> np.uint64(27)
        z = z * np.uint64(0x94D049BB133111EB)
        z ^= z >> np.uint64(31)
    return z


def utf8_view(array: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Value offsets counted from the first value (int64) and the UTF-8 bytes of a ``string`` or ``large_string``
    array, without copying the bytes: value i is ``data[offsets[i]:offsets[i + 1]]``."""
    offset_type = np.int64 if pa.types.is_large_string(array.type) else np.int32
    _, offsets_buffer, data_buffer = array.buffers()
    offsets = np.frombuffer(
        offsets_buffer, dtype=offset_type, count=len(array) + 1, offset=array.offset * offset_type().itemsize
    )
    start, end = int(offsets[0]), int(offsets[-1])
    relative = offsets.astype(np.int64) - start
    if data_buffer is None or end == start:
        return relative, np.zeros(0, dtype=np.uint8)
    return relative, np.frombuffer(data_buffer, dtype=np.uint8, count=end - start, offset=start)


def _string_hashes(array: pa.Array) -> np.ndarray:
    """The strings' hashes, a slice of at most about :data:`CHUNK_BYTES` of text at a time (the temporary
    arrays hold 8 bytes per byte of text)."""
    count = len(array)
    out = np.empty(count, dtype=np.uint64)
    if not count:
        return out
    offsets, _ = utf8_view(array)
    first = 0
    while first < count:
        last = max(first + 1, int(np.searchsorted(offsets, offsets[first] + CHUNK_BYTES, side="right")) - 1)
        out[first:last] = _string_chunk_hashes(array.slice(first, last - first))
        first = last
    return out


def _string_chunk_hashes(array: pa.Array) -> np.ndarray:
    offsets, data = utf8_view(array)
    size = data.size
    forward, inverse = _POWERS.upto(size + 1)
    with np.errstate(over="ignore"):
        if size:
            running = np.empty(size + 1, dtype=np.uint64)  # running[k]: Σ of the terms of bytes before k
            running[0] = 0
            np.multiply(data, forward[:size], out=running[1:], dtype=np.uint64)
            np.cumsum(running[1:], out=running[1:])
            sums = (running[offsets[1:]] - running[offsets[:-1]]) * inverse[offsets[:-1]]
        else:
            sums = np.zeros(len(array), dtype=np.uint64)
        lengths = np.diff(offsets).astype(np.uint64)
        return _mix(sums ^ (lengths * _LENGTH))


def _fixed_width_hashes(array: pa.Array) -> np.ndarray:
    data_type = array.type
    if pa.types.is_boolean(data_type):
        return _mix(pc.fill_null(pc.cast(array, pa.uint8()), 0).to_numpy().astype(np.uint64) + np.uint64(1))
    if pa.types.is_floating(data_type):
        values = pc.fill_null(pc.cast(array, pa.float64()), 0.0).to_numpy().copy()
        values += 0.0  # -0.0 → 0.0
        values[np.isnan(values)] = np.nan
        return _mix(values.view(np.uint64))
    width = data_type.bit_width // 8
    words = max(1, width // 8)
    raw = np.frombuffer(
        array.buffers()[1], dtype=np.uint8, count=len(array) * width, offset=array.offset * width
    )
    if width < 8:
        as_int = raw.view({1: np.int8, 2: np.int16, 4: np.int32}[width]).astype(np.int64)
        return _mix(as_int.view(np.uint64))
    parts = raw.view(np.uint64).reshape(-1, words)
    hashed = _mix(parts[:, 0])
    with np.errstate(over="ignore"):
        for word in range(1, words):
            hashed = _mix(hashed * _FOLD + parts[:, word])
    return hashed


_FIXED_WIDTH_KINDS = (
    pa.types.is_integer,
    pa.types.is_temporal,
    pa.types.is_decimal,
    pa.types.is_boolean,
    pa.types.is_floating,
)


def column_hashes(column: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A 64-bit hash of every value of one column (nulls: a constant of their own)."""
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    data_type = array.type
    if pa.types.is_string(data_type) or pa.types.is_large_string(data_type):
        hashed = _string_hashes(array)
    elif any(is_kind(data_type) for is_kind in _FIXED_WIDTH_KINDS):
        hashed = _fixed_width_hashes(array)
    else:  # any other type: by its text
        hashed = _string_hashes(pc.cast(array, pa.string()))
    if array.null_count:
        hashed = np.where(array.is_valid().to_numpy(zero_copy_only=False), hashed, _NULL)
    return hashed


def content_hashes(typed: pa.Table) -> np.ndarray:
    """A 64-bit hash of each row's values, column order included (equal rows hash alike)."""
    rows = np.zeros(typed.num_rows, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for index, column in enumerate(typed.columns):
            salt = np.uint64(index + 1) * _COLUMN
            rows = _mix(rows * _FOLD + column_hashes(column) + salt)
    return rows
