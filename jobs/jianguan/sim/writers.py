"""Streaming file writers for every feed format, with byte-for-byte reproducible output.

One writer per (feed, delivery day). Rows are written as they come, so memory does not grow with the file
(XLSX too: :mod:`jianguan.sim.xlsx` streams rows into the zip entry). Reproducibility: CSV, JSON, JSONL and
XML contain nothing but the data; XLSX files carry the delivery date as every zip entry time and document
timestamp, never the wall clock.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import shutil
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape

from jianguan.sim.xlsx import StreamingXlsxWriter, column_letter
from jianguan.spec.model import FeedSpec

XML_ENCODING_LABELS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "gbk": "GBK", "gb18030": "GB18030"}


@dataclass(frozen=True)
class WrittenFile:
    feed: str
    source: str
    table: str
    format: str
    encoding: str
    path: Path
    relative_path: str
    rows: int
    bytes: int
    sha256: str
    delivery_date: date


def file_name(feed: FeedSpec, day: date) -> str:
    """The file name a source system would give today's delivery: the first ``*`` becomes YYYYMMDD."""
    name = feed.file_pattern.replace("*", day.strftime("%Y%m%d"), 1).replace("*", "")
    return name.replace("?", "0")


def text_value(value: Any, true_false: tuple[str, str]) -> str:
    """A value as a delimited-text cell (CSV, XML)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return true_false[0] if value else true_false[1]
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def json_value(value: Any) -> Any:
    """A value as JSON: numbers stay numbers, dates become ISO text."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        as_float = float(value)
        return as_float if Decimal(repr(as_float)) == value else format(value, "f")
    if isinstance(value, float):
        return value
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def xlsx_value(value: Any, true_false: tuple[str, str]) -> Any:
    """A value as an Excel cell: amounts as numbers, codes and dates as text (no leading-zero loss)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return true_false[0] if value else true_false[1]
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, int | float):
        return value
    return text_value(value, true_false)


class FeedWriter:
    """Writes one delivery file of one feed. Call :meth:`write` per row, then :meth:`close` once."""

    def __init__(
        self,
        feed: FeedSpec,
        path: Path,
        relative_path: str,
        headers: list[str],
        *,
        delivery_date: date,
        title: str,
        true_false: tuple[str, str],
    ) -> None:
        self.feed = feed
        self.path = path
        self.relative_path = relative_path
        self.headers = headers
        self.delivery_date = delivery_date
        self.title = title
        self.true_false = true_false
        self.rows = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        self._closed = False
        self._handle: IO[str] | None = None
        self._csv: Any = None
        self._sheet: StreamingXlsxWriter | None = None
        self._open()

    # -- opening ---------------------------------------------------------------------------------------------
    def _open(self) -> None:
        fmt = self.feed.format
        if fmt == "xlsx":
            self._open_xlsx()
            return
        self._handle = self.path.open("w", encoding=self.feed.encoding, newline="")
        if fmt == "csv":
            options = self.feed.csv
            self._csv = csv.writer(
                self._handle,
                delimiter=options.delimiter if options else ",",
                quotechar=options.quotechar if options else '"',
                lineterminator="\r\n",
            )
            self._csv.writerow(self.headers)
        elif fmt == "json":
            self._handle.write(self._json_prefix())
        elif fmt == "xml":
            label = XML_ENCODING_LABELS.get(self.feed.encoding, self.feed.encoding.upper())
            self._handle.write(f'<?xml version="1.0" encoding="{label}"?>\n<{self._xml_root()}>\n')

    def _open_xlsx(self) -> None:
        options = self.feed.xlsx
        sheet_name = (
            options.sheet if options and isinstance(options.sheet, str) else _sheet_title(self.feed.label_zh)
        )
        title_rows = options.title_rows if options else 0
        last_column = column_letter(max(1, len(self.headers)))
        merged = (
            [f"A{number}:{last_column}{number}" for number in range(1, title_rows + 1)]
            if len(self.headers) > 1
            else []
        )
        self._sheet = StreamingXlsxWriter(self.path, sheet_name, self.delivery_date, merged)
        for number in range(1, title_rows + 1):
            text = self.title if number == 1 else f"导出日期：{self.delivery_date.isoformat()}"
            self._sheet.append([text])
        self._sheet.append(list(self.headers))

    def _records_path(self) -> list[str]:
        options = self.feed.json_options
        return options.records_path.split(".") if options and options.records_path else []

    def _json_prefix(self) -> str:
        parts = self._records_path()
        return "".join("{" + json.dumps(part, ensure_ascii=False) + ":" for part in parts) + "[\n"

    def _json_suffix(self) -> str:
        parts = self._records_path()
        if not parts:
            return "\n]\n"
        # the innermost object carries the record count after the list, as paging interfaces do
        return "\n]," + json.dumps("total") + ":" + str(self.rows) + "}" * len(parts) + "\n"

    def _xml_root(self) -> str:
        assert self.feed.xml is not None
        tag = self.feed.xml.record_tag
        return tag + "s" if tag.isascii() else tag + "列表"

    # -- writing ----------------------------------------------------------------------------------------------
    def write(self, values: list[Any]) -> int:
        """Write one row (values in header order); returns its 1-based record number in the file."""
        fmt = self.feed.format
        self.rows += 1
        if fmt == "csv":
            self._csv.writerow([text_value(v, self.true_false) for v in values])
        elif fmt == "xlsx":
            assert self._sheet is not None
            self._sheet.append([xlsx_value(v, self.true_false) for v in values])
        elif fmt == "jsonl":
            assert self._handle is not None
            record = {h: json_value(v) for h, v in zip(self.headers, values, strict=True)}
            self._handle.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
        elif fmt == "json":
            assert self._handle is not None
            record = {h: json_value(v) for h, v in zip(self.headers, values, strict=True)}
            separator = "" if self.rows == 1 else ",\n"
            self._handle.write(separator + json.dumps(record, ensure_ascii=False, separators=(",", ":")))
        else:
            assert self._handle is not None and self.feed.xml is not None
            tag = self.feed.xml.record_tag
            parts = [
                f"<{h}>{escape(text_value(v, self.true_false))}</{h}>"
                for h, v in zip(self.headers, values, strict=True)
                if v is not None
            ]
            self._handle.write(f"  <{tag}>{''.join(parts)}</{tag}>\n")
        return self.rows

    def close(self) -> WrittenFile:
        if self._closed:
            raise RuntimeError(f"{self.path} closed twice")
        self._closed = True
        fmt = self.feed.format
        if fmt == "xlsx":
            assert self._sheet is not None
            self._sheet.close()
        else:
            assert self._handle is not None
            if fmt == "json":
                self._handle.write(self._json_suffix())
            elif fmt == "xml":
                self._handle.write(f"</{self._xml_root()}>\n")
            self._handle.close()
        return describe(self.feed, self.path, self.relative_path, self.rows, self.delivery_date)


def _sheet_title(label: str) -> str:
    cleaned = re.sub(r"[\[\]:*?/\\]", "", label)
    return cleaned[:31] or "Sheet1"


def describe(feed: FeedSpec, path: Path, relative_path: str, rows: int, delivery_date: date) -> WrittenFile:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return WrittenFile(
        feed=feed.name, source=feed.source, table=feed.table, format=feed.format, encoding=feed.encoding,
        path=path, relative_path=relative_path, rows=rows, bytes=path.stat().st_size, sha256=digest.hexdigest(),
        delivery_date=delivery_date,
    )  # fmt: skip


def truncate_last_record(written: WrittenFile, feed: FeedSpec) -> tuple[WrittenFile, int]:
    """Cut the file in the middle of its last record, as an interrupted transfer would.

    The cut falls on a character boundary (the reader must see a truncated delivery, not an encoding error)
    and leaves no final line break. Returns the described file and the number of complete records left.
    """
    if feed.format not in ("csv", "jsonl", "xml"):
        raise ValueError(f"cannot truncate a {feed.format} file record-wise")
    path = written.path
    size = path.stat().st_size
    tail_start = max(0, size - (1 << 20))
    with path.open("rb") as handle:
        handle.seek(tail_start)
        tail = handle.read()
    encoding = "utf-8" if feed.encoding == "utf-8-sig" else feed.encoding
    if feed.format == "xml":
        assert feed.xml is not None
        opener = f"<{feed.xml.record_tag}>".encode(encoding)
        start = tail.rfind(opener)
        end = tail.rfind(f"</{feed.xml.record_tag}>".encode(encoding))
    else:
        body = tail.rstrip(b"\r\n")
        start = body.rfind(b"\n") + 1
        end = len(body)
    if start < 0 or end <= start:
        raise ValueError(f"{path}: no complete record to cut")
    record_text = tail[start:end].decode(encoding)
    keep_chars = max(1, len(record_text) // 2)
    keep_bytes = len(record_text[:keep_chars].encode(encoding))
    with path.open("r+b") as handle:
        handle.truncate(tail_start + start + keep_bytes)
    complete = written.rows - 1
    return describe(feed, path, written.relative_path, written.rows, written.delivery_date), complete


def copy_file(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


def read_back_header(path: Path, encoding: str, delimiter: str) -> list[str]:
    """The header row of a CSV file as a plain reader sees it (used by tests and the manifest check)."""
    with path.open(encoding=encoding, newline="") as handle:
        return next(csv.reader(io.StringIO(handle.readline()), delimiter=delimiter))
