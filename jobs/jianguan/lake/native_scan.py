"""Spark's own Parquet reader over the data files of a Delta snapshot: the fast read path of the ``delta`` format.

The ``delta`` Python data source (:mod:`jianguan.lake.spark_source`) reads every column of every file in Python
workers and hands Arrow batches to the JVM. Spark 4.2's Python Data Source API gives it no projection, so a query
that needs two columns of a wide table reads all of them, and every row crosses a process boundary. A snapshot is
only a list of Parquet files, though. When Spark can read those files as they are, its vectorised Parquet reader
over exactly that list gives the same rows. It prunes columns, skips row groups by their statistics and needs no
Python. Spark can read them as they are when all of these hold:

* the table is on the local filesystem (object stores would need Hadoop credentials this package does not set);
* its protocol needs nothing the connector does not implement (deletion vectors, column mapping: ``LakeTable``
  refuses those anyway);
* every file's relative path is plain (letters, digits, ``._-=/``). A partitioned table's files sit under exactly
  ``<column>=<value>/…`` with the log's values, so Spark's partition discovery (typed by the table's schema)
  finds the values the log records. An unpartitioned table's files sit at its root.

Anything else is read through the ``delta`` data source, and :attr:`SnapshotScan.reason` says why. The file list
is the snapshot's, so a view made here is pinned to that version like a ``delta`` view. A file that is vacuumed
while the view is still used makes its queries fail; they never silently drop rows.

Two ways in:

* Python: :func:`read_snapshot` gives a DataFrame, :func:`expose` a global temporary view. The dbt runner exposes
  the lakehouse this way.
* SQL: the ``delta_scan`` data source (:class:`DeltaScanSource`, one row: ``parquet_path``, ``columns``,
  ``reason``) gives an unpartitioned snapshot as a single Parquet path, a brace glob of its files. ``CREATE …
  VIEW v (<columns>) USING parquet OPTIONS (path '<parquet_path>')`` then reads it natively. The dbt
  materializations expose every model they write this way (``lake_expose`` in
  ``dbt_project/macros/lake/lake_table.sql``).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyspark.sql.datasource import DataSource, DataSourceReader, InputPartition
from pyspark.sql.types import StructField, StructType

from jianguan.errors import StorageError
from jianguan.lake.changes import ChangeFile, change_files
from jianguan.lake.files import filesystem_for
from jianguan.lake.schema import schema_json
from jianguan.lake.tables import FileEntry, LakeTable, snapshot_files

if TYPE_CHECKING:
    from deltalake import DeltaTable
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger(__name__)

SCAN_FORMAT_NAME = "delta_scan"
_PLAIN_PATH = re.compile(r"[A-Za-z0-9._=/-]+")


@dataclass(frozen=True)
class SnapshotScan:
    """The data files of one snapshot and whether Spark's Parquet reader can read them as the table's rows."""

    uri: str
    version: int
    schema: StructType
    partition_columns: tuple[str, ...]
    files: tuple[FileEntry, ...]
    reason: str | None
    """Why the snapshot must be read through the ``delta`` data source (``None``: it can be read natively)."""

    @property
    def native(self) -> bool:
        return self.reason is None

    def parquet_path(self) -> str | None:
        """One Parquet path that reads exactly this snapshot's files (a ``{…}`` glob), or ``None``.

        Only for an unpartitioned table with at least one file: a glob has nowhere to put partition values.
        """
        if not self.native or self.partition_columns or not self.files:
            return None
        names = sorted(entry.log_path for entry in self.files)
        return f"{self.uri}/{names[0]}" if len(names) == 1 else f"{self.uri}/{{{','.join(names)}}}"


def _unreadable_reason(uri: str, partition_columns: tuple[str, ...], files: list[FileEntry]) -> str | None:
    if "://" in uri and not uri.startswith("file://"):
        return "not on the local filesystem"
    for entry in files:
        relative = entry.log_path
        if not _PLAIN_PATH.fullmatch(relative) or relative.startswith("/") or ".." in relative.split("/"):
            return f"file path {relative!r} is not plain"
        folders = relative.split("/")[:-1]
        expected = [f"{column}={entry.partition_values.get(column)}" for column in partition_columns]
        if folders != expected:
            return f"file {relative!r} is not under the folders of its partition values {expected}"
    return None


def plan_scan(path: str, version: int | None = None) -> SnapshotScan:
    """The snapshot at ``version`` (default latest) of the table at ``path``, and whether it reads natively."""
    table = LakeTable(path)
    snapshot = table.load(version)
    return _scan_of(table, snapshot, snapshot_files(snapshot))


def _scan_of(table: LakeTable, snapshot: DeltaTable, files: list[FileEntry]) -> SnapshotScan:
    """A scan of ``files`` with the columns and partitioning of ``snapshot``."""
    partition_columns = tuple(snapshot.metadata().partition_columns)
    return SnapshotScan(
        uri=table.uri,
        version=snapshot.version(),
        schema=StructType.fromJson(schema_json(snapshot.schema())),
        partition_columns=partition_columns,
        files=tuple(files),
        reason=_unreadable_reason(table.uri, partition_columns, files),
    )


def plan_inserts(
    path: str, first: int, last: int, changes: Sequence[ChangeFile] | None = None
) -> SnapshotScan:
    """The rows commits ``first`` … ``last`` of the table at ``path`` inserted: a scan of the files they added.

    For a range of appends (bronze's deliveries) these are exactly the rows its change feed gives, without the
    change columns, read natively when the files allow it. Any other change in the range (a delete, a rewrite, a
    ``_change_data`` file) raises :class:`StorageError`: read the change feed instead. ``changes``: the range's
    :func:`~jianguan.lake.changes.change_files`, when the caller has listed them already.
    """
    table = LakeTable(path)
    snapshot = table.load(last)
    _, root = filesystem_for(table.uri)
    if changes is None:
        changes = change_files(table.uri, first, last)
    other = sorted({change.version for change in changes if change.change_type != "insert"})
    if other:
        raise StorageError(f"{table.uri}: version(s) {other} changed rows otherwise than by inserting files")
    files = [
        FileEntry(
            path=change.path,
            size=0,
            partition_values=change.partition_values,
            num_records=None,
            log_path=os.path.relpath(change.path, root),
        )
        for change in changes
    ]
    return _scan_of(table, snapshot, files)


def _spark_string(text: str) -> str:
    """A Spark SQL string literal (backslash escapes; a newline becomes a space)."""
    escaped = text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", " ")
    return f"'{escaped}'"


def columns_ddl(schema: StructType) -> str:
    """``schema`` as the column list of a ``CREATE VIEW v (<columns>) USING …`` statement, comments kept."""

    def column(field: StructField) -> str:
        comment = (field.metadata or {}).get("comment")
        described = f" COMMENT {_spark_string(str(comment))}" if comment else ""
        return f"`{field.name}` {field.dataType.simpleString()}{described}"

    return ", ".join(column(field) for field in schema.fields)


def empty_select(schema: StructType) -> str:
    """A ``SELECT`` of no rows with ``schema``'s columns (pure SQL: cheap, no DataFrame from Python data)."""
    columns = ", ".join(
        f"cast(null as {field.dataType.simpleString()}) as `{field.name}`" for field in schema.fields
    )
    return f"SELECT {columns} WHERE false"


def read_snapshot(spark: SparkSession, path: str, version: int | None = None) -> DataFrame:
    """The rows of a snapshot, through Spark's Parquet reader when it can read them, else the ``delta`` source."""
    return read_scan(spark, plan_scan(path, version))


def read_scan(spark: SparkSession, scan: SnapshotScan) -> DataFrame:
    """The rows of a planned snapshot (see :func:`read_snapshot`)."""
    if not scan.native:
        log.info(
            "%s version %d: read through the delta data source (%s)", scan.uri, scan.version, scan.reason
        )
        return spark.read.format("delta").option("versionAsOf", scan.version).load(scan.uri)
    if not scan.files:
        return spark.createDataFrame([], scan.schema)
    order = [field.name for field in scan.schema.fields]
    if not scan.partition_columns:
        return spark.read.schema(scan.schema).parquet(*(entry.path for entry in scan.files)).select(*order)
    # Partition discovery below the table's root, typed by the table's schema (not inferred from the values).
    data_fields = [f for f in scan.schema.fields if f.name not in scan.partition_columns]
    partition_fields = [scan.schema[name] for name in scan.partition_columns]
    reader = spark.read.schema(StructType(data_fields + partition_fields)).option("basePath", scan.uri)
    return reader.parquet(*(entry.path for entry in scan.files)).select(*order)


def read_inserts(
    spark: SparkSession, path: str, first: int, last: int, changes: Sequence[ChangeFile] | None = None
) -> DataFrame:
    """The rows commits ``first`` … ``last`` appended (see :func:`plan_inserts`), natively where the files allow
    it, else the ``delta`` source's change feed of the range (which adds the change columns)."""
    scan = plan_inserts(path, first, last, changes)
    if scan.native:
        return read_scan(spark, scan)
    log.info(
        "%s versions %d-%d: change feed through the delta data source (%s)",
        scan.uri,
        first,
        last,
        scan.reason,
    )
    return (
        spark.read.format("delta")
        .option("readChangeFeed", "true")
        .option("startingVersion", first)
        .option("endingVersion", last)
        .load(scan.uri)
    )


def expose(spark: SparkSession, path: str, name: str, version: int | None = None) -> SnapshotScan:
    """Create or replace ``global_temp.<name>`` over the snapshot (see :func:`read_snapshot`); its scan."""
    scan = plan_scan(path, version)
    read_scan(spark, scan).createOrReplaceGlobalTempView(name)
    return scan


class DeltaScanSource(DataSource):
    """``delta_scan``: one row telling SQL how to read a Delta snapshot with Spark's Parquet reader.

    Options: ``path`` (the table), ``versionAsOf`` (default latest). Columns: ``parquet_path`` (one Parquet
    path, a glob of the snapshot's files; null when it cannot be read that way), ``columns`` (the table's
    columns as a ``CREATE VIEW`` column list), ``reason`` (why ``parquet_path`` is null), ``files`` and
    ``bytes`` (how many data files the snapshot has, and their size).
    """

    @classmethod
    def name(cls) -> str:
        return SCAN_FORMAT_NAME

    def schema(self) -> str:
        return "parquet_path string, columns string, reason string, files int, bytes bigint"

    def reader(self, schema: StructType) -> DataSourceReader:
        options = {str(k).lower(): str(v) for k, v in dict(self.options).items()}
        if not options.get("path"):
            raise StorageError("the delta_scan data source needs a path: OPTIONS (path '…')")
        version = options.get("versionasof")
        return DeltaScanReader(options["path"], int(version) if version is not None else None)


class DeltaScanReader(DataSourceReader):
    def __init__(self, path: str, version: int | None) -> None:
        self.path = path
        self.version = version

    def partitions(self) -> list[InputPartition]:
        return [InputPartition(None)]  # one row: the scan of the whole snapshot

    def read(self, partition: InputPartition) -> Iterator[tuple[str | None, str, str | None, int, int]]:
        scan = plan_scan(self.path, self.version)
        parquet_path = scan.parquet_path()
        reason = None
        if parquet_path is None:
            reason = scan.reason or ("partitioned" if scan.partition_columns else "no data files")
        yield parquet_path, columns_ddl(scan.schema), reason, len(scan.files), sum(f.size for f in scan.files)


def register(spark: SparkSession) -> None:
    """Register the ``delta_scan`` data source with ``spark``."""
    spark.dataSource.register(DeltaScanSource)
