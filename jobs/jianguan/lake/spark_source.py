"""The ``delta`` format for Spark without the delta-spark jars: a Python data source (Spark 4 Data Source API).

**Reading** (``spark.read.format("delta").load(path)``, options ``versionAsOf`` / ``timestampAsOf``):

* the snapshot version is fixed when the DataFrame (or temporary view) is created — like delta-spark — so one
  DataFrame never mixes versions; create a new one to see later commits;
* one input partition per data file of the snapshot; each task reads its Parquet file with Arrow and yields Arrow
  record batches of exactly the declared schema (types and nullability), partition columns re-created from the
  log's partition values;
* partition pruning is explicit: ``.option("partitionFilter", "day >= '2024-01-02' AND region_code = '42'")``
  (a SQL predicate on partition columns only) reads only the files of the matching partitions. The Data Source
  API's ``pushFilters`` is deliberately not implemented: Spark 4.2 caches the partitions planned for a pushed
  filter on the relation and reuses them for a later query on the same DataFrame or view that pushes no filter
  (``df.where("day = '…'").count()`` then ``df.count()`` returns only that day's rows) — pruning there would
  return wrong results;
* column pruning: Spark 4.2's Python Data Source API has no projection pushdown (the reader is always asked for
  every column of the schema). The reader reads only the columns of the schema it is given, so pruning is
  available by declaring it: ``.option("columns", "a,b")`` or a user schema ``.schema("a BIGINT, b STRING")``.
* change data feed, as delta-spark reads it: ``.option("readChangeFeed", "true").option("startingVersion", 3)``
  (``endingVersion`` optional, default the latest, pinned like a snapshot) gives the rows each commit of the range
  changed with ``_change_type``, ``_commit_version`` and ``_commit_timestamp`` — one input partition per changed
  file (:mod:`jianguan.lake.changes`, the same reading ``LakeTable.changes`` does on the driver).

**Writing** (``df.write.format("delta").mode("append" | "overwrite").save(path)``, ``INSERT INTO``/``INSERT
OVERWRITE`` of a temporary view ``USING delta``):

* every task writes Parquet files into the table folder and returns their ``add`` action data (path, size,
  partition values, statistics); nothing is visible until the driver-side ``commit()`` makes exactly one Delta
  commit (creating the table when absent);
* the schema is checked against the existing table before any task runs, with a message naming the columns;
* ``abort()`` deletes the files of the failed job (the ones in commit messages and any other file named with the
  job id), so a failed job leaves neither a commit nor orphan files;
* options: ``partitionBy`` (``"a,b"``, new tables; ``DataFrameWriter.partitionBy`` is rejected by Spark for Python
  sources), ``txnAppId`` + ``txnVersion`` (idempotent writes, as in delta-spark), ``userMetadata``,
  ``replacePartitions`` (JSON object ``{"day": "2024-01-02"}``: overwrite only that partition),
  ``replaceFiles`` (JSON list of data files of the table, as paths or ``file:`` URIs — e.g. Spark's
  ``_metadata.file_path`` of a native read —, with INSERT INTO / append: the commit adds the new files and removes
  those, a copy-on-write MERGE that rewrites only the files holding changed rows; the commit fails when one of them
  is no longer in the table, since another writer changed it),
  ``overwriteSchema`` (``"true"`` with mode overwrite: the written schema — column comments included — and
  ``partitionBy`` replace the table's, like delta-spark's option; the commit is a ``CREATE OR REPLACE TABLE``
  that keeps the history), ``tableName`` / ``description`` (the table's name and comment in that commit),
  ``columnComments`` (JSON object column → comment, stored as the columns' ``comment`` metadata; Spark does not
  hand a view's column comments to a Python data source). dbt's
  ``lake_table`` materialization writes every model this way: one commit per model per run.

Persistent catalog tables (``CREATE TABLE … USING delta``) do not work with Python data sources (Spark does not
pass their options back to the source); use temporary views. See ``docs/lakehouse-storage.md``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.fs as pafs
from deltalake import CommitProperties, DeltaTable
from deltalake.exceptions import DeltaError
from deltalake.transaction import create_table_with_add_actions
from pyspark.sql.datasource import (
    DataSource,
    DataSourceArrowWriter,
    DataSourceReader,
    InputPartition,
    WriterCommitMessage,
)
from pyspark.sql.pandas.types import to_arrow_schema
from pyspark.sql.types import StructType

from jianguan.errors import StorageError
from jianguan.lake import partitions, protocol
from jianguan.lake.changes import CHANGE_COLUMNS, ChangeFile, change_files, read_change_file
from jianguan.lake.files import (
    READ_BATCH_ROWS,
    DataFile,
    DataFileWriter,
    delete_files,
    filesystem_for,
    read_data_file,
)
from jianguan.lake.log import commit_infos
from jianguan.lake.schema import (
    arrow_schema,
    check_same_schema,
    delta_schema_from_arrow,
    delta_schema_from_spark_json,
    schema_json,
    strip_metadata,
)
from jianguan.lake.tables import AppTransaction, FileEntry, LakeTable, snapshot_files

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

FORMAT_NAME = "delta"
DEFAULT_TIME_ZONE = "Asia/Shanghai"
"""Zone of a ``timestampAsOf`` written without an offset: the lakehouse's (and ``spark_session()``'s) time zone."""
CHANGE_FIELDS: list[dict[str, Any]] = schema_json(delta_schema_from_arrow(CHANGE_COLUMNS))["fields"]
"""The columns a ``readChangeFeed`` read adds, as Spark schema JSON (derived from the driver's ``CHANGE_COLUMNS``)."""
JOB_ID_KEY = "jianguanJobId"
"""Commit-info key recording the Spark write job that made a commit (``abort`` checks it before deleting)."""


def _options(raw: Any) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in dict(raw).items()}


def _table_path(options: dict[str, str]) -> str:
    path = options.get("path")
    if not path:
        raise StorageError(
            "the delta data source needs a path: .load(path), .save(path) or OPTIONS (path '…')"
        )
    return path


def _snapshot_point(options: dict[str, str]) -> int | dt.datetime | None:
    """The version or point in time asked for by ``versionAsOf`` / ``timestampAsOf`` (``None``: latest)."""
    version = options.get("versionasof")
    timestamp = options.get("timestampasof")
    if version is not None and timestamp is not None:
        raise StorageError("pass either versionAsOf or timestampAsOf, not both")
    if version is not None:
        try:
            return int(version)
        except ValueError as exc:
            raise StorageError(f"versionAsOf must be an integer, not {version!r}") from exc
    if timestamp is not None:
        try:
            point = dt.datetime.fromisoformat(timestamp.strip().replace("Z", "+00:00"))
        except ValueError as exc:
            raise StorageError(f"timestampAsOf must be an ISO date-time, not {timestamp!r}") from exc
        return point if point.tzinfo else point.replace(tzinfo=ZoneInfo(DEFAULT_TIME_ZONE))
    return None


def _int_option(options: dict[str, str], name: str) -> int | None:
    raw = options.get(name.lower())
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError as exc:
        raise StorageError(f"{name} must be an integer, not {raw!r}") from exc


def _change_range(options: dict[str, str]) -> tuple[int, int | None] | None:
    """``(startingVersion, endingVersion or None)`` when ``readChangeFeed`` is on, else ``None``."""
    if options.get("readchangefeed", "false").lower() != "true":
        return None
    if "versionasof" in options or "timestampasof" in options:
        raise StorageError(
            "readChangeFeed takes startingVersion/endingVersion, not versionAsOf/timestampAsOf"
        )
    start = _int_option(options, "startingVersion")
    if start is None:
        raise StorageError("readChangeFeed needs startingVersion (the first commit whose changes to read)")
    end = _int_option(options, "endingVersion")
    if start < 0 or (end is not None and end < start):
        raise StorageError(f"readChangeFeed: versions {start}…{end} are not a range")
    return start, end


def _columns_option(options: dict[str, str]) -> list[str] | None:
    raw = options.get("columns")
    if raw is None:
        return None
    return [name.strip() for name in raw.split(",") if name.strip()]


_FILTER_TOKEN = re.compile(
    r"""\s*(?:(?P<string>'(?:[^']|'')*')|(?P<quoted>`[^`]+`|"[^"]+")|(?P<number>[-+]?\d+(?:\.\d+)?)"""
    r"""|(?P<word>[A-Za-z_][A-Za-z0-9_]*)|(?P<op><=|>=|<>|!=|=|<|>|\(|\)|,))"""
)
_FILTER_KEYWORDS = frozenset(
    {"and", "or", "not", "in", "is", "null", "between", "true", "false", "date", "timestamp"}
)


def check_partition_filter(predicate: str, partition_columns: Sequence[str]) -> None:
    """Raise :class:`StorageError` unless ``predicate`` only names partition columns.

    File pruning is exact for partition columns only; a data column would make the option select a superset of
    the matching rows, which is not what a filter means.
    """
    position = 0
    named: list[str] = []
    while position < len(predicate.rstrip()):
        match = _FILTER_TOKEN.match(predicate, position)
        if match is None or match.end() == position:
            raise StorageError(f"partitionFilter {predicate!r}: cannot parse near {predicate[position:]!r}")
        position = match.end()
        if match["quoted"]:
            named.append(match["quoted"][1:-1])
        elif match["word"] and match["word"].lower() not in _FILTER_KEYWORDS:
            named.append(match["word"])
    others = sorted({name for name in named if name not in partition_columns})
    if others:
        raise StorageError(
            f"partitionFilter {predicate!r} names {others}, which are not partition columns {list(partition_columns)}"
        )


def _with_comments(schema: pa.Schema, raw: str | None) -> pa.Schema:
    """``schema`` with the ``comment`` metadata of the columns named in the JSON object ``raw``."""
    if not raw:
        return schema
    try:
        comments = json.loads(raw)
    except ValueError as exc:
        raise StorageError(f"columnComments must be a JSON object: {exc}") from exc
    if not isinstance(comments, dict):
        raise StorageError("columnComments must be a JSON object of column → comment")
    fields = []
    for schema_field in schema:
        comment = comments.get(schema_field.name)
        if comment:
            metadata = {**(schema_field.metadata or {}), b"comment": str(comment).encode()}
            schema_field = schema_field.with_metadata(metadata)
        fields.append(schema_field)
    return pa.schema(fields)


def read_target(schema: StructType) -> pa.Schema:
    """The Arrow schema Spark expects from the reader (it compares batches with exactly this)."""
    return strip_metadata(to_arrow_schema(schema, timezone="UTC"))


class DeltaDataSource(DataSource):
    """The ``delta`` format, backed by delta-rs for the log and Arrow for the data files."""

    @classmethod
    def name(cls) -> str:
        return FORMAT_NAME

    def schema(self) -> StructType:
        """The snapshot's schema (column comments kept as Spark field metadata); pins the snapshot version."""
        options = _options(self.options)
        table = LakeTable(_table_path(options))
        changes = _change_range(options)
        snapshot = table.load(changes[1] if changes else _snapshot_point(options))
        self.pinned_version = snapshot.version()
        if changes is not None and changes[0] > self.pinned_version:
            raise StorageError(
                f"{table.uri}: startingVersion {changes[0]} is after the latest version {self.pinned_version}"
            )
        spark_json = schema_json(snapshot.schema())
        wanted = _columns_option(options)
        if wanted is not None:
            by_name = {f["name"]: f for f in spark_json["fields"]}
            unknown = [name for name in wanted if name not in by_name]
            if unknown:
                raise StorageError(f"{table.uri}: columns {unknown} are not in the table ({list(by_name)})")
            spark_json = {"type": "struct", "fields": [by_name[name] for name in wanted]}
        if changes is not None:
            spark_json["fields"] = [*spark_json["fields"], *CHANGE_FIELDS]
        return StructType.fromJson(spark_json)

    def reader(self, schema: StructType) -> DataSourceReader:
        options = _options(self.options)
        table = LakeTable(_table_path(options))
        version = getattr(self, "pinned_version", None)
        changes = _change_range(options)
        if changes is not None:
            end = version if version is not None else table.load(changes[1]).version()
            return DeltaChangeReader(
                uri=table.uri,
                start_version=changes[0],
                end_version=end,
                schema=schema,
                batch_rows=int(options.get("batchrows", READ_BATCH_ROWS)),
            )
        snapshot = table.load(version if version is not None else _snapshot_point(options))
        partition_filter = options.get("partitionfilter")
        if partition_filter is not None:
            check_partition_filter(partition_filter, list(snapshot.metadata().partition_columns))
        return DeltaReader(
            uri=table.uri,
            version=snapshot.version(),
            schema=schema,
            partition_filter=partition_filter,
            batch_rows=int(options.get("batchrows", READ_BATCH_ROWS)),
            use_threads=options.get("readthreads", "true").lower() == "true",
        )

    def writer(self, schema: StructType, overwrite: bool) -> DeltaWriter:
        options = _options(self.options)
        table = LakeTable(_table_path(options))
        incoming_delta = delta_schema_from_spark_json(schema.json())
        requested_partitions = [p.strip() for p in options.get("partitionby", "").split(",") if p.strip()]
        replace = json.loads(options["replacepartitions"]) if "replacepartitions" in options else None
        replace_table = overwrite and options.get("overwriteschema", "false").lower() == "true"
        if replace_table and (replace is not None or "txnappid" in options):
            raise StorageError("overwriteSchema replaces the whole table: no replacePartitions or txnAppId")
        replace_files = _replace_files_option(options, table, overwrite)
        txn = None
        if "txnappid" in options or "txnversion" in options:
            if "txnappid" not in options or "txnversion" not in options:
                raise StorageError("idempotent writes need both txnAppId and txnVersion")
            txn = AppTransaction(options["txnappid"], int(options["txnversion"]))
        if replace_table:
            # The incoming schema (with its column comments) becomes the table's: nothing to check against.
            table_schema = _with_comments(arrow_schema(incoming_delta), options.get("columncomments"))
            partition_by = requested_partitions
            partitions.check_partition_columns(table_schema, partition_by)
        elif table.exists():
            snapshot = table.load()
            table.check_writable(snapshot)
            check_same_schema(
                table.uri, schema_json(snapshot.schema()), schema_json(incoming_delta), allow_widening=True
            )
            table_schema = arrow_schema(snapshot.schema())
            partition_by = list(snapshot.metadata().partition_columns)
            if requested_partitions and requested_partitions != partition_by:
                raise StorageError(
                    f"{table.uri} is partitioned by {partition_by}, not {requested_partitions}"
                )
            if overwrite and snapshot.metadata().configuration.get("delta.appendOnly") == "true":
                raise StorageError(f"{table.uri}: the table is append-only (delta.appendOnly)")
        else:
            table_schema = arrow_schema(incoming_delta)
            partition_by = requested_partitions
            partitions.check_partition_columns(table_schema, partition_by)
        if replace is not None:
            if not overwrite:
                raise StorageError("replacePartitions needs mode overwrite (INSERT OVERWRITE)")
            if not isinstance(replace, dict) or sorted(replace) != sorted(partition_by):
                raise StorageError(
                    f"replacePartitions must give a value for each partition column {partition_by}"
                )
        return DeltaWriter(
            uri=table.uri,
            schema=table_schema,
            partition_by=partition_by,
            overwrite=overwrite,
            job_id=uuid.uuid4().hex,
            txn=txn,
            user_metadata=options.get("usermetadata"),
            replace_partitions={k: partitions.serialize(v) for k, v in replace.items()} if replace else None,
            replace_table=replace_table,
            table_name=options.get("tablename"),
            description=options.get("description"),
            replace_files=replace_files,
        )


def _replace_files_option(
    options: dict[str, str], table: LakeTable, overwrite: bool
) -> tuple[str, ...] | None:
    """The ``replaceFiles`` option: the filesystem paths of the files to remove, checked to be the table's."""
    if "replacefiles" not in options:
        return None
    if overwrite or "replacepartitions" in options or "txnappid" in options:
        raise StorageError(
            "replaceFiles goes with an append (INSERT INTO), without replacePartitions or txnAppId"
        )
    try:
        listed = json.loads(options["replacefiles"])
    except json.JSONDecodeError as exc:
        raise StorageError(f"replaceFiles is not a JSON list of paths: {exc}") from exc
    if not isinstance(listed, list) or not all(isinstance(item, str) for item in listed):
        raise StorageError("replaceFiles must be a JSON list of paths")
    if listed and not table.exists():
        raise StorageError(f"replaceFiles: {table.uri} does not exist")
    _, root = filesystem_for(table.uri)
    paths = tuple(sorted({table_file_path(root, item) for item in listed}))
    outside = [path for path in paths if not path.startswith(root + "/")]
    if outside:
        raise StorageError(f"replaceFiles: {outside[0]} is not a file of {table.uri}")
    return paths


def table_file_path(root: str, name: str) -> str:
    """The filesystem path of a table's data file named by a path relative to the table, an absolute path or a
    ``file:`` URI (``file:/a/b``, ``file:///a/b``; percent-encoded as Spark's ``_metadata.file_path`` is)."""
    if name.startswith("file:"):
        return os.path.normpath(unquote(urlparse(name).path))
    if name.startswith("/"):
        return os.path.normpath(name)
    return os.path.normpath(f"{root}/{name}")


class DeltaFilePartition(InputPartition):
    """One data file of the snapshot: its path and the partition values the log records for it."""

    def __init__(self, path: str, partition_values: dict[str, str | None], size: int) -> None:
        super().__init__(path)
        self.path = path
        self.partition_values = partition_values
        self.size = size


class DeltaReader(DataSourceReader):
    """Plans one input partition per data file and reads each as Arrow batches."""

    def __init__(
        self,
        *,
        uri: str,
        version: int,
        schema: StructType,
        partition_filter: str | None,
        batch_rows: int = READ_BATCH_ROWS,
        use_threads: bool = True,
    ) -> None:
        self.uri = uri
        self.version = version
        self.schema = schema
        self.partition_filter = partition_filter
        self.batch_rows = batch_rows
        self.use_threads = use_threads

    def partitions(self) -> list[InputPartition]:
        table = LakeTable(self.uri)
        files = table.files(self.version)
        if self.partition_filter is not None:
            try:
                kept = table.load(self.version).file_uris(file_pruning_predicate=self.partition_filter)
            except Exception as exc:  # delta-rs parses the predicate; say which option was wrong
                raise StorageError(f"{self.uri}: partitionFilter {self.partition_filter!r}: {exc}") from exc
            wanted = {os.path.normpath(p) for p in kept}
            files = [f for f in files if os.path.normpath(f.path) in wanted]
        log.info(
            "reading %s at version %d: %d file(s) (partitionFilter %r)",
            self.uri,
            self.version,
            len(files),
            self.partition_filter,
        )
        return [DeltaFilePartition(f.path, f.partition_values, f.size) for f in files]

    def read(self, partition: InputPartition) -> Iterator[pa.RecordBatch]:
        if not isinstance(partition, DeltaFilePartition):  # an empty table: Spark plans one empty partition
            return
        filesystem, _ = filesystem_for(self.uri)
        yield from read_data_file(
            filesystem,
            partition.path,
            read_target(self.schema),
            partition.partition_values,
            batch_rows=self.batch_rows,
            use_threads=self.use_threads,
            where=f"{self.uri} version {self.version}",
        )


class DeltaChangePartition(InputPartition):
    """One file whose rows a commit changed."""

    def __init__(self, change: ChangeFile) -> None:
        super().__init__(change.path)
        self.change = change


class DeltaChangeReader(DataSourceReader):
    """The change data feed of a version range: one input partition per changed file."""

    def __init__(
        self,
        *,
        uri: str,
        start_version: int,
        end_version: int,
        schema: StructType,
        batch_rows: int = READ_BATCH_ROWS,
    ) -> None:
        self.uri = uri
        self.start_version = start_version
        self.end_version = end_version
        self.schema = schema
        self.batch_rows = batch_rows

    def partitions(self) -> list[InputPartition]:
        files = change_files(self.uri, self.start_version, self.end_version)
        log.info(
            "reading the changes of %s, versions %d…%d: %d file(s)",
            self.uri,
            self.start_version,
            self.end_version,
            len(files),
        )
        return [DeltaChangePartition(f) for f in files]

    def read(self, partition: InputPartition) -> Iterator[pa.RecordBatch]:
        if not isinstance(partition, DeltaChangePartition):  # no changes: Spark plans one empty partition
            return
        target = read_target(self.schema)
        data_schema = pa.schema([target.field(n) for n in target.names if n not in CHANGE_COLUMNS.names])
        filesystem, _ = filesystem_for(self.uri)
        for batch in read_change_file(
            filesystem,
            partition.change,
            data_schema,
            batch_rows=self.batch_rows,
            where=f"{self.uri} version {partition.change.version}",
        ):
            yield batch.cast(target)


@dataclass
class DeltaCommitMessage(WriterCommitMessage):
    """What one write task produced: its (uncommitted) data files."""

    files: list[DataFile] = field(default_factory=list)
    rows: int = 0


def _conform(batch: pa.RecordBatch, target: pa.Schema) -> pa.RecordBatch:
    """A batch from Spark with the table's column order and types (e.g. session-zone timestamps to UTC)."""
    arrays = []
    for target_field in target:
        column = batch.column(target_field.name)
        if column.type != target_field.type:
            column = column.cast(target_field.type)
        arrays.append(column)
    return pa.RecordBatch.from_arrays(arrays, schema=target)


class DeltaWriter(DataSourceArrowWriter):
    """Tasks write Parquet files; the driver commits them all in one Delta commit, or deletes them on abort."""

    def __init__(
        self,
        *,
        uri: str,
        schema: pa.Schema,
        partition_by: list[str],
        overwrite: bool,
        job_id: str,
        txn: AppTransaction | None,
        user_metadata: str | None,
        replace_partitions: dict[str, str | None] | None,
        replace_table: bool = False,
        table_name: str | None = None,
        description: str | None = None,
        replace_files: tuple[str, ...] | None = None,
    ) -> None:
        self.uri = uri
        self.schema = schema
        self.partition_by = partition_by
        self.overwrite = overwrite
        self.job_id = job_id
        self.txn = txn
        self.user_metadata = user_metadata
        self.replace_partitions = replace_partitions
        self.replace_table = replace_table
        self.table_name = table_name
        self.description = description
        self.replace_files = replace_files

    @property
    def file_prefix(self) -> str:
        return f"part-{self.job_id}"

    def write(self, iterator: Iterator[pa.RecordBatch]) -> DeltaCommitMessage:
        started = time.monotonic()
        target = strip_metadata(self.schema)
        writer = DataFileWriter(self.uri, target, self.partition_by, file_prefix=self.file_prefix)
        try:
            for batch in iterator:
                writer.write(_conform(batch, target))
            files = writer.close()
        except BaseException:
            writer.abort()
            raise
        if self.replace_partitions is not None:
            outside = [f.partition_values for f in files if f.partition_values != self.replace_partitions]
            if outside:
                writer.abort()
                raise StorageError(
                    f"{self.uri}: rows outside the replaced partition {self.replace_partitions}: {outside[:3]}"
                )
        log.info(
            "task wrote %d row(s) in %d file(s) to %s in %.2fs",
            writer.rows,
            len(files),
            self.uri,
            time.monotonic() - started,
        )
        return DeltaCommitMessage(files=files, rows=writer.rows)

    def commit(self, messages: Sequence[WriterCommitMessage | None]) -> None:
        files = [f for m in messages if isinstance(m, DeltaCommitMessage) for f in m.files]
        metadata: dict[str, Any] = {JOB_ID_KEY: self.job_id}
        if self.user_metadata:
            metadata["userMetadata"] = self.user_metadata
        if self.replace_table:
            self._replace_table(files, metadata)
            return
        replace = (
            [(k, "=", "" if v is None else v) for k, v in self.replace_partitions.items()]
            if self.replace_partitions
            else None
        )
        result = LakeTable(self.uri).commit_files(
            files,
            mode="overwrite" if self.overwrite else "append",
            schema=self.schema,
            partition_by=self.partition_by,
            replace_partitions=replace,
            txn=self.txn,
            metadata=metadata,
            replaces=self._replaced_files if self.replace_files else None,
        )
        if not result.committed and files:
            # An idempotent repeat: the table already has this transaction, the new files are not needed.
            filesystem, root = filesystem_for(self.uri)
            delete_files(filesystem, [f"{root}/{f.path}" for f in files])
        log.info(
            "write job %s on %s: %s version %d (%d file(s), %d row(s))",
            self.job_id,
            self.uri,
            "committed" if result.committed else "skipped, already at",
            result.version,
            len(files),
            sum(m.rows for m in messages if isinstance(m, DeltaCommitMessage)),
        )

    def _replaced_files(self, table: DeltaTable) -> list[FileEntry]:
        """The snapshot's entries of the files ``replaceFiles`` names; every one must still be in the table."""
        wanted = set(self.replace_files or ())
        entries = [entry for entry in snapshot_files(table) if os.path.normpath(entry.path) in wanted]
        missing = wanted - {os.path.normpath(entry.path) for entry in entries}
        if missing:
            raise StorageError(
                f"{self.uri}: {len(missing)} file(s) to replace are no longer in the table (another writer "
                f"changed it since they were read), e.g. {sorted(missing)[0]}; nothing was committed"
            )
        return entries

    def _replace_table(self, files: Sequence[DataFile], metadata: dict[str, Any]) -> None:
        """One ``CREATE OR REPLACE TABLE`` commit: new schema, partitioning, name, comment and files.

        The table's existing properties are kept (with the defaults that keep it readable by delta-spark); the
        older versions stay in the log, so time travel and ``history()`` still see them.
        """
        table = LakeTable(self.uri)
        exists = table.exists()
        configuration = {**protocol.DEFAULT_PROPERTIES, **(table.properties() if exists else {})}
        try:
            create_table_with_add_actions(
                self.uri,
                delta_schema_from_arrow(self.schema),
                [f.add_action() for f in files],
                mode="overwrite" if exists else "error",
                partition_by=self.partition_by or None,
                name=self.table_name,
                description=self.description,
                configuration=configuration,
                commit_properties=CommitProperties(custom_metadata=metadata),
            )
        except DeltaError as exc:
            raise StorageError(f"replacing {self.uri}: {exc}") from exc
        log.info(
            "write job %s replaced %s (schema and data) with %d file(s)", self.job_id, self.uri, len(files)
        )

    def abort(self, messages: Sequence[WriterCommitMessage | None]) -> None:
        """Delete every file of this job, unless the job did commit (a failure after the commit)."""
        table = LakeTable(self.uri)
        if table.exists() and any(
            entry.get(JOB_ID_KEY) == self.job_id for entry in commit_infos(self.uri, 256)
        ):
            log.warning("abort of job %s on %s after its commit: keeping its files", self.job_id, self.uri)
            return
        filesystem, root = filesystem_for(self.uri)
        listed = [f"{root}/{f.path}" for m in messages if isinstance(m, DeltaCommitMessage) for f in m.files]
        deleted = delete_files(filesystem, listed)
        # Tasks that failed returned no message; they delete their own files, but a killed task cannot.
        strays = [
            info.path
            for info in filesystem.get_file_info(
                pafs.FileSelector(root, recursive=True, allow_not_found=True)
            )
            if info.type == pafs.FileType.File and info.base_name.startswith(self.file_prefix + "-")
        ]
        deleted += delete_files(filesystem, strays)
        log.warning("write job %s on %s aborted: %d file(s) deleted", self.job_id, self.uri, deleted)


def register(spark: SparkSession) -> None:
    """Register the ``delta`` Python data source with ``spark``."""
    spark.dataSource.register(DeltaDataSource)
    log.info("registered the Python '%s' data source (delta-rs based)", FORMAT_NAME)
