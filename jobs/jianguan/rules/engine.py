"""Apply a table's row rules to Arrow record batches, column by column.

Why column-wise: a file of millions of rows must validate at a good fraction of raw parsing speed. Cheap rules
(required, length, code list, range, canonical numbers and dates) run as Arrow compute kernels over the whole
column; rules that need Python (check characters, odd date spellings) run once per *distinct* value through a
dictionary encoding, so a column of repeated codes costs one check per code, not per row.

The result keeps every row: typed values (null where a value failed), and for each rule a boolean mask of the
rows it flagged. Ingestion turns error masks into quarantine rows and warn masks into the ``row_warnings``
column, so no input row is lost.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from jianguan.rules.catalog import MESSAGES_ZH, Rule, rules_for_field, type_rule_id
from jianguan.rules.row_hash import content_hashes, utf8_view
from jianguan.spec.model import FieldSpec, TableSpec
from jianguan.spec.types import arrow_type
from jianguan.validate.dates import DateParseError, parse_date, parse_timestamp

FormatCheck = Callable[[str], "str | None"]

# The characters that make a value need cleaning (RE2 syntax); matched on the bytes by ``_needs_cleaning``.
_FULLWIDTH_OR_SPACE = r"[\x{ff01}-\x{ff5e}\x{3000}\x{00a0}\x{200b}-\x{200d}\x{feff}]"
# Python's ``\s`` on str (str.isspace) plus U+00A0, spelled out for RE2, whose ``\s`` is ASCII only.
_WHITESPACE_RUN = r"[\t\n\x0b\x0c\r\x1c-\x1f \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]+"
_CANONICAL_INT = r"^[+-]?\d{1,18}$"
_CANONICAL_FLOAT = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"
_CANONICAL_DATE = r"^\d{4}-\d{2}-\d{2}$"
_TRUE = frozenset({"1", "是", "y", "yes", "true", "t", "有"})
_FALSE = frozenset({"0", "否", "n", "no", "false", "f", "无"})


@dataclass(frozen=True)
class Finding:
    """One rule that flagged one row (what ``reject_reasons`` / ``row_warnings`` hold)."""

    rule_id: str
    column: str
    message_zh: str

    def as_dict(self) -> dict[str, str]:
        return {"rule_id": self.rule_id, "column": self.column, "message_zh": self.message_zh}


@dataclass
class BatchResult:
    """Typed columns of every row, and which rules flagged which rows."""

    typed: pa.Table
    flags: list[tuple[Rule, np.ndarray, dict[int, str]]] = field(default_factory=list)
    _content_hashes: np.ndarray | None = field(default=None, repr=False)

    @property
    def num_rows(self) -> int:
        return self.typed.num_rows

    @property
    def content_hashes(self) -> np.ndarray:
        """:func:`content_hashes` of the typed rows, computed once (duplicate keys and ``row_hash`` both use it)."""
        if self._content_hashes is None:
            self._content_hashes = content_hashes(self.typed)
        return self._content_hashes

    def _mask(self, severity: str) -> np.ndarray:
        mask = np.zeros(self.num_rows, dtype=bool)
        for rule, flagged, _ in self.flags:
            if rule.severity == severity:
                mask |= flagged
        return mask

    @property
    def error_mask(self) -> np.ndarray:
        return self._mask("error")

    @property
    def warn_mask(self) -> np.ndarray:
        return self._mask("warn") & ~self.error_mask

    def findings_json(self, severity: str, rows: np.ndarray) -> list[str | None]:
        """JSON list of findings for each of ``rows`` (row indices), None for a row without any."""
        per_row: dict[int, list[dict[str, str]]] = {}
        wanted = set(rows.tolist())
        for rule, flagged, details in self.flags:
            if rule.severity != severity:
                continue
            for index in np.flatnonzero(flagged):
                row = int(index)
                if row in wanted:
                    message = rule.message_zh + (f"：{details[row]}" if row in details else "")
                    per_row.setdefault(row, []).append(Finding(rule.rule_id, rule.column, message).as_dict())
        return [json.dumps(per_row[r], ensure_ascii=False) if r in per_row else None for r in rows.tolist()]

    def rule_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for rule, flagged, _ in self.flags:
            key = f"{rule.rule_id}:{rule.column}"
            counts[key] = counts.get(key, 0) + int(flagged.sum())
        return counts


class TableValidator:
    """Validates batches of one table. Holds the content hashes of the rows seen so far in the current file
    (:class:`SeenHashes`): a row repeating an earlier row of the file (same key, same values) is a duplicate;
    a row with a known key but other values is a new version of the record (an update delivered in the same
    file) and is kept — the staging models take the latest version per key by the table's ``order_by``."""

    def __init__(
        self,
        table: TableSpec,
        code_values: Mapping[str, frozenset[str]],
        formats: Mapping[str, FormatCheck],
        *,
        max_hashes_in_memory: int = 8_000_000,
        spill_dir: str | Path | None = None,
    ):
        self.table = table
        self._code_values = code_values
        self._formats = formats
        self._seen = SeenHashes(max_hashes_in_memory, spill_dir)
        missing = {f.format for f in table.fields if f.format and f.format not in formats}
        if missing:
            raise ValueError(f"no check for formats {sorted(missing)}")

    def start_file(self) -> None:
        """Duplicates are judged within one file: forget the previous file's rows (and its spill files)."""
        self._seen.clear()

    def finish_file(self) -> None:
        """Release what the file's duplicate check holds (memory and any spill directory); call it in a
        ``finally`` after the last batch. Also done by :meth:`start_file` and when the validator is collected."""
        self._seen.clear()

    def validate(self, raw: pa.Table | pa.RecordBatch) -> BatchResult:
        """``raw`` holds strings named by field; absent fields are treated as empty."""
        result = self.check_rows(raw)
        self.flag_duplicates(result)
        return result

    def check_rows(self, raw: pa.Table | pa.RecordBatch) -> BatchResult:
        """Every rule that judges a row on its own, and the rows' content hashes: :meth:`validate` without the
        duplicate check. It keeps no state, so several batches may be checked at once (in threads); their
        results then go through :meth:`flag_duplicates` one by one, in file order."""
        num_rows = raw.num_rows
        names = set(raw.schema.names)
        columns: dict[str, pa.Array] = {}
        result = BatchResult(typed=pa.table({}))
        for spec in self.table.fields:
            source = (
                _as_string_array(raw.column(spec.name))
                if spec.name in names
                else pa.nulls(num_rows, pa.string())
            )
            typed, flags = self._validate_column(spec, _normalise_strings(source))
            columns[spec.name] = typed
            result.flags.extend(flags)
        result.typed = pa.table(columns)
        _ = result.content_hashes  # computed here, where it can run beside other batches' work
        return result

    def flag_duplicates(self, result: BatchResult) -> None:
        """Flag the rows of a checked batch that repeat an earlier row of the file (batches in file order)."""
        self._flag_duplicate_keys(result)

    # -- one column -------------------------------------------------------------------------------------
    def _validate_column(self, spec: FieldSpec, values: pa.Array) -> tuple[pa.Array, list[Any]]:
        rules = {rule.rule_id: rule for rule in rules_for_field(spec)}
        flags: list[tuple[Rule, np.ndarray, dict[int, str]]] = []
        present = pc.is_valid(values)

        def flag(rule_id: str, mask: pa.Array | np.ndarray, details: dict[int, str] | None = None) -> None:
            array = np.asarray(mask.to_numpy(zero_copy_only=False) if isinstance(mask, pa.Array) else mask)
            array = np.nan_to_num(array.astype(float), nan=0).astype(bool) if array.dtype == object else array
            if array.any():
                flags.append((rules[rule_id], array, details or {}))

        if "required" in rules:
            flag("required", pc.invert(present))
        if "max_length" in rules and spec.length is not None:
            flag("max_length", pc.fill_null(pc.greater(pc.utf8_length(values), spec.length), False))
        if spec.format:
            failed, details = _map_check(values, self._formats[spec.format])
            flag(f"format_{spec.format}", failed, details)
        if spec.code_list:
            flag(
                "code_list", *_code_list_failures(values, self._code_values[spec.code_list], spec.multi_value)
            )
        typed, type_failed, type_details = _convert(spec, values)
        type_id = type_rule_id(spec)
        if type_id:
            flag(type_id, type_failed, type_details)
        if "range" in rules:
            flag("range", _range_failures(typed, spec))
        return typed, flags

    def _flag_duplicate_keys(self, result: BatchResult) -> None:
        """Flag rows repeating an earlier eligible row of the file: same content hash, hence same key.

        The content hash covers every typed value, business-key columns included, so equal hashes mean equal
        keys and values; judging by the hash alone therefore gives what a key -> {content} map would, in
        numpy. A row with an error or an incomplete key is not eligible: it is never a duplicate and claims
        nothing. Two different rows hash alike with probability about n²/2⁶⁵ (n rows in the file: ~3e-6 for
        10 million rows); the later one would be quarantined as a duplicate with its reason, never lost.
        """
        eligible = ~result.error_mask
        for name in self.table.business_key:
            eligible &= np.asarray(pc.is_valid(result.typed.column(name)).to_numpy(zero_copy_only=False))
        rows = np.flatnonzero(eligible)
        if rows.size == 0:
            return
        hashes = result.content_hashes[rows]
        distinct, first = np.unique(hashes, return_index=True)  # first: the earliest row of each hash
        earlier = self._seen.contains(distinct)
        repeat = np.ones(rows.size, dtype=bool)
        repeat[first[~earlier]] = False  # first in the file: kept, and claims its content
        self._seen.add(distinct[~earlier])
        if repeat.any():
            duplicate = np.zeros(result.num_rows, dtype=bool)
            duplicate[rows[repeat]] = True
            rule = next(r for r in _table_rules(self.table) if r.rule_id == "duplicate_key")
            result.flags.append((rule, duplicate, {}))


class SeenHashes:
    """The set of 64-bit content hashes seen so far in one file, as sorted runs merged LSM-style.

    Each batch adds one sorted run of new hashes; the last two runs are merged while the older is no more than
    twice the size of the newer, so there are O(log n) runs and each hash is merged O(log n) times — O(n log n)
    for the file instead of a re-sort per batch. Membership is one ``np.searchsorted`` per run.

    Memory stays bounded whatever the file size: once more than ``max_in_memory`` hashes (8 bytes each; an
    in-memory merge briefly needs about twice that) would be held in RAM, the largest in-memory runs are written
    to ``.npy`` files in a private temporary directory and used through memory maps; merges involving such runs
    stream through chunks of ``chunk`` hashes. The
    directory is removed by :meth:`clear` (called when a file starts and ends) and, failing that, when the
    object is garbage collected or the interpreter exits (``weakref.finalize``).
    """

    def __init__(
        self, max_in_memory: int = 8_000_000, spill_dir: str | Path | None = None, chunk: int = 1 << 20
    ) -> None:
        self.max_in_memory = max(1, max_in_memory)
        self.spill_dir = spill_dir
        self.chunk = max(1, chunk)
        self._runs: list[np.ndarray] = []  # oldest (largest) first; np.memmap when spilled
        self._tmp: Path | None = None
        self._cleanup: weakref.finalize[Any, Any] | None = None
        self._files = 0

    def __len__(self) -> int:
        return sum(run.size for run in self._runs)

    def contains(self, hashes: np.ndarray) -> np.ndarray:
        """Which of ``hashes`` (any order) are in the set."""
        found = np.zeros(hashes.size, dtype=bool)
        for run in self._runs:
            at = np.searchsorted(run, hashes)
            inside = at < run.size
            found[inside] |= run[at[inside]] == hashes[inside]
        return found

    def add(self, new: np.ndarray) -> None:
        """Add ``new``: sorted, distinct, and none of them already in the set."""
        if new.size == 0:
            return
        self._runs.append(np.asarray(new, dtype=np.uint64))
        while len(self._runs) >= 2 and self._runs[-2].size <= 2 * self._runs[-1].size:
            newer = self._runs.pop()
            older = self._runs.pop()
            self._runs.append(self._merge(older, newer))
        self._spill_if_needed()

    def clear(self) -> None:
        """Forget every hash and remove the spill directory (safe to call repeatedly)."""
        self._runs = []
        if self._cleanup is not None:
            self._cleanup()
            self._cleanup = None
        self._tmp = None

    # -- internals --------------------------------------------------------------------------------------
    def _in_memory(self) -> int:
        return sum(run.size for run in self._runs if not isinstance(run, np.memmap))

    def _merge(self, older: np.ndarray, newer: np.ndarray) -> np.ndarray:
        size = older.size + newer.size
        spilled = isinstance(older, np.memmap) or isinstance(newer, np.memmap)
        if not spilled and self._in_memory() + size <= self.max_in_memory:
            # timsort finds the two sorted runs and merges them in linear time
            return np.sort(np.concatenate([older, newer]), kind="stable")
        out = self._new_file(size)
        _merge_sorted_into(older, newer, out, self.chunk)
        out.flush()
        self._release(older, newer)
        return out

    def _spill_if_needed(self) -> None:
        while self._in_memory() > self.max_in_memory:
            index = max(
                (i for i, run in enumerate(self._runs) if not isinstance(run, np.memmap)),
                key=lambda i: self._runs[i].size,
            )
            run = self._runs[index]
            out = self._new_file(run.size)
            out[:] = run
            out.flush()
            self._runs[index] = out

    def _new_file(self, size: int) -> np.memmap:
        if self._tmp is None:
            if self.spill_dir is not None:
                Path(self.spill_dir).mkdir(parents=True, exist_ok=True)
            self._tmp = Path(tempfile.mkdtemp(prefix="jianguan-seen-hashes-", dir=self.spill_dir))
            self._cleanup = weakref.finalize(self, shutil.rmtree, self._tmp, ignore_errors=True)
        self._files += 1
        path = self._tmp / f"run-{self._files:06d}.npy"
        return np.lib.format.open_memmap(path, mode="w+", dtype=np.uint64, shape=(size,))

    @staticmethod
    def _release(*runs: np.ndarray) -> None:
        """Delete the files of merged-away runs now (POSIX keeps a mapped file readable until unmapped)."""
        for run in runs:
            if isinstance(run, np.memmap) and run.filename:
                Path(run.filename).unlink(missing_ok=True)


def _merge_sorted_into(a: np.ndarray, b: np.ndarray, out: np.ndarray, chunk: int) -> None:
    """Merge sorted ``a`` and ``b`` into ``out`` reading at most ``chunk`` values of each at a time."""
    i = j = k = 0
    while i < a.size and j < b.size:
        a_part = np.asarray(a[i : i + chunk])
        b_part = np.asarray(b[j : j + chunk])
        cut = min(a_part[-1], b_part[-1])  # everything up to here from both parts is final
        na = int(np.searchsorted(a_part, cut, side="right"))
        nb = int(np.searchsorted(b_part, cut, side="right"))
        out[k : k + na + nb] = np.sort(np.concatenate([a_part[:na], b_part[:nb]]), kind="stable")
        i, j, k = i + na, j + nb, k + na + nb
    for rest, start in ((a, i), (b, j)):
        for begin in range(start, rest.size, chunk):
            part = np.asarray(rest[begin : begin + chunk])
            out[k : k + part.size] = part
            k += part.size


def _table_rules(table: TableSpec) -> Iterable[Rule]:
    from jianguan.rules.catalog import rules_for_table

    return rules_for_table(table)


def _as_string_array(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    return array if pa.types.is_string(array.type) else pc.cast(array, pa.string())


def _normalise_strings(values: pa.Array) -> pa.Array:
    """Full-width → half-width only where needed, trim, and treat empty strings as missing.

    Only values holding a character of ``_FULLWIDTH_OR_SPACE`` are cleaned (and only those get their whitespace
    runs collapsed): they are found on the UTF-8 bytes (:func:`_needs_cleaning`), filtered out, cleaned by
    :func:`_clean_strings` and put back in place, so a column costs a few passes over its bytes however many
    of its values need cleaning, and no Python call per value.
    """
    if len(values) == 0:
        return values
    needs = _needs_cleaning(values)
    if needs.any():
        mask = pa.array(needs, pa.bool_())
        values = pc.replace_with_mask(values, mask, _clean_strings(pc.filter(values, mask)))
    trimmed = pc.utf8_trim_whitespace(values)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)


@dataclass(frozen=True)
class _Specials:
    """Where the characters the cleaning touches start in a UTF-8 byte array, by kind.

    Each of them starts with a lead byte (C2, E2, E3 or EF) that in valid UTF-8 never occurs inside another
    character, so a byte pattern found at a lead byte is that character: no decoding is needed.
    """

    lead: np.ndarray  # byte positions of candidate lead bytes
    fullwidth_low: np.ndarray  # EF BC 81..BF = U+FF01..U+FF3F
    fullwidth_high: np.ndarray  # EF BD 80..9E = U+FF40..U+FF5E
    ideographic_space: np.ndarray  # E3 80 80 = U+3000
    zero_width: np.ndarray  # E2 80 8B..8D = U+200B..U+200D, EF BB BF = U+FEFF
    no_break_space: np.ndarray  # C2 A0 = U+00A0

    @classmethod
    def find(cls, data: np.ndarray) -> _Specials:
        candidate = (data | 1) == 0xE3  # E2 or E3
        candidate |= data == 0xEF
        candidate |= data == 0xC2
        lead = np.flatnonzero(candidate)
        last = data.size - 1
        b0 = data[lead]
        b1 = data[np.minimum(lead + 1, last)]
        b2 = data[np.minimum(lead + 2, last)]
        whole = lead + 2 <= last  # a three-byte character fits (always, unless the bytes are not UTF-8)
        ef, e2 = whole & (b0 == 0xEF), whole & (b0 == 0xE2)
        return cls(
            lead=lead,
            fullwidth_low=ef & (b1 == 0xBC) & (b2 >= 0x81) & (b2 <= 0xBF),
            fullwidth_high=ef & (b1 == 0xBD) & (b2 >= 0x80) & (b2 <= 0x9E),
            ideographic_space=whole & (b0 == 0xE3) & (b1 == 0x80) & (b2 == 0x80),
            zero_width=(e2 & (b1 == 0x80) & (b2 >= 0x8B) & (b2 <= 0x8D)) | (ef & (b1 == 0xBB) & (b2 == 0xBF)),
            no_break_space=(lead + 1 <= last) & (b0 == 0xC2) & (b1 == 0xA0),
        )


def _needs_cleaning(values: pa.Array) -> np.ndarray:
    """Rows whose value holds a character of ``_FULLWIDTH_OR_SPACE`` (nulls never): a regex match done on the
    bytes, several times faster than RE2 on long Chinese text."""
    offsets, data = utf8_view(values)
    found = _Specials.find(data)
    special = (
        found.fullwidth_low
        | found.fullwidth_high
        | found.ideographic_space
        | found.zero_width
        | found.no_break_space
    )
    needs = np.zeros(len(values), dtype=bool)
    needs[np.searchsorted(offsets, found.lead[special], side="right") - 1] = True
    if values.null_count:
        needs &= np.asarray(pc.is_valid(values).to_numpy(zero_copy_only=False))
    return needs


def _clean_strings(values: pa.Array) -> pa.Array:
    """The cleaning over a whole string array (``tests/unit/test_rules_engine.py`` holds the per-value
    definition it must agree with), without a Python call per value.

    Half-width mapping and zero-width removal are done on the UTF-8 bytes with numpy (:class:`_Specials`): a
    full-width character keeps its first byte, rewritten to the ASCII byte, and drops the other two; a
    zero-width character drops all three; each offset moves left by the bytes dropped before it. Whitespace
    runs are then collapsed by RE2, with Python's Unicode ``\\s`` class written out (``_WHITESPACE_RUN``)
    because RE2's ``\\s`` is ASCII only.
    """
    array = values.cast(pa.string())
    if len(array) == 0:
        return array
    offsets, data = utf8_view(array)
    found = _Specials.find(data)
    shortened = found.fullwidth_low | found.fullwidth_high | found.ideographic_space
    if shortened.any() or found.zero_width.any():
        lead, b2 = found.lead, data[np.minimum(found.lead + 2, max(data.size - 1, 0))]
        out = data.copy()
        out[lead[found.fullwidth_low]] = b2[found.fullwidth_low] - 0x60  # EF BC 81 (U+FF01) -> 0x21 "!"
        out[lead[found.fullwidth_high]] = b2[found.fullwidth_high] - 0x20  # EF BD 80 (U+FF40) -> 0x60 "`"
        out[lead[found.ideographic_space]] = 0x20
        dropped = np.sort(
            np.concatenate(
                [lead[shortened] + 1, lead[shortened] + 2, *(lead[found.zero_width] + i for i in range(3))]
            )
        )
        # each offset moves left by the number of bytes dropped before it
        offsets = offsets - np.searchsorted(dropped, offsets, side="left")
        data = np.delete(out, dropped)
    rebuilt: pa.Array = pa.StringArray.from_buffers(
        len(array),
        pa.py_buffer(np.ascontiguousarray(offsets, dtype=np.int32)),
        pa.py_buffer(np.ascontiguousarray(data)),
    )
    if array.null_count:
        rebuilt = pc.if_else(pc.is_valid(array), rebuilt, pa.scalar(None, pa.string()))
    return pc.replace_substring_regex(rebuilt, pattern=_WHITESPACE_RUN, replacement=" ")


def _map_distinct(values: pa.Array, fn: Callable[[str], Any]) -> tuple[list[Any], pa.Array]:
    """Apply ``fn`` once per distinct non-null value; return the per-distinct results and row indices."""
    encoded = values.dictionary_encode()
    distinct = encoded.dictionary.to_pylist()
    return [fn(v) for v in distinct], encoded.indices


def _map_check(values: pa.Array, check: FormatCheck) -> tuple[np.ndarray, dict[int, str]]:
    results, indices = _map_distinct(values, check)
    if not any(results):
        return np.zeros(len(values), dtype=bool), {}
    failed_distinct = pa.array([r is not None for r in results], pa.bool_())
    failed = pc.fill_null(pc.take(failed_distinct, indices), False).to_numpy(zero_copy_only=False)
    index_list = indices.to_pylist()
    details = {int(row): results[index_list[row]] for row in np.flatnonzero(failed)}
    return failed, details


def _code_list_failures(
    values: pa.Array, allowed: frozenset[str], multi_value: bool
) -> tuple[np.ndarray, dict[int, str]]:
    if not multi_value:
        bad = pc.and_(
            pc.is_valid(values), pc.invert(pc.is_in(values, pa.array(sorted(allowed), pa.string())))
        )
        failed = pc.fill_null(bad, False).to_numpy(zero_copy_only=False)
        rows = np.flatnonzero(failed)
        as_list = values.to_pylist() if rows.size else []
        return failed, {int(r): f"{as_list[r]}" for r in rows}

    def check_many(value: str) -> str | None:
        parts = [p.strip() for p in re.split(r"[,，;；、]", value) if p.strip()]
        unknown = [p for p in parts if p not in allowed]
        return ",".join(unknown) if unknown or not parts else None

    return _map_check(values, check_many)


def _convert(spec: FieldSpec, values: pa.Array) -> tuple[pa.Array, np.ndarray, dict[int, str]]:
    """Typed array (null where conversion failed), a failure mask, and per-row details."""
    target = arrow_type(spec.type)
    none = np.zeros(len(values), dtype=bool)
    if spec.type == "string":
        return values, none, {}
    fast_pattern = {
        "integer": _CANONICAL_INT,
        "long": _CANONICAL_INT,
        "double": _CANONICAL_FLOAT,
        "date": _CANONICAL_DATE,
    }.get(spec.type)
    converter = _python_converter(spec)
    if fast_pattern is not None:
        canonical = pc.fill_null(pc.match_substring_regex(values, fast_pattern), False)
        if pc.all(pc.or_(canonical, pc.is_null(values))).as_py():
            try:
                return _cast_canonical(values, spec.type, target), none, {}
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                pass  # e.g. 2026-02-30: fall through to the per-value path, which names the problem
    results, indices = _map_distinct(values, converter)
    converted = [value for value, _ in results]
    errors = [error for _, error in results]
    typed = pc.take(pa.array(converted, target), indices)
    failed_distinct = pa.array([e is not None for e in errors], pa.bool_())
    failed = pc.fill_null(pc.take(failed_distinct, indices), False).to_numpy(zero_copy_only=False)
    index_list = indices.to_pylist() if failed.any() else []
    details = {int(r): f"{errors[index_list[r]]}" for r in np.flatnonzero(failed)}
    return typed, failed, details


def _cast_canonical(values: pa.Array, type_name: str, target: pa.DataType) -> pa.Array:
    if type_name == "date":
        return pc.cast(pc.strptime(values, format="%Y-%m-%d", unit="s", error_is_null=False), target)
    return pc.cast(values, target)


def _python_converter(spec: FieldSpec) -> Callable[[str], tuple[Any, str | None]]:
    type_name = spec.type

    def convert(value: str) -> tuple[Any, str | None]:
        try:
            return _convert_one(type_name, spec, value), None
        except (ValueError, InvalidOperation, ArithmeticError) as exc:
            message = str(exc) if isinstance(exc, DateParseError) else f"{value[:40]}"
            return None, message

    return convert


def _convert_one(type_name: str, spec: FieldSpec, value: str) -> Any:
    if type_name in {"integer", "long"}:
        number = Decimal(value.replace(",", ""))
        if number != number.to_integral_value():
            raise ValueError(value)
        integer = int(number)
        limit = 2**31 if type_name == "integer" else 2**63
        if not -limit <= integer < limit:
            raise ValueError(value)
        return integer
    if type_name == "double":
        return float(value.replace(",", ""))
    if type_name == "boolean":
        lowered = value.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueError(value)
    if type_name == "date":
        return _as_date(parse_date(value))
    if type_name == "timestamp":
        return _as_timestamp(parse_timestamp(value))
    scale = spec.decimal_precision_scale
    if scale is not None:
        precision, digits = scale
        amount = Decimal(value.replace(",", "").replace("元", "").replace("¥", "").strip())
        quantised = amount.quantize(Decimal(1).scaleb(-digits))
        if len(quantised.as_tuple().digits) > precision or not amount.is_finite():
            raise ValueError(value)
        return quantised
    raise ValueError(f"unsupported type {type_name}")


def _as_date(value: date) -> date:
    return value


def _as_timestamp(value: datetime) -> datetime:
    return value


def _range_failures(typed: pa.Array, spec: FieldSpec) -> np.ndarray:
    failed = pa.array(np.zeros(len(typed), dtype=bool))
    if spec.min is not None:
        failed = pc.or_(failed, pc.fill_null(pc.less(typed, _bound(spec, spec.min)), False))
    if spec.max is not None:
        failed = pc.or_(failed, pc.fill_null(pc.greater(typed, _bound(spec, spec.max)), False))
    return np.asarray(failed.to_numpy(zero_copy_only=False))


def _bound(spec: FieldSpec, bound: float) -> pa.Scalar:
    target = arrow_type(spec.type)
    if pa.types.is_decimal(target):
        return pa.scalar(Decimal(str(bound)).quantize(Decimal(1).scaleb(-target.scale)), target)
    if pa.types.is_integer(target):
        return pa.scalar(int(bound), target)
    return pa.scalar(float(bound), target)


__all__ = ["MESSAGES_ZH", "BatchResult", "Finding", "SeenHashes", "TableValidator"]
