"""Streaming readers for landed files, driven by the feed layouts in ``schemas/feeds/``.

Every reader yields :class:`RawBatch` objects: the values *as strings*, named by the target table's fields
(mapped from the Chinese headers the source system writes), the 1-based record number of every row, and the
records that could not even be split into fields (wrong column count, broken JSON line) so they can be
quarantined row by row. A file that cannot be read as a whole (encoding, header, truncation, size, XML with a
DTD) raises :class:`~jianguan.errors.SourceFileError` and is quarantined as a file.

Memory is bounded by the batch size, never by the file size (except plain JSON documents, which are parsed
whole and are therefore capped in size; large deliveries use JSON Lines).
"""

from __future__ import annotations

import codecs
import datetime as dt
import io
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pv

from jianguan.errors import SourceFileError
from jianguan.ingest.encoding import decide_encoding
from jianguan.spec.model import FeedSpec

BATCH_ROWS = 65_536
JSON_MAX_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class BadRecord:
    """A record that could not be split into fields; quarantined with its raw text."""

    row_number: int
    reason_zh: str
    raw_text: str


@dataclass
class RawBatch:
    table: pa.Table
    """String columns named by field; only fields the file delivers are present."""
    row_numbers: np.ndarray
    bad_records: list[BadRecord] = field(default_factory=list)


@dataclass
class FileHeader:
    """How the file's header maps onto the feed, and what was off about it."""

    fields: list[str | None]
    """Target field per column position (None for a column the feed does not know)."""
    warnings: list[str] = field(default_factory=list)


def map_header(path: Path, feed: FeedSpec, header: Sequence[Any], required: set[str]) -> FileHeader:
    """Map a header row onto fields; a missing required column makes the whole file unreadable."""
    names = [str(h).strip().lstrip("\ufeff") if h is not None else "" for h in header]
    mapping = feed.header_to_field
    fields: list[str | None] = [mapping.get(name) for name in names]
    unknown = [n for n, f in zip(names, fields, strict=True) if f is None and n]
    delivered = {f for f in fields if f}
    missing_required = sorted(required - delivered)
    if missing_required:
        wanted = [c.header for c in feed.columns if c.field in missing_required]
        raise SourceFileError(
            str(path),
            f"表头不符：缺少必填列{wanted}" + (f"，出现未约定列{unknown}" if unknown else ""),
            rule_id="file_header",
        )
    warnings = []
    if unknown:
        warnings.append(f"出现未约定列{unknown}，已忽略")
    missing_optional = [c.header for c in feed.columns if c.field not in delivered]
    if missing_optional:
        warnings.append(f"缺少可选列{missing_optional}")
    return FileHeader(fields, warnings)


def _record_numbers(first: int, count: int, skipped: list[int]) -> tuple[np.ndarray, int]:
    """The record numbers of ``count`` parsed rows starting at ``first``, leaving out the numbers of ``skipped``
    records (unsplittable ones, reported separately); also the number after the last one."""
    candidates = np.arange(first, first + count + len(skipped), dtype=np.int64)
    if skipped:
        candidates = candidates[~np.isin(candidates, np.asarray(skipped, dtype=np.int64))]
    numbers = candidates[:count]
    following = int(numbers[-1]) + 1 if count else first
    passed = set(skipped)
    while following in passed:  # a skipped record right after the last row: not the next block's first number
        following += 1
    return numbers, following


class FeedFileReader:
    """Reads one landed file of one feed. Iterate :meth:`batches` once."""

    def __init__(
        self, path: Path, feed: FeedSpec, required_fields: set[str], *, batch_rows: int = BATCH_ROWS
    ):
        self.path = path
        self.feed = feed
        self.required_fields = required_fields
        self.batch_rows = batch_rows
        self.header: FileHeader | None = None
        self.notes: list[str] = []

    def batches(self) -> Iterator[RawBatch]:
        readers = {
            "csv": self._csv,
            "xlsx": self._xlsx,
            "json": self._json,
            "jsonl": self._jsonl,
            "xml": self._xml,
        }
        if not self.path.stat().st_size:
            raise SourceFileError(str(self.path), "文件为空", rule_id="file_empty")
        yield from readers[self.feed.format]()

    # -- helpers ------------------------------------------------------------------------------------------
    def _set_header(self, header: Sequence[Any]) -> FileHeader:
        self.header = map_header(self.path, self.feed, header, self.required_fields)
        return self.header

    def _batch_from_rows(
        self, rows: list[list[str | None]], numbers: list[int], bad: list[BadRecord]
    ) -> RawBatch:
        assert self.header is not None
        columns: dict[str, list[str | None]] = {}
        for position, name in enumerate(self.header.fields):
            if name is not None:
                columns[name] = [row[position] if position < len(row) else None for row in rows]
        table = pa.table({k: pa.array(v, pa.string()) for k, v in columns.items()})
        if not columns:
            table = pa.table({"__empty": pa.nulls(len(rows), pa.string())}).drop(["__empty"])
        return RawBatch(table, np.asarray(numbers, dtype=np.int64), bad)

    # -- CSV ------------------------------------------------------------------------------------------------
    def _csv(self) -> Iterator[RawBatch]:
        decision = decide_encoding(self.path, self.feed.encoding)
        if decision.note:
            self.notes.append(decision.note)
        delimiter = self.feed.csv.delimiter if self.feed.csv else ","
        quote = self.feed.csv.quotechar if self.feed.csv else '"'
        invalid: list[BadRecord] = []

        def on_invalid(row: pv.InvalidRow) -> str:
            number = (row.number or 0) - 1  # the header is physical row 1
            invalid.append(
                BadRecord(
                    number, f"列数不符：应为{row.expected_columns}列，实为{row.actual_columns}列", row.text
                )
            )
            return "skip"

        encoding = "utf8" if decision.encoding == "utf-8-sig" else decision.encoding
        try:
            reader = pv.open_csv(
                self.path,
                read_options=pv.ReadOptions(use_threads=False, block_size=8 << 20, encoding=encoding),
                parse_options=pv.ParseOptions(
                    delimiter=delimiter, quote_char=quote, newlines_in_values=True, invalid_row_handler=on_invalid
                ),
                convert_options=pv.ConvertOptions(
                    check_utf8=True, strings_can_be_null=False, quoted_strings_can_be_null=False,
                    column_types=_all_string_types(self.path, encoding, delimiter, quote),
                ),
            )  # fmt: skip
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            raise SourceFileError(
                str(self.path), f"CSV文件无法读取：{exc}", rule_id="file_unreadable"
            ) from exc
        self._set_header(reader.schema.names)
        next_number = 1
        reported = skipped = 0
        try:
            for record_batch in reader:
                # Invalid rows reported so far all lie before the end of this block: skip their numbers.
                numbers, next_number = _record_numbers(
                    next_number, record_batch.num_rows, [b.row_number for b in invalid[skipped:]]
                )
                skipped = len(invalid)
                new_bad = invalid[reported:]
                reported = len(invalid)
                yield self._arrow_batch(record_batch, numbers, new_bad)
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            raise SourceFileError(
                str(self.path), f"CSV文件无法读取：{exc}", rule_id="file_unreadable"
            ) from exc
        self._check_truncation(invalid)
        if invalid[reported:]:
            yield RawBatch(pa.table({}), np.asarray([], dtype=np.int64), invalid[reported:])

    def _arrow_batch(self, batch: pa.RecordBatch, numbers: np.ndarray, bad: list[BadRecord]) -> RawBatch:
        assert self.header is not None
        arrays = {
            name: batch.column(position)
            for position, name in enumerate(self.header.fields)
            if name is not None
        }
        table = pa.table(arrays) if arrays else pa.table({})
        return RawBatch(table, numbers, bad)

    def _check_truncation(self, invalid: list[BadRecord]) -> None:
        """A short last record in a file that does not end with a line break: the delivery was cut off."""
        if not invalid:
            return
        with self.path.open("rb") as handle:
            handle.seek(max(0, self.path.stat().st_size - 1))
            ends_with_newline = handle.read(1) in {b"\n", b"\r"}
        if not ends_with_newline and invalid[-1].raw_text and self._is_last_record(invalid[-1]):
            raise SourceFileError(
                str(self.path),
                f"文件被截断：第{invalid[-1].row_number}条记录不完整",
                rule_id="file_truncated",
            )

    def _is_last_record(self, record: BadRecord) -> bool:
        with self.path.open("rb") as handle:
            handle.seek(max(0, self.path.stat().st_size - 4096))
            tail = handle.read()
        encoding = "utf-8" if self.feed.encoding == "utf-8-sig" else self.feed.encoding
        return tail.decode(encoding, errors="ignore").rstrip("\r\n").endswith(record.raw_text[-50:])

    # -- XLSX -------------------------------------------------------------------------------------------------
    def _xlsx(self) -> Iterator[RawBatch]:
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(self.path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises zipfile/KeyError/InvalidFileException variants
            if _is_cut_zip(self.path):
                raise SourceFileError(
                    str(self.path), f"文件被截断：Excel文件不完整（{exc}）", rule_id="file_truncated"
                ) from exc
            raise SourceFileError(
                str(self.path), f"Excel文件无法打开：{exc}", rule_id="file_unreadable"
            ) from exc
        try:
            options = self.feed.xlsx
            sheet_ref = options.sheet if options else 0
            sheet = workbook.worksheets[sheet_ref] if isinstance(sheet_ref, int) else workbook[sheet_ref]
            title_rows = options.title_rows if options else 0
            rows = sheet.iter_rows(values_only=True)
            for _ in range(title_rows):
                next(rows, None)
            header = next(rows, None)
            if header is None:
                raise SourceFileError(str(self.path), "Excel文件没有表头行", rule_id="file_header")
            self._set_header(header)
            buffer: list[list[str | None]] = []
            numbers: list[int] = []
            number = 0
            for row in rows:
                if row is None or all(cell is None or str(cell).strip() == "" for cell in row):
                    continue  # Excel leaves formatted but empty rows at the end of sheets
                number += 1
                buffer.append([_cell_text(cell) for cell in row])
                numbers.append(number)
                if len(buffer) >= self.batch_rows:
                    yield self._batch_from_rows(buffer, numbers, [])
                    buffer, numbers = [], []
            if buffer:
                yield self._batch_from_rows(buffer, numbers, [])
        finally:
            workbook.close()

    # -- JSON / JSONL --------------------------------------------------------------------------------------------
    def _json(self) -> Iterator[RawBatch]:
        if self.path.stat().st_size > JSON_MAX_BYTES:
            raise SourceFileError(
                str(self.path), "JSON文件超过大小上限，请改用JSON Lines", rule_id="file_too_large"
            )
        decision = decide_encoding(self.path, self.feed.encoding)
        text = ""
        try:
            text = self.path.read_text(encoding=decision.encoding)
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            # A document that starts like one and breaks off at its end was cut in transfer.
            began, ending = text.lstrip("\ufeff \t\r\n"), text.rstrip()
            if began.startswith(("{", "[")) and (exc.pos >= len(ending) or not ending.endswith(("}", "]"))):
                raise SourceFileError(
                    str(self.path), f"文件被截断：JSON文档不完整（{exc}）", rule_id="file_truncated"
                ) from exc
            raise SourceFileError(
                str(self.path), f"JSON文件无法解析：{exc}", rule_id="file_unreadable"
            ) from exc
        except UnicodeDecodeError as exc:
            raise SourceFileError(
                str(self.path), f"JSON文件无法解析：{exc}", rule_id="file_unreadable"
            ) from exc
        records = document
        path = self.feed.json_options.records_path if self.feed.json_options else None
        for key in (path or "").split(".") if path else []:
            if not isinstance(records, dict) or key not in records:
                raise SourceFileError(str(self.path), f"JSON中找不到记录路径{path}", rule_id="file_header")
            records = records[key]
        if not isinstance(records, list):
            raise SourceFileError(str(self.path), "JSON记录路径处不是数组", rule_id="file_header")
        yield from self._records(enumerate(records, start=1))

    def _jsonl(self) -> Iterator[RawBatch]:
        decision = decide_encoding(self.path, self.feed.encoding)

        def parsed() -> Iterator[tuple[int, Any]]:
            with self.path.open(encoding=decision.encoding) as handle:
                for number, line in enumerate(handle, start=1):
                    if not line.strip():
                        continue
                    try:
                        yield number, json.loads(line)
                    except json.JSONDecodeError:
                        truncated = not line.endswith("\n")
                        if truncated:
                            raise SourceFileError(
                                str(self.path),
                                f"文件被截断：第{number}行JSON不完整",
                                rule_id="file_truncated",
                            ) from None
                        yield number, BadRecord(number, "JSON行无法解析", line.rstrip("\n")[:2000])

        yield from self._records(parsed())

    def _records(self, records: Iterator[tuple[int, Any]] | Any) -> Iterator[RawBatch]:
        """Batches from (number, dict) pairs; the header is the feed's known keys present in any record."""
        known = [c.header for c in self.feed.columns]
        self._set_header(known)
        buffer: list[list[str | None]] = []
        numbers: list[int] = []
        bad: list[BadRecord] = []
        seen_keys: set[str] = set()
        for number, record in records:
            if isinstance(record, BadRecord):
                bad.append(record)
                continue
            if not isinstance(record, dict):
                bad.append(BadRecord(number, "记录不是对象", json.dumps(record, ensure_ascii=False)[:2000]))
                continue
            seen_keys.update(record)
            buffer.append([_cell_text(record.get(header)) for header in known])
            numbers.append(number)
            if len(buffer) >= self.batch_rows:
                yield self._batch_from_rows(buffer, numbers, bad)
                buffer, numbers, bad = [], [], []
        self._check_keys(seen_keys)
        if buffer or bad:
            yield self._batch_from_rows(buffer, numbers, bad)

    def _check_keys(self, seen: set[str]) -> None:
        """Self-describing formats name their keys per record: judge the header once all were seen."""
        if not seen:
            return
        self.header = map_header(self.path, self.feed, sorted(seen), self.required_fields)
        # rows were buffered in the feed's column order; keep that mapping for batch assembly
        self.header.fields = [c.field for c in self.feed.columns]

    # -- XML ---------------------------------------------------------------------------------------------------
    def _xml(self) -> Iterator[RawBatch]:
        from defusedxml import DefusedXmlException
        from defusedxml.ElementTree import iterparse

        assert self.feed.xml is not None
        if self.path.stat().st_size > self.feed.xml.max_bytes:
            raise SourceFileError(str(self.path), "XML文件超过大小上限", rule_id="file_too_large")
        tag = self.feed.xml.record_tag
        decision = decide_encoding(self.path, self.feed.encoding)

        def parsed() -> Iterator[tuple[int, Any]]:
            number = 0
            source: Any = (
                self.path
                if decision.encoding in {"utf-8", "utf-8-sig"}
                else _Utf8Recoder(self.path, decision.encoding)
            )
            try:
                for _, element in iterparse(source, events=("end",), forbid_dtd=True):
                    if element.tag != tag:
                        continue
                    number += 1
                    yield number, {child.tag: (child.text or "").strip() for child in element}
                    element.clear()
            except DefusedXmlException as exc:
                raise SourceFileError(
                    str(self.path),
                    f"XML文件含有DTD或实体声明，拒绝解析（{type(exc).__name__}）",
                    rule_id="file_unsafe",
                ) from exc
            except Exception as exc:  # xml.etree.ElementTree.ParseError and expat errors
                kind = (
                    "file_truncated"
                    if "no element found" in str(exc) or "unclosed" in str(exc)
                    else "file_unreadable"
                )
                label = "文件被截断" if kind == "file_truncated" else "XML文件无法解析"
                raise SourceFileError(str(self.path), f"{label}：{exc}", rule_id=kind) from exc

        yield from self._records(parsed())


class _Utf8Recoder(io.RawIOBase):
    """A GBK/GB18030 XML file as a UTF-8 byte stream (expat reads only UTF-8/16 and Latin-1 natively)."""

    def __init__(self, path: Path, encoding: str) -> None:
        self._handle = path.open("rb")
        self._decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        self._pending = b""
        self._first = True

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = self._handle.read(1 << 20)
            text = self._decoder.decode(chunk, final=not chunk)
            if self._first:
                text = re.sub(r"""^(<\?xml[^>]*encoding=)["'][^"']+["']""", r'\1"utf-8"', text, count=1)
                self._first = False
            self._pending = text.encode("utf-8")
            if not chunk:
                break
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

    def close(self) -> None:
        self._handle.close()
        super().close()


def _is_cut_zip(path: Path) -> bool:
    """A file that starts as a ZIP archive (an XLSX is one) but has no end-of-archive record: cut off."""
    import zipfile

    with path.open("rb") as handle:
        starts_as_zip = handle.read(4) == b"PK\x03\x04"
    return starts_as_zip and not zipfile.is_zipfile(path)


def _all_string_types(path: Path, encoding: str, delimiter: str, quote: str) -> dict[str, pa.DataType]:
    """Read only the header to declare every column as string (types are the rule engine's job)."""
    try:
        header_reader = pv.open_csv(
            path,
            read_options=pv.ReadOptions(use_threads=False, block_size=1 << 16, encoding=encoding),
            parse_options=pv.ParseOptions(
                delimiter=delimiter,
                quote_char=quote,
                newlines_in_values=True,
                invalid_row_handler=lambda _: "skip",
            ),
        )
        names = header_reader.schema.names
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return {}
    return {name: pa.string() for name in names}


def _cell_text(value: Any) -> str | None:
    """Excel/JSON cell → string as the source meant it (no float artefacts, ISO dates)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, Decimal | int):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
