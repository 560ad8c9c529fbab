"""Incremental reads: the rows that changed between two versions of a table.

Tables created here have the change data feed on (``delta.enableChangeDataFeed``), and delta-rs writes it: appends
and partition replacements are derived from ``add``/``remove`` actions, MERGE/UPDATE/DELETE write ``_change_data``
files with update pre- and post-images. For tables without the feed (created elsewhere, or before it was turned
on) the same columns are produced from a diff of consecutive snapshots: rows of files a commit added are
``insert``, rows of files it removed are ``delete`` (an update shows as a delete plus an insert of whole files, and
commits that only rearrange files — OPTIMIZE — are skipped).

Output columns: the table's columns, then ``_change_type`` (``insert``, ``delete``, ``update_preimage``,
``update_postimage``), ``_commit_version`` (int64) and ``_commit_timestamp`` (UTC, milliseconds).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pyarrow as pa
from deltalake.exceptions import DeltaError

from jianguan.errors import StorageError
from jianguan.lake.files import filesystem_for, read_data_file
from jianguan.lake.schema import arrow_schema, strip_metadata

if TYPE_CHECKING:
    from jianguan.lake.tables import FileEntry, LakeTable

log = logging.getLogger(__name__)

CHANGE_COLUMNS = pa.schema(
    [
        pa.field("_change_type", pa.string(), nullable=False),
        pa.field("_commit_version", pa.int64(), nullable=False),
        pa.field("_commit_timestamp", pa.timestamp("ms", tz="UTC"), nullable=False),
    ]
)
NO_DATA_CHANGE_OPERATIONS = frozenset({"OPTIMIZE"})
"""Operations that rewrite files without changing rows (their add/remove actions have ``dataChange=false``)."""


def _cdf_enabled(configuration: dict[str, str]) -> bool:
    return configuration.get("delta.enableChangeDataFeed", "false").lower() == "true"


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
    target = pa.schema([*data_schema, *CHANGE_COLUMNS])
    if _cdf_enabled(latest.metadata().configuration) and _cdf_enabled(
        table.load(start_version).metadata().configuration
    ):
        try:
            reader = latest.load_cdf(
                starting_version=start_version,
                ending_version=end,
                columns=[*data_schema.names, *CHANGE_COLUMNS.names],
            )
            changes = pa.table(reader)
        except DeltaError as exc:
            raise StorageError(f"{table.uri}: change data feed {start_version}…{end}: {exc}") from exc
        changes = changes.select(target.names).cast(target)
        log.info(
            "change feed of %s, versions %d…%d: %d rows", table.uri, start_version, end, changes.num_rows
        )
        return changes.sort_by([("_commit_version", "ascending")])
    return _snapshot_diff(table, start_version, end, data_schema, target)


def _read_files(
    table: LakeTable, files: list[FileEntry], data_schema: pa.Schema, change_type: str, version: int, ms: int
) -> list[pa.RecordBatch]:
    filesystem, _ = filesystem_for(table.uri)
    batches: list[pa.RecordBatch] = []
    for entry in files:
        try:
            for batch in read_data_file(filesystem, entry.path, data_schema, entry.partition_values):
                rows = batch.num_rows
                batches.append(
                    pa.RecordBatch.from_arrays(
                        [
                            *batch.columns,
                            pa.repeat(pa.scalar(change_type), rows),
                            pa.repeat(pa.scalar(version, pa.int64()), rows),
                            pa.repeat(pa.scalar(ms, pa.timestamp("ms", tz="UTC")), rows),
                        ],
                        schema=pa.schema([*data_schema, *CHANGE_COLUMNS]),
                    )
                )
        except FileNotFoundError as exc:
            raise StorageError(
                f"{table.uri}: {entry.path} (changed in version {version}) was vacuumed; "
                "changes that old are no longer available"
            ) from exc
    return batches


def _snapshot_diff(
    table: LakeTable, start: int, end: int, data_schema: pa.Schema, target: pa.Schema
) -> pa.Table:
    commits = {commit.version: commit for commit in table.history()}
    previous = {f.path: f for f in table.files(start - 1)} if start > 0 else {}
    batches: list[pa.RecordBatch] = []
    for version in range(start, end + 1):
        current = {f.path: f for f in table.files(version)}
        commit = commits.get(version)
        if commit is not None and commit.operation not in NO_DATA_CHANGE_OPERATIONS:
            ms = int(commit.timestamp.timestamp() * 1000)
            removed = [f for path, f in previous.items() if path not in current]
            added = [f for path, f in current.items() if path not in previous]
            batches += _read_files(table, removed, data_schema, "delete", version, ms)
            batches += _read_files(table, added, data_schema, "insert", version, ms)
        previous = current
    result = pa.Table.from_batches(batches, schema=target)
    log.info("snapshot diff of %s, versions %d…%d: %d rows", table.uri, start, end, result.num_rows)
    return result
