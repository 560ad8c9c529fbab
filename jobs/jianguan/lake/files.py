"""Data files of a Delta table: writing Parquet with the statistics the log needs, reading one back.

The Spark connector's write tasks use :class:`DataFileWriter` to put Parquet files into the table folder without
committing anything; the driver then commits all of them in one Delta commit (see
:meth:`jianguan.lake.tables.LakeTable.commit_files`). Reading uses :func:`read_data_file`, which re-creates
partition columns from the log's partition values (they are not stored in the files).

Statistics (``numRecords``, ``nullCount``, ``minValues``/``maxValues``) come from the Parquet footer, so they
cost nothing extra. Bounds are always sure bounds (a wrong bound makes a reader skip a file that holds matching
rows): timestamps are rounded outwards to the millisecond precision delta-spark keeps, long strings keep a
prefix (the upper bound followed by the highest code point), wide decimals the next double outwards. A column
that gets no bounds also gets no null count: delta-rs turns a null count without bounds into a filter no row
passes.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.parquet as pq
from deltalake.transaction import AddAction

from jianguan.errors import StorageError
from jianguan.lake import partitions

log = logging.getLogger(__name__)

STRING_STATS_MAX_CHARS = 32
"""Longest string kept whole as a min/max bound (delta-spark's prefix length); longer ones keep this prefix."""
DECIMAL_STATS_MAX_PRECISION = 15
"""Widest decimal kept as a bound: the log stores numbers as JSON doubles, exact up to 15 digits."""
ROW_GROUP_BYTES = 64 * 1024 * 1024
"""Arrow bytes buffered before a row group is written (larger groups compress and scan better)."""
TARGET_FILE_BYTES = 256 * 1024 * 1024
"""Arrow bytes after which a data file is closed and the next one started."""
READ_BATCH_ROWS = 65_536
_HIGHEST_CODE_POINT = "\U0010ffff"


@dataclass(frozen=True)
class DataFile:
    """One Parquet file written into a table folder and not yet committed."""

    path: str
    """Relative to the table root as it is on storage (delta-rs URI-encodes it when writing the log)."""
    size: int
    partition_values: dict[str, str | None]
    modification_time: int
    """Milliseconds since the epoch."""
    num_records: int
    stats: str
    """The ``add`` action's statistics as JSON."""

    def add_action(self) -> AddAction:
        return AddAction(
            path=self.path,
            size=self.size,
            partition_values=self.partition_values,
            modification_time=self.modification_time,
            data_change=True,
            stats=self.stats,
        )


def filesystem_for(table_uri: str) -> tuple[pafs.FileSystem, str]:
    """The Arrow filesystem and the in-filesystem root path of a table URI (local path or URL)."""
    try:
        filesystem, root = pafs.FileSystem.from_uri(table_uri)
    except (pa.ArrowInvalid, ValueError):
        filesystem, root = pafs.LocalFileSystem(), table_uri
    return filesystem, root.rstrip("/")


def absolute_path(root: str, relative_log_path: str) -> str:
    """The filesystem path of a file named by an ``add``/``remove`` action (relative paths are URI-encoded)."""
    if "://" in relative_log_path:
        return unquote(relative_log_path.split("://", 1)[1])
    if relative_log_path.startswith("/"):
        return unquote(relative_log_path)
    return f"{root}/{unquote(relative_log_path)}"


def _ms_floor(value: dt.datetime) -> dt.datetime:
    return value.replace(microsecond=value.microsecond - value.microsecond % 1000)


def _ms_ceil(value: dt.datetime) -> dt.datetime:
    floored = _ms_floor(value)
    return floored if floored == value else floored + dt.timedelta(milliseconds=1)


def _stat_value(value: Any, data_type: pa.DataType, *, upper: bool) -> Any:
    """A Parquet statistic as a JSON bound, or ``None`` when no safe bound can be written."""
    if pa.types.is_integer(data_type):
        return int(value)
    if pa.types.is_date32(data_type):
        return value.isoformat() if isinstance(value, dt.date) else None
    if pa.types.is_timestamp(data_type) and isinstance(value, dt.datetime):
        rounded = _ms_ceil(value) if upper else _ms_floor(value)
        if data_type.tz is not None:
            rounded = rounded.astimezone(dt.UTC)
            return rounded.strftime("%Y-%m-%dT%H:%M:%S.") + f"{rounded.microsecond // 1000:03d}Z"
        return rounded.strftime("%Y-%m-%dT%H:%M:%S.") + f"{rounded.microsecond // 1000:03d}"
    if pa.types.is_decimal(data_type) and isinstance(value, Decimal):
        if data_type.precision <= DECIMAL_STATS_MAX_PRECISION:
            return float(value)
        # the nearest double, or the next one outwards when the nearest lies inside (comparison is exact)
        nearest = float(value)
        inside = nearest < value if upper else nearest > value
        return math.nextafter(nearest, math.inf if upper else -math.inf) if inside else nearest
    if pa.types.is_string(data_type) and isinstance(value, str):
        if len(value) <= STRING_STATS_MAX_CHARS:
            return value
        # A prefix sorts before every string it starts; appending the highest code point sorts after them all.
        prefix = value[:STRING_STATS_MAX_CHARS]
        return prefix + _HIGHEST_CODE_POINT if upper else prefix
    if pa.types.is_boolean(data_type):
        return bool(value)
    if pa.types.is_floating(data_type):
        return float(value) if math.isfinite(value) else None  # JSON has no Infinity
    return None


def file_statistics(metadata: pq.FileMetaData, schema: pa.Schema) -> dict[str, Any]:
    """Delta ``add`` statistics of a Parquet file from its footer (top-level primitive columns only)."""
    stats: dict[str, Any] = {
        "numRecords": metadata.num_rows,
        "minValues": {},
        "maxValues": {},
        "nullCount": {},
    }
    types = {f.name: f.type for f in schema}
    for column_index in range(metadata.num_columns):
        name = metadata.schema.column(column_index).path
        data_type = types.get(name)
        if data_type is None or pa.types.is_nested(data_type):
            continue
        nulls = 0
        low: Any = None
        high: Any = None
        bounded = True
        for group_index in range(metadata.num_row_groups):
            group = metadata.row_group(group_index)
            column = group.column(column_index)
            statistics = column.statistics
            if statistics is None or not statistics.has_null_count:
                nulls = -1
                bounded = False
                break
            nulls += statistics.null_count
            if statistics.has_min_max:
                low = statistics.min if low is None else min(low, statistics.min)
                high = statistics.max if high is None else max(high, statistics.max)
            elif statistics.null_count != group.num_rows:
                bounded = False
        has_bounds = False
        if bounded and low is not None and high is not None:
            low_bound = _stat_value(low, data_type, upper=False)
            high_bound = _stat_value(high, data_type, upper=True)
            if low_bound is not None and high_bound is not None:
                stats["minValues"][name] = low_bound
                stats["maxValues"][name] = high_bound
                has_bounds = True
        # A null count without bounds for a column that has values misleads delta-rs (1.6): its dataset turns it
        # into ``column >= null``, which no row satisfies, so a filter on the column skips the whole file.
        if nulls >= 0 and (has_bounds or nulls == metadata.num_rows):
            stats["nullCount"][name] = nulls
    return stats


@dataclass
class _OpenFile:
    path: str
    relative: str
    values: dict[str, str | None]
    writer: pq.ParquetWriter
    buffer: list[pa.RecordBatch] = field(default_factory=list)
    buffered_bytes: int = 0
    written_bytes: int = 0


class DataFileWriter:
    """Writes Arrow batches as Parquet data files of one table, one open file per partition.

    Batches must already have the table's columns and types (in any column order); partition columns are
    taken out of the rows and recorded as partition values. Nothing is committed: :meth:`close` returns the
    files for the driver to commit, :meth:`abort` deletes them.
    """

    def __init__(
        self,
        table_uri: str,
        schema: pa.Schema,
        partition_by: Sequence[str],
        *,
        file_prefix: str = "part",
        compression: str = "snappy",
        row_group_bytes: int = ROW_GROUP_BYTES,
        target_file_bytes: int = TARGET_FILE_BYTES,
    ) -> None:
        self.filesystem, self.root = filesystem_for(table_uri)
        self.schema = schema
        self.partition_by = list(partition_by)
        self.file_schema = pa.schema([f.remove_metadata() for f in schema if f.name not in self.partition_by])
        self.file_prefix = file_prefix
        self.compression = compression
        self.row_group_bytes = row_group_bytes
        self.target_file_bytes = target_file_bytes
        self.rows = 0
        self._open: dict[tuple[str | None, ...], _OpenFile] = {}
        self._done: list[DataFile] = []
        self._created: list[str] = []
        self._not_null = [f.name for f in schema if not f.nullable]

    @property
    def created_paths(self) -> list[str]:
        """Filesystem paths of every file this writer created (for cleaning up after a failure)."""
        return list(self._created)

    def write(self, batch: pa.RecordBatch) -> None:
        if batch.num_rows == 0:
            return
        for name in self._not_null:
            if batch.column(name).null_count:
                raise StorageError(f"column {name!r} is NOT NULL in the table but the data has nulls")
        self.rows += batch.num_rows
        if not self.partition_by:
            self._append((), {}, batch)
            return
        for key, values, part in self._split(batch):
            self._append(key, values, part)

    def _split(
        self, batch: pa.RecordBatch
    ) -> Iterator[tuple[tuple[str | None, ...], dict[str, str | None], pa.RecordBatch]]:
        keys = pa.Table.from_batches([batch.select(self.partition_by)])
        distinct = keys.group_by(self.partition_by, use_threads=False).aggregate([]).to_pylist()
        for row in distinct:
            values = {name: partitions.serialize(row[name]) for name in self.partition_by}
            key = tuple(values[name] for name in self.partition_by)
            if len(distinct) == 1:
                yield key, values, batch
                continue
            mask = None
            for name in self.partition_by:
                column = batch.column(name)
                test = (
                    pc.is_null(column)
                    if row[name] is None
                    else pc.equal(column, pa.scalar(row[name], column.type))
                )
                test = pc.fill_null(test, False)
                mask = test if mask is None else pc.and_(mask, test)
            yield key, values, batch.filter(mask)

    def _append(
        self, key: tuple[str | None, ...], values: dict[str, str | None], batch: pa.RecordBatch
    ) -> None:
        open_file = self._open.get(key)
        if open_file is None:
            open_file = self._start(key, values)
        rows = batch.select(self.file_schema.names)
        if rows.schema != self.file_schema:
            rows = rows.cast(self.file_schema)
        open_file.buffer.append(rows)
        open_file.buffered_bytes += rows.nbytes
        if open_file.buffered_bytes >= self.row_group_bytes:
            self._flush(open_file)
            if open_file.written_bytes >= self.target_file_bytes:
                self._finish(key)

    def _start(self, key: tuple[str | None, ...], values: dict[str, str | None]) -> _OpenFile:
        folder = partitions.partition_folder(self.partition_by, values)
        name = f"{self.file_prefix}-{uuid.uuid4()}.{self.compression}.parquet"
        relative = f"{folder}/{name}" if folder else name
        path = f"{self.root}/{relative}"
        self.filesystem.create_dir(f"{self.root}/{folder}" if folder else self.root, recursive=True)
        self._created.append(path)
        writer = pq.ParquetWriter(
            path, self.file_schema, filesystem=self.filesystem, compression=self.compression
        )
        open_file = _OpenFile(path=path, relative=relative, values=values, writer=writer)
        self._open[key] = open_file
        return open_file

    def _flush(self, open_file: _OpenFile) -> None:
        if not open_file.buffer:
            return
        table = pa.Table.from_batches(open_file.buffer, schema=self.file_schema)
        open_file.writer.write_table(table, row_group_size=max(table.num_rows, 1))
        open_file.written_bytes += open_file.buffered_bytes
        open_file.buffer.clear()
        open_file.buffered_bytes = 0

    def _finish(self, key: tuple[str | None, ...]) -> None:
        open_file = self._open.pop(key)
        self._flush(open_file)
        open_file.writer.close()
        metadata = open_file.writer.writer.metadata
        info = self.filesystem.get_file_info(open_file.path)
        stats = file_statistics(metadata, self.file_schema)
        self._done.append(
            DataFile(
                path=open_file.relative,
                size=int(info.size),
                partition_values=dict(open_file.values),
                modification_time=int(time.time() * 1000),
                num_records=int(metadata.num_rows),
                stats=json.dumps(stats, ensure_ascii=False, separators=(",", ":")),
            )
        )

    def close(self) -> list[DataFile]:
        """Flush and close every open file; return all files written (nothing is committed)."""
        for key in list(self._open):
            self._finish(key)
        return list(self._done)

    def abort(self) -> None:
        """Close and delete everything this writer created (best effort; failures are logged)."""
        for open_file in self._open.values():
            try:
                open_file.writer.close()
            except Exception:  # the file is deleted below either way
                log.debug("closing %s after a failure raised", open_file.path, exc_info=True)
        self._open.clear()
        delete_files(self.filesystem, self._created)
        self._created.clear()
        self._done.clear()


def delete_files(filesystem: pafs.FileSystem, paths: Sequence[str]) -> int:
    """Delete files that exist; return how many were deleted."""
    deleted = 0
    for path in paths:
        try:
            filesystem.delete_file(path)
            deleted += 1
        except FileNotFoundError:
            continue
        except OSError:
            log.warning("could not delete %s", path, exc_info=True)
    return deleted


def _constant(value: pa.Scalar, rows: int) -> pa.Array:
    if not value.is_valid:
        return pa.nulls(rows, value.type)
    return pa.repeat(value, rows)


def read_data_file(
    filesystem: pafs.FileSystem,
    path: str,
    target: pa.Schema,
    partition_values: Mapping[str, str | None],
    *,
    batch_rows: int = READ_BATCH_ROWS,
    use_threads: bool = True,
    where: str = "",
) -> Iterator[pa.RecordBatch]:
    """Yield the rows of one data file as batches of exactly ``target`` (columns, types, nullability).

    Columns of ``target`` that are partition columns are filled from ``partition_values``; columns the file
    lacks (added to the table after the file was written) are null. A null in a non-nullable column raises
    :class:`StorageError` instead of producing a batch Spark would misread.
    """
    constants = {
        name: partitions.typed_scalar(partition_values.get(name), target.field(name).type)
        for name in target.names
        if name in partition_values
    }
    with filesystem.open_input_file(path) as source:
        parquet = pq.ParquetFile(source, pre_buffer=True)
        present = set(parquet.schema_arrow.names)
        columns = [n for n in target.names if n not in constants and n in present]
        if columns:
            batches: Iterator[pa.RecordBatch | int] = parquet.iter_batches(
                batch_size=batch_rows, columns=columns, use_threads=use_threads
            )
        else:  # only partition (or missing) columns: the footer's row count is all we need
            total = parquet.metadata.num_rows
            batches = (min(batch_rows, total - start) for start in range(0, total, batch_rows))
        for batch in batches:
            rows = batch if isinstance(batch, int) else batch.num_rows
            arrays = []
            for target_field in target:
                name = target_field.name
                if name in constants:
                    array: pa.Array = _constant(constants[name], rows)
                elif name in present and not isinstance(batch, int):
                    array = batch.column(name)
                    if array.type != target_field.type:
                        array = array.cast(
                            target_field.type, safe=not pa.types.is_timestamp(target_field.type)
                        )
                else:
                    array = pa.nulls(rows, target_field.type)
                if not target_field.nullable and array.null_count:
                    raise StorageError(
                        f"{where or path}: column {name!r} is NOT NULL but the file holds nulls"
                    )
                arrays.append(array)
            yield pa.RecordBatch.from_arrays(arrays, schema=target)
