"""Incremental reads: the rows that changed between two versions of a table, from the commits themselves.

Each commit of the range says what it changed (Delta's change data feed protocol, as delta-spark reads it):

* a commit with ``cdc`` actions (MERGE, UPDATE, DELETE on a table with ``delta.enableChangeDataFeed``; delta-rs
  writes them) changed exactly the rows of those ``_change_data`` files, each row carrying its own
  ``_change_type`` (``insert``, ``delete``, ``update_preimage``, ``update_postimage``);
* otherwise the rows of the files it added with ``dataChange`` are ``insert`` and the rows of the files it removed
  with ``dataChange`` are ``delete`` (appends and partition or predicate replacements; on a table without the
  feed an update shows as a delete plus an insert of whole files); commits that only rearrange files (OPTIMIZE:
  ``dataChange`` false) change nothing.

:func:`change_files` lists those files per commit from the log; :func:`read_change_file` reads one. The driver
reads them all in :func:`read_changes` (``LakeTable.changes``); the Spark ``delta`` source reads one file per
task (``.option("readChangeFeed", "true")``). Output columns: the table's columns, then ``_change_type``,
``_commit_version`` (int64) and ``_commit_timestamp`` (UTC, milliseconds: the commit file's time, which is what
``LakeTable.history`` and time travel go by).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.fs as pafs

from jianguan.errors import StorageError
from jianguan.lake.files import READ_BATCH_ROWS, absolute_path, filesystem_for, read_data_file
from jianguan.lake.log import commit_actions
from jianguan.lake.schema import arrow_schema, strip_metadata

if TYPE_CHECKING:
    from jianguan.lake.tables import LakeTable

log = logging.getLogger(__name__)

CHANGE_TYPE = "_change_type"
CHANGE_COLUMNS = pa.schema(
    [
        pa.field(CHANGE_TYPE, pa.string(), nullable=False),
        pa.field("_commit_version", pa.int64(), nullable=False),
        pa.field("_commit_timestamp", pa.timestamp("ms", tz="UTC"), nullable=False),
    ]
)


@dataclass(frozen=True)
class ChangeFile:
    """One file whose rows a commit changed."""

    path: str
    """Filesystem path."""
    partition_values: dict[str, str | None]
    version: int
    timestamp_ms: int
    change_type: str | None
    """``insert`` / ``delete`` for every row of an added / removed file; ``None`` for a ``_change_data`` file
    (its rows carry their own ``_change_type``)."""


def change_files(table_uri: str, start_version: int, end_version: int) -> list[ChangeFile]:
    """The changed files of commits ``start_version`` … ``end_version`` (inclusive), in commit order."""
    _, root = filesystem_for(table_uri)
    files: list[ChangeFile] = []
    for version in range(start_version, end_version + 1):
        try:
            commit = commit_actions(table_uri, version)
        except FileNotFoundError as exc:
            raise StorageError(
                f"{table_uri}: the commit file of version {version} was cleaned up from the log; "
                "changes that old are no longer available"
            ) from exc
        cdc = commit.of_kind("cdc")
        if cdc:
            kinds: list[tuple[dict[str, Any], str | None]] = [(action, None) for action in cdc]
        else:
            removed = [a for a in commit.of_kind("remove") if a.get("dataChange", True)]
            added = [a for a in commit.of_kind("add") if a.get("dataChange", True)]
            kinds = [(a, "delete") for a in _with_partition_values(table_uri, version, removed)]
            kinds += [(a, "insert") for a in added]
        files += [
            ChangeFile(
                absolute_path(root, action["path"]),
                dict(action.get("partitionValues") or {}),
                version,
                commit.timestamp_ms,
                change_type,
            )
            for action, change_type in kinds
        ]
    return files


def _with_partition_values(
    table_uri: str, version: int, removed: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """``remove`` actions with their partition values (optional in the protocol: then taken from the ``add``)."""
    if all("partitionValues" in action for action in removed):
        return removed
    from jianguan.lake.tables import LakeTable

    _, root = filesystem_for(table_uri)
    before = {f.path: f.partition_values for f in LakeTable(table_uri).files(version - 1)}
    return [
        action
        if "partitionValues" in action
        else {**action, "partitionValues": before.get(absolute_path(root, action["path"]), {})}
        for action in removed
    ]


def change_schema(data_schema: pa.Schema) -> pa.Schema:
    """The schema of change rows: the data columns, then :data:`CHANGE_COLUMNS`."""
    return pa.schema([*data_schema, *CHANGE_COLUMNS])


def read_change_file(
    filesystem: pafs.FileSystem,
    change: ChangeFile,
    data_schema: pa.Schema,
    *,
    batch_rows: int = READ_BATCH_ROWS,
    use_threads: bool = True,
    where: str = "",
) -> Iterator[pa.RecordBatch]:
    """The rows of one changed file as batches of :func:`change_schema` ``(data_schema)``."""
    target = change_schema(data_schema)
    source_schema = pa.schema([*data_schema, pa.field(CHANGE_TYPE, pa.string())])
    version = pa.scalar(change.version, pa.int64())
    moment = pa.scalar(change.timestamp_ms, pa.timestamp("ms", tz="UTC"))
    try:
        for batch in read_data_file(
            filesystem,
            change.path,
            source_schema,
            change.partition_values,
            batch_rows=batch_rows,
            use_threads=use_threads,
            where=where,
        ):
            rows = batch.num_rows
            kinds = batch.column(CHANGE_TYPE)
            if change.change_type is not None:
                kinds = pa.repeat(pa.scalar(change.change_type), rows)
            elif kinds.null_count:
                raise StorageError(f"{change.path}: change data file without {CHANGE_TYPE} values")
            yield pa.RecordBatch.from_arrays(
                [
                    *batch.columns[: len(data_schema)],
                    kinds,
                    pa.repeat(version, rows),
                    pa.repeat(moment, rows),
                ],
                schema=target,
            )
    except FileNotFoundError as exc:
        raise StorageError(
            f"{change.path} (changed in version {change.version}) was vacuumed; changes that old are no longer "
            "available"
        ) from exc


def read_changes(
    table: LakeTable,
    start_version: int,
    end_version: int | None = None,
    *,
    columns: Sequence[str] | None = None,
) -> pa.Table:
    """The changed rows of versions ``start_version`` … ``end_version`` (inclusive; default: the latest)."""
    latest = table.load(end_version)
    end = latest.version()
    if start_version < 0 or start_version > end:
        raise ValueError(f"start version {start_version} is outside 0…{end}")
    data_schema = strip_metadata(arrow_schema(latest.schema()))
    if columns is not None:
        data_schema = pa.schema([data_schema.field(name) for name in columns])
    filesystem, _ = filesystem_for(table.uri)
    files = change_files(table.uri, start_version, end)
    batches = [
        batch
        for change in files
        for batch in read_change_file(
            filesystem, change, data_schema, where=f"{table.uri} version {change.version}"
        )
    ]
    changes = pa.Table.from_batches(batches, schema=change_schema(data_schema))
    log.info(
        "changes of %s, versions %d…%d: %d file(s), %d row(s)",
        table.uri,
        start_version,
        end,
        len(files),
        changes.num_rows,
    )
    return changes
