"""Delta tables of the lakehouse over delta-rs (``deltalake``): create, write, merge, time travel, maintenance.

Every write is one Delta commit. Writers that can be retried blindly (appends) are retried a bounded number of
times when another writer commits first; every other conflict raises :class:`~jianguan.errors.CommitConflictError`
so the caller decides (a replace or merge computed against an old snapshot must not be replayed silently).

Idempotence comes in two forms:

* **replace by predicate** (:meth:`LakeTable.replace_where`): the rows matching ``batch_id = 'x'`` are replaced by
  the new rows in one commit; rerunning a batch rewrites it and never duplicates it;
* **application transactions** (:class:`AppTransaction`, the Delta ``txn`` action): a commit carries
  ``(app_id, version)`` and is skipped when the table already records that version or a later one for the app,
  so "commit batch x once" is exactly-once even across crashes and concurrent retries (delta-rs rejects two
  concurrent commits of the same ``app_id``).

Nothing here reads the environment. :meth:`LakeTable.vacuum` compares file ages with the wall clock (that is what
a retention period means); everything else only reads the table.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from deltalake import CommitProperties, DeltaTable, Transaction, write_deltalake
from deltalake.exceptions import CommitFailedError, DeltaError, TableNotFoundError
from deltalake.transaction import AddAction, RemoveAction, create_table_with_add_actions

from jianguan.errors import CommitConflictError, StorageError
from jianguan.lake import partitions, protocol
from jianguan.lake.files import DataFile, absolute_path, filesystem_for
from jianguan.lake.log import FILE_TIME_KEY, commit_info, commit_infos
from jianguan.lake.schema import (
    SchemaMismatchError,
    arrow_schema,
    check_same_schema,
    delta_schema_from_arrow,
    schema_json,
    strip_metadata,
)

if TYPE_CHECKING:  # pyarrow.dataset imports pandas (seconds): kept out of Spark's Python workers
    import pyarrow.dataset as pads

log = logging.getLogger(__name__)

MIN_VACUUM_RETENTION = dt.timedelta(days=7)
"""Shortest retention :meth:`LakeTable.vacuum` accepts without ``force``: readers of older snapshots (time
travel, long-running queries, the change feed) need the files removed by recent commits."""
DEFAULT_APPEND_RETRIES = 5
COMMIT_ID_KEY = "jianguanCommitId"
"""Commit-info key holding a unique id per commit, to find the version a commit got."""

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

TableData: TypeAlias = "pa.Table | pa.RecordBatch | pa.RecordBatchReader"
"""What the write methods accept: Arrow data with the table's columns (extra widening casts are applied)."""


@dataclass(frozen=True)
class AppTransaction:
    """An application transaction id: a commit carrying it is skipped when the table already has it.

    ``version`` increases per ``app_id`` (Delta keeps the latest version per app id). For one-off batches use
    :meth:`for_batch`, which makes the batch id the app id.
    """

    app_id: str
    version: int = 0

    @classmethod
    def for_batch(cls, batch_id: str, *, writer: str = "batch") -> AppTransaction:
        """The transaction of "commit batch ``batch_id`` once" (for writer ``writer``)."""
        return cls(app_id=f"{writer}:{batch_id}", version=0)

    def delta(self) -> Transaction:
        return Transaction(self.app_id, self.version)


@dataclass(frozen=True)
class CommitResult:
    """What a write did: the table version after it, and whether it committed or was skipped as a repeat."""

    version: int
    committed: bool
    attempts: int = 1
    metrics: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Commit:
    """One entry of a table's history."""

    version: int
    timestamp: dt.datetime
    operation: str
    parameters: dict[str, Any]
    metrics: dict[str, Any]
    custom: dict[str, Any]


@dataclass(frozen=True)
class FileEntry:
    """One data file of a snapshot, as the log describes it."""

    path: str
    """Filesystem path (absolute for local tables)."""
    size: int
    partition_values: dict[str, str | None]
    num_records: int | None
    log_path: str = ""
    """The path exactly as the log's ``add`` action writes it (what a ``remove`` action must name)."""

    def remove_action(self) -> RemoveAction:
        return RemoveAction(
            path=self.log_path,
            data_change=True,
            deletion_timestamp=int(time.time() * 1000),
            size=self.size,
            partition_values=self.partition_values,
        )


LIBRARY_PROPERTY = "jianguan.library"
"""Pseudo-property naming the library (of the eight, or e.g. ``risk``) a table belongs to. delta-rs accepts only
Delta's own table properties, so :meth:`LakeTable.create` stores it in the table description as ``[library=x]``."""
_LIBRARY_TAG = re.compile(r"\[library=([A-Za-z0-9_]+)\]")


def library_description(library: str, description: str | None) -> str:
    tag = f"[library={library}]"
    return f"{description} {tag}" if description else tag


def library_of(description: str | None) -> str | None:
    """The library tagged in a table description by :func:`library_description`, if any."""
    match = _LIBRARY_TAG.search(description or "")
    return match.group(1) if match else None


def _delta_error(where: str, exc: Exception) -> StorageError:
    return StorageError(f"{where}: {exc}")


def _sql_identifier(name: str) -> str:
    if not _IDENTIFIER.match(name):
        raise StorageError(f"column name {name!r} cannot be used in a generated predicate")
    return name


class LakeTable:
    """One Delta table at a path (local folder or object-store URL).

    The object holds no snapshot: every call loads the table's latest version (or the version asked for), so
    one instance can be shared by a long-running process.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        storage_options: Mapping[str, str] | None = None,
        append_retries: int = DEFAULT_APPEND_RETRIES,
    ) -> None:
        self.uri = (
            str(Path(path).resolve()) if isinstance(path, Path) or "://" not in str(path) else str(path)
        )
        self.storage_options = dict(storage_options) if storage_options else None
        self.append_retries = append_retries

    def __repr__(self) -> str:
        return f"LakeTable({self.uri!r})"

    # ---- creation and inspection -------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: str | Path,
        schema: pa.Schema,
        *,
        partition_by: Sequence[str] = (),
        properties: Mapping[str, str] | None = None,
        name: str | None = None,
        description: str | None = None,
        exist_ok: bool = False,
        storage_options: Mapping[str, str] | None = None,
    ) -> LakeTable:
        """Create an empty table from an Arrow schema (field metadata such as ``comment``/``label_zh`` is kept).

        Tables get :data:`~jianguan.lake.protocol.DEFAULT_PROPERTIES` (change data feed on, no deletion vectors,
        no column mapping) plus ``properties``. With ``exist_ok`` an existing table is accepted when its schema
        has the same columns and types.
        """
        table = cls(path, storage_options=storage_options)
        partition_list = list(partition_by)
        partitions.check_partition_columns(schema, partition_list)
        delta_schema = delta_schema_from_arrow(schema)
        if table.exists():
            if not exist_ok:
                raise StorageError(f"{table.uri}: a Delta table already exists")
            check_same_schema(table.uri, table.schema_json(), schema_json(delta_schema))
            return table
        configuration = {**protocol.DEFAULT_PROPERTIES, **(properties or {})}
        library = configuration.pop(LIBRARY_PROPERTY, None)
        # delta-rs refuses non-Delta properties: the library goes into the description.
        if library is not None:
            description = library_description(library, description)
        try:
            DeltaTable.create(
                table.uri,
                delta_schema,
                mode="ignore" if exist_ok else "error",
                partition_by=partition_list or None,
                name=name,
                description=description,
                configuration=configuration,
                storage_options=table.storage_options,
            )
        except DeltaError as exc:
            raise _delta_error(f"creating {table.uri}", exc) from exc
        log.info("created table %s (partitioned by %s)", table.uri, partition_list)
        return table

    def exists(self) -> bool:
        return DeltaTable.is_deltatable(self.uri, self.storage_options)

    def load(self, version: int | dt.datetime | None = None) -> DeltaTable:
        """The table at its latest version, a version number or a point in time; refused if unsupported.

        A naive ``datetime`` is taken as UTC (delta-rs does so); pass an aware one to be explicit.
        """
        try:
            table = DeltaTable(
                self.uri,
                version=version if isinstance(version, int) else None,
                storage_options=self.storage_options,
            )
            if isinstance(version, dt.datetime):
                table.load_as_version(version)
                self._check_committed_by(table.version(), version)
        except TableNotFoundError as exc:
            raise StorageError(f"{self.uri}: no Delta table here") from exc
        except DeltaError as exc:
            raise _delta_error(f"loading {self.uri} at {version}", exc) from exc
        except (
            ValueError
        ) as exc:  # delta-rs: a timestamp before the first commit, a version that does not exist
            raise StorageError(f"{self.uri}: no snapshot at {version}: {exc}") from exc
        self.check_readable(table)
        return table

    def _check_committed_by(self, version: int, point: dt.datetime) -> None:
        """delta-rs answers a time before the first commit with version 0; that snapshot did not exist yet."""
        aware = point if point.tzinfo else point.replace(tzinfo=dt.UTC)
        committed = commit_time(commit_info(self.uri, version))
        if committed > aware:
            raise StorageError(
                f"{self.uri}: no snapshot at {point.isoformat()}; the earliest is version {version} "
                f"committed at {committed.isoformat()}"
            )

    def check_readable(self, table: DeltaTable) -> None:
        versions = table.protocol()
        protocol.check_readable(
            self.uri, versions.min_reader_version, versions.reader_features, table.metadata().configuration
        )

    def check_writable(self, table: DeltaTable) -> None:
        """Refuse tables the Spark connector's writer cannot write correctly (see :mod:`jianguan.lake.protocol`)."""
        versions = table.protocol()
        protocol.check_writable(
            self.uri,
            versions.min_writer_version,
            versions.writer_features,
            table.metadata().configuration,
            schema_json(table.schema()),
        )

    def version(self) -> int:
        return self.load().version()

    def schema(self, version: int | dt.datetime | None = None) -> pa.Schema:
        """The Arrow schema, with each field's metadata (comments) as stored in the log."""
        return arrow_schema(self.load(version).schema())

    def schema_json(self, version: int | dt.datetime | None = None) -> dict[str, Any]:
        return schema_json(self.load(version).schema())

    def partition_columns(self) -> list[str]:
        return list(self.load().metadata().partition_columns)

    def properties(self) -> dict[str, str]:
        return dict(self.load().metadata().configuration)

    def files(self, version: int | dt.datetime | None = None) -> list[FileEntry]:
        """The data files of a snapshot with their partition values and row counts (from the log)."""
        return snapshot_files(self.load(version))

    def count(self, version: int | dt.datetime | None = None, *, table: DeltaTable | None = None) -> int:
        """Row count from the log's statistics; files without statistics have their footers read.

        ``table``: a snapshot already loaded (instead of ``version``), so the log is not read again.
        """
        if table is not None and version is not None:
            raise ValueError("count: pass a version or a loaded snapshot, not both")
        table = table if table is not None else self.load(version)
        filesystem, _ = filesystem_for(self.uri)
        total = 0
        for entry in snapshot_files(table):
            if entry.num_records is None:
                with filesystem.open_input_file(entry.path) as source:
                    total += pq.ParquetFile(source).metadata.num_rows
            else:
                total += entry.num_records
        return total

    def applied(self, txn: AppTransaction, table: DeltaTable | None = None) -> bool:
        """Whether the table already records ``txn`` (or a later version of its app id)."""
        current = (table or self.load()).transaction_version(txn.app_id)
        return current is not None and current >= txn.version

    # ---- reads -------------------------------------------------------------------------------------------

    def dataset(self, version: int | dt.datetime | None = None) -> pads.Dataset:
        """A ``pyarrow.dataset`` over a snapshot (partition columns filled in from the log)."""
        try:
            return self.load(version).to_pyarrow_dataset()
        except DeltaError as exc:
            raise _delta_error(f"reading {self.uri}", exc) from exc

    def read(
        self,
        *,
        columns: Sequence[str] | None = None,
        filter: pads.Expression | None = None,
        version: int | None = None,
        as_of: dt.datetime | None = None,
    ) -> pa.Table:
        """Read the latest snapshot, or time travel to ``version`` or to the snapshot current at ``as_of``."""
        if version is not None and as_of is not None:
            raise ValueError("pass either version or as_of, not both")
        snapshot = self.dataset(version if version is not None else as_of)
        table = snapshot.to_table(columns=list(columns) if columns is not None else None, filter=filter)
        log.debug("read %d rows from %s", table.num_rows, self.uri)
        return table

    def history(self, limit: int | None = None) -> list[Commit]:
        """Commits, newest first (those whose JSON commit file is still in the log).

        ``timestamp`` is the commit file's modification time — the time ``read(as_of=…)`` goes by — as in
        delta-spark's ``DESCRIBE HISTORY``; the writer's own clock reading is in ``custom["timestamp"]``.
        """
        self.load()  # refuses unsupported tables, like every other operation
        return [
            Commit(
                version=int(entry["version"]),
                timestamp=commit_time(entry),
                operation=str(entry.get("operation", "")),
                parameters=dict(entry.get("operationParameters") or {}),
                metrics=dict(entry.get("operationMetrics") or {}),
                custom={
                    k: v
                    for k, v in entry.items()
                    if k
                    not in {
                        "version",
                        FILE_TIME_KEY,
                        "operation",
                        "operationParameters",
                        "operationMetrics",
                        "engineInfo",
                        "clientVersion",
                    }
                },
            )
            for entry in commit_infos(self.uri, limit)
        ]

    def changes(
        self,
        start_version: int,
        end_version: int | None = None,
        *,
        columns: Sequence[str] | None = None,
    ) -> pa.Table:
        """Rows inserted/deleted/updated between two versions (inclusive); see :mod:`jianguan.lake.changes`."""
        from jianguan.lake.changes import read_changes

        return read_changes(self, start_version, end_version, columns=columns)

    # ---- writes ------------------------------------------------------------------------------------------

    def _conform(self, table: DeltaTable, data: TableData) -> pa.Table | pa.RecordBatchReader:
        """Data with the table's columns (by name) and types; a clear error when they do not match."""
        target = strip_metadata(arrow_schema(table.schema()))
        incoming = data.schema
        check_same_schema(
            self.uri,
            schema_json(table.schema()),
            schema_json(delta_schema_from_arrow(incoming)),
            allow_widening=True,
        )
        for target_field in target:
            if (
                not target_field.nullable
                and isinstance(data, pa.Table | pa.RecordBatch)
                and data.column(target_field.name).null_count
            ):
                raise SchemaMismatchError(
                    f"schema mismatch writing {self.uri}: column {target_field.name!r} is NOT NULL "
                    "but the data has nulls"
                )
        if isinstance(data, pa.RecordBatch):
            data = pa.Table.from_batches([data])
        if isinstance(data, pa.Table):
            return data.select(target.names).cast(target)
        reader: pa.RecordBatchReader = data
        return pa.RecordBatchReader.from_batches(
            target, (b.select(target.names).cast(target) for b in reader)
        )

    def _commit(
        self,
        operation: str,
        attempt: Callable[[DeltaTable, CommitProperties], dict[str, Any] | None],
        *,
        txn: AppTransaction | None,
        metadata: Mapping[str, Any] | None,
        retryable: bool,
    ) -> CommitResult:
        """Run one commit attempt after another until it succeeds, is skipped, or conflicts for good."""
        started = time.monotonic()
        attempts = 0
        while True:
            attempts += 1
            table = self.load()
            if txn is not None and self.applied(txn, table):
                log.info("%s %s: transaction %s already committed, skipped", operation, self.uri, txn)
                return CommitResult(version=table.version(), committed=False, attempts=attempts)
            commit_id = str(uuid.uuid4())
            properties = CommitProperties(
                custom_metadata={**(metadata or {}), COMMIT_ID_KEY: commit_id},
                app_transactions=[txn.delta()] if txn is not None else None,
            )
            try:
                metrics = attempt(table, properties) or {}
            except CommitFailedError as exc:
                if txn is not None and self.applied(txn):
                    log.info(
                        "%s %s: a concurrent writer committed %s first, skipped", operation, self.uri, txn
                    )
                    return CommitResult(version=self.version(), committed=False, attempts=attempts)
                if retryable and attempts <= self.append_retries:
                    log.warning(
                        "%s %s: commit conflict (attempt %d), retrying", operation, self.uri, attempts
                    )
                    continue
                raise CommitConflictError(
                    f"{operation} {self.uri}: a concurrent commit conflicts ({exc}) after {attempts} attempt(s)"
                ) from exc
            except SchemaMismatchError:
                raise
            except DeltaError as exc:
                raise _delta_error(f"{operation} {self.uri}", exc) from exc
            version = self._version_of(commit_id)
            log.info(
                "%s %s: committed version %d in %.3fs (%d attempt(s))",
                operation,
                self.uri,
                version,
                time.monotonic() - started,
                attempts,
            )
            return CommitResult(version=version, committed=True, attempts=attempts, metrics=metrics)

    def _version_of(self, commit_id: str) -> int:
        """The version a commit got, found by its id among the latest commits (other writers may follow it)."""
        for limit in (16, None):
            for entry in commit_infos(self.uri, limit):
                if entry.get(COMMIT_ID_KEY) == commit_id:
                    return int(entry["version"])
        raise StorageError(f"{self.uri}: commit {commit_id} was made but is not in the log")

    def append(
        self,
        data: TableData,
        *,
        txn: AppTransaction | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> CommitResult:
        """Append rows in one commit; retried on conflicts (a stream can be written only once, so not retried)."""

        def attempt(table: DeltaTable, properties: CommitProperties) -> None:
            write_deltalake(table, self._conform(table, data), mode="append", commit_properties=properties)

        return self._commit(
            "append",
            attempt,
            txn=txn,
            metadata=metadata,
            retryable=not isinstance(data, pa.RecordBatchReader),
        )

    def replace_where(
        self,
        data: TableData,
        predicate: str,
        *,
        txn: AppTransaction | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> CommitResult:
        """Replace the rows matching ``predicate`` (SQL, e.g. ``batch_id = 'x'``) by ``data``, in one commit.

        Every row of ``data`` must match the predicate (delta-rs checks). Rerunning the same batch gives the same
        table: this is how a batch is made idempotent without an application transaction.
        """

        def attempt(table: DeltaTable, properties: CommitProperties) -> None:
            write_deltalake(
                table,
                self._conform(table, data),
                mode="overwrite",
                predicate=predicate,
                commit_properties=properties,
            )

        return self._commit("replace", attempt, txn=txn, metadata=metadata, retryable=False)

    def overwrite(
        self,
        data: TableData,
        *,
        txn: AppTransaction | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> CommitResult:
        """Replace all rows by ``data`` in one commit (schema and partitioning are kept)."""

        def attempt(table: DeltaTable, properties: CommitProperties) -> None:
            write_deltalake(table, self._conform(table, data), mode="overwrite", commit_properties=properties)

        return self._commit("overwrite", attempt, txn=txn, metadata=metadata, retryable=False)

    def delete(self, predicate: str, *, metadata: Mapping[str, Any] | None = None) -> CommitResult:
        """Delete the rows matching ``predicate`` (files are rewritten; no deletion vectors)."""

        def attempt(table: DeltaTable, properties: CommitProperties) -> dict[str, Any]:
            metrics = table.delete(predicate, commit_properties=properties)
            if not metrics.get("num_removed_files"):
                raise _NothingToCommit()  # delta-rs makes no commit when no file holds a matching row
            return metrics

        try:
            return self._commit("delete", attempt, txn=None, metadata=metadata, retryable=False)
        except _NothingToCommit:
            log.info("delete from %s: no row matches %s, nothing committed", self.uri, predicate)
            return CommitResult(version=self.version(), committed=False)

    def merge(
        self,
        data: TableData,
        keys: Sequence[str],
        *,
        update: bool = True,
        insert: bool = True,
        delete_missing: bool = False,
        txn: AppTransaction | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> CommitResult:
        """Upsert ``data`` by business key: matched rows are updated, new keys inserted (one commit).

        With ``delete_missing`` target rows whose key is absent from ``data`` are deleted (a full snapshot
        load). Keys must be unique in ``data``; duplicates raise :class:`StorageError` before anything is written.
        """
        if not keys:
            raise ValueError("merge needs at least one key column")
        predicate = " AND ".join(f"t.{_sql_identifier(k)} = s.{_sql_identifier(k)}" for k in keys)
        source = data if isinstance(data, pa.Table) else pa.table(data)
        duplicates = (
            source.group_by(list(keys))
            .aggregate([([], "count_all")])
            .filter(pc.greater(pc.field("count_all"), 1))
        )
        if duplicates.num_rows:
            raise StorageError(
                f"merge into {self.uri}: {duplicates.num_rows} key(s) occur more than once in the data"
            )

        def attempt(table: DeltaTable, properties: CommitProperties) -> dict[str, Any]:
            merger = table.merge(
                self._conform(table, source),
                predicate,
                source_alias="s",
                target_alias="t",
                commit_properties=properties,
            )
            if update:
                merger = merger.when_matched_update_all()
            if insert:
                merger = merger.when_not_matched_insert_all()
            if delete_missing:
                merger = merger.when_not_matched_by_source_delete()
            return merger.execute()

        return self._commit("merge", attempt, txn=txn, metadata=metadata, retryable=False)

    def commit_files(
        self,
        files: Sequence[DataFile],
        *,
        mode: Literal["append", "overwrite"],
        schema: pa.Schema,
        partition_by: Sequence[str] = (),
        replace_partitions: Sequence[tuple[str, str, Any]] | None = None,
        txn: AppTransaction | None = None,
        metadata: Mapping[str, Any] | None = None,
        properties: Mapping[str, str] | None = None,
        replaces: Callable[[DeltaTable], Sequence[FileEntry]] | None = None,
    ) -> CommitResult:
        """Commit Parquet files already written into the table folder (by Spark tasks) as one Delta commit.

        Creates the table when it does not exist (with ``schema``, ``partition_by`` and the default properties).
        For an existing table ``schema`` must have the table's columns and types. ``overwrite`` removes every
        current file, or with ``replace_partitions`` (delta-rs partition filters such as
        ``[("day", "=", "2024-01-02")]``) only the files of those partitions.

        ``replaces`` (``append`` only) picks current files to remove in the same commit — whole files, so every
        row they hold is replaced. It is called on the snapshot each attempt commits on, so a retry after a
        conflict removes what is current then. Without files to add the commit only removes (none when nothing
        is picked).
        """
        if replaces is not None and mode != "append":
            raise ValueError("replaces goes with mode='append' (overwrite derives its own removes)")
        adds: list[AddAction | RemoveAction] = [f.add_action() for f in files]
        incoming = schema_json(delta_schema_from_arrow(schema))
        rows = sum(f.num_records for f in files)
        created = self._create_with_files(
            files, schema=schema, partition_by=partition_by, txn=txn, metadata=metadata, properties=properties
        )
        if created is not None:
            return created

        def attempt(table: DeltaTable, commit_properties: CommitProperties) -> dict[str, Any]:
            self.check_writable(table)
            check_same_schema(self.uri, schema_json(table.schema()), incoming)
            table_partitions = list(table.metadata().partition_columns)
            if partition_by and list(partition_by) != table_partitions:
                raise StorageError(
                    f"{self.uri}: the table is partitioned by {table_partitions}, not {list(partition_by)}"
                )
            if mode == "overwrite" and table.metadata().configuration.get("delta.appendOnly") == "true":
                raise StorageError(
                    f"{self.uri}: the table is append-only (delta.appendOnly); it cannot be overwritten"
                )
            removes = [entry.remove_action() for entry in (replaces(table) if replaces else ())]
            actions = adds + removes
            if mode == "append" and not actions:
                raise _NothingToCommit()
            table.create_write_transaction(
                actions,
                mode=mode,
                schema=table.schema(),
                partition_by=table_partitions,
                partition_filters=list(replace_partitions) if replace_partitions else None,
                commit_properties=commit_properties,
            )
            return {"num_added_files": len(adds), "num_removed_files": len(removes), "num_added_rows": rows}

        try:
            return self._commit(
                f"commit {mode}", attempt, txn=txn, metadata=metadata, retryable=mode == "append"
            )
        except _NothingToCommit:
            log.info("append to %s: no rows, nothing committed", self.uri)
            return CommitResult(version=self.version(), committed=False)

    def _create_with_files(
        self,
        files: Sequence[DataFile],
        *,
        schema: pa.Schema,
        partition_by: Sequence[str],
        txn: AppTransaction | None,
        metadata: Mapping[str, Any] | None,
        properties: Mapping[str, str] | None,
    ) -> CommitResult | None:
        """Create the table with its first files; ``None`` when the table exists (or appeared meanwhile)."""
        if self.exists():
            return None
        partitions.check_partition_columns(schema, list(partition_by))
        commit_id = str(uuid.uuid4())
        try:
            create_table_with_add_actions(
                self.uri,
                delta_schema_from_arrow(schema),
                [f.add_action() for f in files],
                mode="error",
                partition_by=list(partition_by) or None,
                configuration={**protocol.DEFAULT_PROPERTIES, **(properties or {})},
                storage_options=self.storage_options,
                commit_properties=CommitProperties(
                    custom_metadata={**(metadata or {}), COMMIT_ID_KEY: commit_id},
                    app_transactions=[txn.delta()] if txn is not None else None,
                ),
            )
        except DeltaError as exc:
            if self.exists():  # another writer created it first: commit into it instead
                log.info("%s was created concurrently; committing into it", self.uri)
                return None
            raise _delta_error(f"creating {self.uri}", exc) from exc
        log.info("created %s with %d file(s)", self.uri, len(files))
        return CommitResult(version=self._version_of(commit_id), committed=True)

    # ---- maintenance -------------------------------------------------------------------------------------

    def optimize(
        self,
        *,
        target_size: int | None = None,
        partition_filters: Sequence[tuple[str, str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Compact small files (bin-packing; rows and their order within a partition are kept)."""
        try:
            metrics = self.load().optimize.compact(
                partition_filters=list(partition_filters) if partition_filters else None,
                target_size=target_size,
            )
        except CommitFailedError as exc:
            raise CommitConflictError(f"optimize {self.uri}: {exc}") from exc
        except DeltaError as exc:
            raise _delta_error(f"optimize {self.uri}", exc) from exc
        log.info(
            "optimized %s: %s files removed, %s added",
            self.uri,
            metrics.get("numFilesRemoved"),
            metrics.get("numFilesAdded"),
        )
        return metrics

    def vacuum(
        self,
        retention: dt.timedelta = MIN_VACUUM_RETENTION,
        *,
        dry_run: bool = True,
        force: bool = False,
    ) -> list[str]:
        """Delete files no snapshot within ``retention`` needs (and files no commit references).

        Refuses a retention under :data:`MIN_VACUUM_RETENTION` unless ``force``: a shorter one breaks time travel
        and the change feed for that period, and can delete files a running writer has not committed yet.
        By default only lists what would be deleted (``dry_run``).
        """
        if retention < dt.timedelta(0):
            raise ValueError("retention must not be negative")
        if retention < MIN_VACUUM_RETENTION and not force:
            raise StorageError(
                f"vacuum {self.uri}: retention {retention} is shorter than {MIN_VACUUM_RETENTION.days} days; "
                "pass force=True if no reader or writer can need the removed files"
            )
        hours = int(retention.total_seconds() // 3600)
        try:
            removed = self.load().vacuum(
                retention_hours=hours, dry_run=dry_run, enforce_retention_duration=not force, full=True
            )
        except DeltaError as exc:
            raise _delta_error(f"vacuum {self.uri}", exc) from exc
        log.info("vacuum %s: %d file(s) %s", self.uri, len(removed), "to delete" if dry_run else "deleted")
        return list(removed)

    def checkpoint(self) -> int:
        """Write a checkpoint at the latest version (readers then skip replaying older JSON commits)."""
        table = self.load()
        try:
            table.create_checkpoint()
        except DeltaError as exc:
            raise _delta_error(f"checkpoint {self.uri}", exc) from exc
        log.info("checkpoint of %s at version %d", self.uri, table.version())
        return table.version()


def commit_time(entry: Mapping[str, Any]) -> dt.datetime:
    """When a commit (an entry of :func:`~jianguan.lake.log.commit_info`) counts as made for time travel."""
    millis = entry.get(FILE_TIME_KEY, entry.get("timestamp", 0))
    return dt.datetime.fromtimestamp(int(millis) / 1000, tz=dt.UTC)


class _NothingToCommit(Exception):
    """An append without files: no commit is made."""


def snapshot_files(table: DeltaTable) -> list[FileEntry]:
    """The data files of a loaded snapshot, with partition values as the log's strings."""
    _, root = filesystem_for(table.table_uri)
    actions = pa.table(table.get_add_actions(flatten=False))
    if actions.num_rows == 0:
        return []
    partition_columns = table.metadata().partition_columns
    has_partition = "partition" in actions.column_names
    records = actions.column("num_records").to_pylist() if "num_records" in actions.column_names else None
    paths = actions.column("path").to_pylist()
    sizes = actions.column("size_bytes").to_pylist()
    values: list[dict[str, Any]] = (
        actions.column("partition").to_pylist()
        if has_partition and partition_columns
        else [{} for _ in paths]
    )
    return [
        FileEntry(
            path=absolute_path(root, path),
            size=int(size),
            partition_values={k: partitions.serialize(v) for k, v in (value or {}).items()},
            num_records=None if records is None or records[i] is None else int(records[i]),
            log_path=path,
        )
        for i, (path, size, value) in enumerate(zip(paths, sizes, values, strict=True))
    ]
