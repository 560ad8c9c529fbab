"""Deterministic export files and the atomic batch directory.

* **Bytes are a function of the records only**: fields in layout order, rows sorted by record id, no wall-clock
  values, fixed separators and line ends (JSON Lines ``\\n``; CSV RFC 4180 ``\\r\\n``, minimal quoting), the
  layout's encoding. A rerun over the same inputs writes byte-identical files.
* **CSV formula neutralisation**: a text value starting with ``=``, ``+``, ``-``, ``@`` (or a tab / carriage
  return) would be executed by a spreadsheet; it is written with a leading apostrophe (OWASP CSV injection).
* **Atomic batch**: files are written into a hidden temporary folder ``.<name>.tmp-<id>`` next to the final one,
  fsynced, the manifest written last, then the folder is renamed to ``<name>``. A crash leaves only the hidden
  folder, which never verifies (its name is not the batch's); the next run removes it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa
import pyarrow.compute as pc

log = logging.getLogger(__name__)

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
NEUTRALISER = "'"
TMP_MARKER = ".tmp-"
CSV_LINE_END = "\r\n"


@dataclass(frozen=True)
class WrittenFile:
    file: str
    records: int
    bytes: int
    sha256: str


def neutralise(value: str) -> str:
    """A CSV cell a spreadsheet will show as text, never evaluate."""
    return NEUTRALISER + value if value.startswith(FORMULA_PREFIXES) else value


class _HashingWriter:
    """Encodes text, writes it and hashes the bytes in one pass (no second read of a large file)."""

    def __init__(self, handle: BinaryIO, encoding: str) -> None:
        self.handle = handle
        self.encoding = encoding
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, text: str) -> None:
        data = text.encode(self.encoding)
        self.handle.write(data)
        self.digest.update(data)
        self.size += len(data)


def _map_distinct(column: pa.Array, fn: Callable[[str], str]) -> pa.Array:
    """``fn`` applied once per distinct value (codes and constants repeat a lot); nulls stay null."""
    encoded = pc.cast(column, pa.string()).dictionary_encode()
    mapped = pa.array([fn(v) for v in encoded.dictionary.to_pylist()], pa.string())
    return pc.take(mapped, encoded.indices)


def _join(parts: list[pa.Array], separator: str) -> pa.Array:
    return pc.binary_join_element_wise(*parts, separator)


def jsonl_lines(table: pa.Table | pa.RecordBatch) -> pa.Array:
    """One JSON object per row (keys in column order, ``json.dumps(..., ensure_ascii=False)`` spacing)."""
    n = table.num_rows
    parts: list[pa.Array] = [pa.array(["{"] * n, pa.string())]
    for index, name in enumerate(table.column_names):
        column = table.column(index)
        column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
        value = pc.fill_null(_map_distinct(column, _json_string), "null")
        key = ("," if index else "") + json.dumps(name, ensure_ascii=False) + ":"
        parts.append(_join([pa.array([key] * n, pa.string()), value], ""))
    parts.append(pa.array(["}\n"] * n, pa.string()))
    return _join(parts, "")


def _json_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _csv_cell(value: str, neutralised: bool) -> str:
    text = neutralise(value) if neutralised else value
    if any(char in text for char in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_lines(table: pa.Table | pa.RecordBatch, text_fields: Sequence[bool]) -> pa.Array:
    """RFC 4180 lines (minimal quoting, ``\r\n``), text cells neutralised, nulls empty."""
    n = table.num_rows
    parts: list[pa.Array] = []
    for index, flag in enumerate(text_fields):
        column = table.column(index)
        column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
        cell = _map_distinct(column, partial(_csv_cell, neutralised=flag))
        parts.append(pc.fill_null(cell, ""))
    return _join([_join(parts, ","), pa.array([CSV_LINE_END] * n, pa.string())], "")


def csv_header(header: Sequence[str]) -> str:
    return ",".join(_csv_cell(h, False) for h in header) + CSV_LINE_END


CHUNK_ROWS = 20_000
"""Rows encoded per write (bounded memory, few system calls)."""


def write_records(
    path: Path, *, fmt: str, encoding: str, table: pa.Table, text_fields: Sequence[bool]
) -> WrittenFile:
    """Write one dataset file from a table of text columns named by the national fields, in order.

    ``text_fields`` says per column whether CSV formula neutralisation applies (text, not numbers or dates).
    Encoding is column at a time; Python sees each distinct value once.
    """
    if fmt not in {"jsonl", "csv"}:
        raise ValueError(f"export format {fmt!r} is not implemented (jsonl, csv)")
    with path.open("wb") as handle:
        out = _HashingWriter(handle, encoding)
        if fmt == "csv":
            out.write(csv_header(table.column_names))
        for batch in table.to_batches(max_chunksize=CHUNK_ROWS):
            if batch.num_rows == 0:
                continue
            lines = jsonl_lines(batch) if fmt == "jsonl" else csv_lines(batch, text_fields)
            out.write("".join(lines.to_pylist()))
        handle.flush()
        os.fsync(handle.fileno())
    return WrittenFile(file=path.name, records=table.num_rows, bytes=out.size, sha256=out.digest.hexdigest())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_stale(root: Path, name: str) -> list[Path]:
    """Hidden temporary folders left by crashed runs for batch ``name`` (removed)."""
    stale = sorted(root.glob(f".{name}{TMP_MARKER}*")) + sorted(root.glob(f".{name}.old-*"))
    for path in stale:
        shutil.rmtree(path, ignore_errors=True)
        log.warning("removed %s left by an interrupted export", path)
    return stale


def stage(root: Path, name: str) -> Path:
    """A fresh hidden folder to write batch ``name`` into (stale ones of crashed runs are removed first)."""
    root.mkdir(parents=True, exist_ok=True)
    remove_stale(root, name)
    tmp = root / f".{name}{TMP_MARKER}{uuid.uuid4().hex[:12]}"
    tmp.mkdir()
    return tmp


def write_manifest(folder: Path, manifest: bytes) -> None:
    """Write the manifest (the last file of a batch) and make the folder's entries durable."""
    with (folder / "manifest.json").open("wb") as handle:
        handle.write(manifest)
        handle.flush()
        os.fsync(handle.fileno())
    _fsync_dir(folder)


def publish(tmp: Path, root: Path, name: str) -> Path:
    """Rename the complete staged folder to ``root/name``.

    An existing ``root/name`` (a rerun that found it broken) is first renamed to a hidden folder, so at no
    moment does a half-written folder carry the batch's name.
    """
    final = root / name
    if final.exists():
        old = root / f".{name}.old-{uuid.uuid4().hex[:12]}"
        final.rename(old)
        tmp.rename(final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        tmp.rename(final)
    _fsync_dir(root)
    log.info("export batch published at %s", final)
    return final


def discard(tmp: Path) -> None:
    shutil.rmtree(tmp, ignore_errors=True)
