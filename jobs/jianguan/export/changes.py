"""What changed in a source table since the last successful export, from the Delta change feed.

The silver staging tables may be rewritten wholesale by every dbt run: the change feed then shows every row
deleted and inserted again in one commit. Changes are therefore *netted* per record id and compared by content:
for each record the state before the first commit of the window (its pre-image, or absent) and after the last
commit (its post-image, or absent) are compared through the hash of the national values. Equal states cancel out;
absent → present is an insert, present → absent a delete, two different states an update. Only columns the
layout exports take part, so a change in a field the national side never sees sends nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

import pyarrow as pa
import pyarrow.compute as pc

from jianguan.export.layouts import Dataset
from jianguan.export.records import CONTENT_SHA, RECORD_ID, empty, project
from jianguan.lake import LakeTable

log = logging.getLogger(__name__)

PRE_IMAGES = frozenset({"delete", "update_preimage"})
POST_IMAGES = frozenset({"insert", "update_postimage"})


@dataclass(frozen=True)
class DatasetChanges:
    """The netted changes of one dataset between two table versions (projected national records)."""

    upserts: pa.Table
    """After-images of inserted and updated records."""
    deletes: pa.Table
    """Before-images of deleted records."""
    inserted: frozenset[str]
    updated: frozenset[str]
    deleted: frozenset[str]
    from_version: int | None
    to_version: int


def snapshot(table: LakeTable, dataset: Dataset, version: int) -> pa.Table:
    """Every record of the table at ``version`` (projected)."""
    return project(dataset, table.read(columns=dataset.read_columns, version=version))


def full_load(table: LakeTable, dataset: Dataset, version: int) -> DatasetChanges:
    """The first export of a dataset: every current record is an insert."""
    return loaded(dataset, snapshot(table, dataset, version), version)


def loaded(dataset: Dataset, rows: pa.Table, version: int) -> DatasetChanges:
    """The changes of a full load of ``rows`` (projected records of the snapshot at ``version``)."""
    return DatasetChanges(
        upserts=rows,
        deletes=empty(dataset),
        inserted=frozenset(rows.column(RECORD_ID).to_pylist()),
        updated=frozenset(),
        deleted=frozenset(),
        from_version=None,
        to_version=version,
    )


def unchanged(dataset: Dataset, exported_version: int, to_version: int) -> DatasetChanges:
    """No change: the source has no commit after the exported version."""
    return DatasetChanges(
        empty(dataset), empty(dataset), frozenset(), frozenset(), frozenset(), exported_version, to_version
    )


def changes_since(
    table: LakeTable, dataset: Dataset, exported_version: int, to_version: int
) -> DatasetChanges:
    """Netted changes of versions ``exported_version + 1`` … ``to_version`` (none when they are equal)."""
    if to_version <= exported_version:
        return unchanged(dataset, exported_version, to_version)
    feed = table.changes(exported_version + 1, to_version, columns=dataset.read_columns)
    total = feed.num_rows
    feed = drop_unchanged_rewrites(feed, dataset.read_columns)
    records = project(dataset, feed.select(dataset.read_columns))
    ids = records.column(RECORD_ID).to_pylist()
    hashes = records.column(CONTENT_SHA).to_pylist()
    kinds = feed.column("_change_type").to_pylist()
    versions = feed.column("_commit_version").to_pylist()
    # per record id: {version: [pre-image row, post-image row]}
    touched: dict[str, dict[int, list[int | None]]] = {}
    for row, (record_id, kind, version) in enumerate(zip(ids, kinds, versions, strict=True)):
        slot = touched.setdefault(record_id, {}).setdefault(version, [None, None])
        if kind in PRE_IMAGES:
            slot[0] = row if slot[0] is None else slot[0]
        elif kind in POST_IMAGES:
            slot[1] = row
    upsert_rows: list[int] = []
    delete_rows: list[int] = []
    inserted: set[str] = set()
    updated: set[str] = set()
    deleted: set[str] = set()
    for record_id, by_version in touched.items():
        before = by_version[min(by_version)][0]
        after = by_version[max(by_version)][1]
        if before is None and after is not None:
            inserted.add(record_id)
            upsert_rows.append(after)
        elif before is not None and after is None:
            deleted.add(record_id)
            delete_rows.append(before)
        elif before is not None and after is not None and hashes[before] != hashes[after]:
            updated.add(record_id)
            upsert_rows.append(after)
    log.info(
        "%s versions %d…%d: %d change rows (%d after rewrites) → %d inserted, %d updated, %d deleted",
        dataset.name,
        exported_version + 1,
        to_version,
        total,
        feed.num_rows,
        len(inserted),
        len(updated),
        len(deleted),
    )
    return DatasetChanges(
        upserts=records.take(pa.array(sorted(upsert_rows), pa.int64())),
        deletes=records.take(pa.array(sorted(delete_rows), pa.int64())),
        inserted=frozenset(inserted),
        updated=frozenset(updated),
        deleted=frozenset(deleted),
        from_version=exported_version,
        to_version=to_version,
    )


def drop_unchanged_rewrites(feed: pa.Table, columns: list[str]) -> pa.Table:
    """The change rows minus rows a commit deleted and re-inserted unchanged (a dbt full rewrite).

    Column at a time: each row's values become one text key (nulls as NUL); a pre-image whose key is also a
    post-image of the same commit, and that post-image, cancel out. This is only a fast path: what remains is
    still netted record by record, so a rewrite that is not caught here is caught there.
    """
    if feed.num_rows == 0:
        return feed
    parts = [pc.cast(feed.column(name), pa.string()) for name in columns]
    parts.append(pc.cast(feed.column("_commit_version"), pa.string()))
    keys = pc.binary_join_element_wise(*parts, "\x1f", null_handling="replace", null_replacement="\x00")
    kinds = feed.column("_change_type")
    is_pre = pc.is_in(kinds, value_set=pa.array(sorted(PRE_IMAGES), pa.string()))
    is_post = pc.is_in(kinds, value_set=pa.array(sorted(POST_IMAGES), pa.string()))
    pre_keys = pc.unique(keys.filter(is_pre))
    post_keys = pc.unique(keys.filter(is_post))
    cancelled = pc.or_(
        pc.and_(is_pre, pc.is_in(keys, value_set=post_keys)),
        pc.and_(is_post, pc.is_in(keys, value_set=pre_keys)),
    )
    return feed.filter(pc.invert(cancelled))


def records_for(table: LakeTable, dataset: Dataset, version: int, record_ids: set[str]) -> pa.Table:
    """Current records of the given ids at ``version`` (held records and resubmissions are re-read here)."""
    if not record_ids:
        return empty(dataset)
    if len(dataset.key_fields) == 1:
        import pyarrow.dataset as pads

        key = dataset.key_fields[0]
        wanted = pa.array(sorted(record_ids), pa.string())
        rows = table.read(
            columns=dataset.read_columns,
            version=version,
            filter=pads.field(key).cast(pa.string()).isin(wanted),
        )
        projected = project(dataset, rows)
    else:
        projected = snapshot(table, dataset, version)
    mask = pc.is_in(projected.column(RECORD_ID), value_set=pa.array(sorted(record_ids), pa.string()))
    return projected.filter(mask)


class ChangeReader(Protocol):
    """Where a dataset's records come from: the driver (:class:`DriverReader`) or Spark tasks
    (:class:`jianguan.export.spark_changes.SparkReader`); both give the same records."""

    name: str

    def full_load(self, table: LakeTable, dataset: Dataset, version: int) -> DatasetChanges: ...

    def changes_since(
        self, table: LakeTable, dataset: Dataset, exported_version: int, to_version: int
    ) -> DatasetChanges: ...

    def records_for(
        self, table: LakeTable, dataset: Dataset, version: int, record_ids: set[str]
    ) -> pa.Table: ...


class DriverReader:
    """Records read on the driver with delta-rs and Arrow (the functions above)."""

    name = "driver"

    def full_load(self, table: LakeTable, dataset: Dataset, version: int) -> DatasetChanges:
        return full_load(table, dataset, version)

    def changes_since(
        self, table: LakeTable, dataset: Dataset, exported_version: int, to_version: int
    ) -> DatasetChanges:
        return changes_since(table, dataset, exported_version, to_version)

    def records_for(self, table: LakeTable, dataset: Dataset, version: int, record_ids: set[str]) -> pa.Table:
        return records_for(table, dataset, version, record_ids)
