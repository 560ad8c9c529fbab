"""The Delta table layer over delta-rs: creation, writes, idempotence, merge, time travel, maintenance."""

from __future__ import annotations

import datetime as dt
import json
import os
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from deltalake import DeltaTable, TableFeatures

from jianguan.errors import CommitConflictError, StorageError
from jianguan.lake import AppTransaction, LakeTable, SchemaMismatchError

SCHEMA = pa.schema(
    [
        pa.field(
            "record_id", pa.int64(), nullable=False, metadata={"comment": "记录编号", "label_zh": "记录编号"}
        ),
        pa.field("batch_id", pa.string(), nullable=False, metadata={"label_zh": "批次号"}),
        pa.field("entity_name", pa.string(), metadata={"label_zh": "主体名称", "pii": "false"}),
        pa.field("fine_amount", pa.decimal128(18, 2), metadata={"label_zh": "罚款金额"}),
        pa.field("decided_date", pa.date32()),
        pa.field("ingested_at", pa.timestamp("us", tz="UTC")),
    ]
)


def rows(ids: list[int], batch: str, *, name: str = "某某有限公司") -> pa.Table:
    return pa.table(
        {
            "record_id": ids,
            "batch_id": [batch] * len(ids),
            "entity_name": [f"{name}{i}" for i in ids],
            "fine_amount": [Decimal(i) / 4 for i in ids],
            "decided_date": [dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in ids],
            "ingested_at": [dt.datetime(2024, 1, 2, 3, 4, 5, i, tzinfo=dt.UTC) for i in ids],
        },
        schema=SCHEMA,
    )


def ids_of(table: pa.Table) -> list[int]:
    return sorted(table.column("record_id").to_pylist())


@pytest.fixture
def table(tmp_path: Path) -> LakeTable:
    return LakeTable.create(tmp_path / "bronze" / "actions__penalties", SCHEMA, partition_by=["batch_id"])


def test_create_keeps_comments_and_readable_properties(table: LakeTable) -> None:
    schema = table.schema()
    assert schema.field("record_id").metadata[b"comment"] == "记录编号".encode()
    assert schema.field("entity_name").metadata[b"label_zh"] == "主体名称".encode()
    assert not schema.field("record_id").nullable
    delta = DeltaTable(table.uri)
    assert delta.metadata().configuration["delta.enableChangeDataFeed"] == "true"
    protocol = delta.protocol()
    # Readable by delta-spark and by the Python connector: legacy protocol, no table features.
    assert (protocol.min_reader_version, protocol.reader_features) == (1, None)
    assert protocol.min_writer_version <= 4
    assert table.partition_columns() == ["batch_id"]


def test_create_refuses_existing_unless_same_schema(table: LakeTable) -> None:
    with pytest.raises(StorageError, match="already exists"):
        LakeTable.create(table.uri, SCHEMA)
    assert LakeTable.create(table.uri, SCHEMA, exist_ok=True).version() == 0
    other = SCHEMA.set(3, pa.field("fine_amount", pa.string()))
    with pytest.raises(SchemaMismatchError, match="fine_amount"):
        LakeTable.create(table.uri, other, exist_ok=True)


def test_append_and_read_back(table: LakeTable) -> None:
    result = table.append(rows([1, 2, 3], "b1"))
    assert (result.version, result.committed) == (1, True)
    read = table.read()
    assert ids_of(read) == [1, 2, 3]
    assert read.column("entity_name").to_pylist()[0].startswith("某某有限公司")
    assert table.count() == 3


def test_append_widens_types_but_refuses_other_schemas(table: LakeTable) -> None:
    narrow = rows([1], "b1").cast(SCHEMA.set(3, pa.field("fine_amount", pa.decimal128(10, 2))))
    table.append(narrow)
    assert table.read().schema.field("fine_amount").type == pa.decimal128(18, 2)
    with pytest.raises(SchemaMismatchError, match=r"missing columns \['ingested_at'\]"):
        table.append(rows([2], "b1").drop_columns(["ingested_at"]))
    with pytest.raises(SchemaMismatchError, match="'decided_date' is string but the table has date"):
        table.append(rows([2], "b1").set_column(4, "decided_date", pa.array(["2024-01-01"])))
    with pytest.raises(SchemaMismatchError, match="'record_id' is NOT NULL"):
        table.append(rows([2], "b1").set_column(0, "record_id", pa.array([None], pa.int64())))
    assert table.version() == 1


def test_replace_where_replaces_one_batch_in_one_commit(table: LakeTable) -> None:
    table.append(rows([1, 2], "b1"))
    table.append(rows([3, 4], "b2"))
    before = table.version()
    result = table.replace_where(rows([5], "b1"), "batch_id = 'b1'")
    assert result.version == before + 1
    assert ids_of(table.read()) == [3, 4, 5]
    # Rerunning the batch rewrites it: still one copy.
    table.replace_where(rows([5], "b1"), "batch_id = 'b1'")
    assert ids_of(table.read()) == [3, 4, 5]
    with pytest.raises(StorageError):  # rows outside the predicate are refused by delta-rs
        table.replace_where(rows([6], "b3"), "batch_id = 'b1'")


def test_second_commit_of_same_transaction_is_a_no_op(table: LakeTable) -> None:
    txn = AppTransaction.for_batch("20240102-001", writer="ingest__penalties")
    first = table.append(rows([1, 2], "20240102-001"), txn=txn)
    second = table.append(rows([1, 2], "20240102-001"), txn=txn)
    assert first.committed and not second.committed
    assert second.version == first.version
    assert ids_of(table.read()) == [1, 2]
    assert table.applied(txn)
    # A later version of the same application commits again.
    assert table.append(rows([3], "x"), txn=AppTransaction(txn.app_id, 1)).committed


def test_merge_upserts_by_business_key(table: LakeTable) -> None:
    table.append(rows([1, 2], "b1"))
    update = rows([2, 3], "b1", name="新名称")
    result = table.merge(update, ["record_id"])
    assert result.metrics["num_target_rows_updated"] == 1
    assert result.metrics["num_target_rows_inserted"] == 1
    merged = {r["record_id"]: r["entity_name"] for r in table.read().to_pylist()}
    assert merged == {1: "某某有限公司1", 2: "新名称2", 3: "新名称3"}
    with pytest.raises(StorageError, match="more than once"):
        table.merge(pa.concat_tables([update, update]), ["record_id"])


def test_merge_can_delete_rows_missing_from_a_full_snapshot(table: LakeTable) -> None:
    table.append(rows([1, 2, 3], "b1"))
    table.merge(rows([2], "b1"), ["record_id"], delete_missing=True)
    assert ids_of(table.read()) == [2]


def test_time_travel_by_version_and_timestamp(table: LakeTable) -> None:
    table.append(rows([1], "b1"))
    table.append(rows([2], "b2"))
    table.overwrite(rows([9], "b9"))
    assert ids_of(table.read(version=1)) == [1]
    assert ids_of(table.read(version=2)) == [1, 2]
    assert ids_of(table.read()) == [9]
    commits = {c.version: c for c in table.history()}
    assert ids_of(table.read(as_of=commits[2].timestamp)) == [1, 2]
    assert ids_of(table.read(as_of=commits[3].timestamp + dt.timedelta(hours=1))) == [9]
    with pytest.raises(StorageError):
        table.read(as_of=commits[0].timestamp - dt.timedelta(days=1))
    with pytest.raises(StorageError):
        table.read(version=42)


def test_history_times_are_the_times_time_travel_goes_by(table: LakeTable) -> None:
    """Time travel picks the last commit *file* modified by then; history must report those times.

    The files' times are set an hour apart, so the writer's own clock reading (``commitInfo.timestamp``, taken
    moments before the file is written) would send a reader to the wrong version.
    """
    table.append(rows([1], "b1"))
    table.append(rows([2], "b2"))
    now = dt.datetime.now(dt.UTC).timestamp()
    for version in range(3):
        moment = now - (3 - version) * 3600
        os.utime(Path(table.uri) / "_delta_log" / f"{version:020d}.json", (moment, moment))
    commits = {c.version: c for c in table.history()}
    assert commits[1].timestamp.timestamp() == pytest.approx(now - 7200, abs=0.01)
    assert commits[1].custom["timestamp"] / 1000 == pytest.approx(now, abs=120)  # the writer's clock
    assert ids_of(table.read(as_of=commits[1].timestamp)) == [1]
    assert ids_of(table.read(as_of=commits[1].timestamp - dt.timedelta(seconds=1))) == []
    assert ids_of(table.read(as_of=commits[2].timestamp)) == [1, 2]
    with pytest.raises(StorageError, match="no snapshot"):
        table.read(as_of=commits[0].timestamp - dt.timedelta(seconds=1))


def test_history_lists_operations_newest_first(table: LakeTable) -> None:
    table.append(rows([1], "b1"), metadata={"userMetadata": "nightly 2024-01-02"})
    table.merge(rows([1], "b1"), ["record_id"])
    operations = [(c.version, c.operation) for c in table.history()]
    assert operations == [(2, "MERGE"), (1, "WRITE"), (0, "CREATE TABLE")]
    assert table.history(limit=2)[1].custom["userMetadata"] == "nightly 2024-01-02"


def test_change_feed_reports_inserts_updates_and_deletes(table: LakeTable) -> None:
    table.append(rows([1, 2], "b1"))
    table.merge(rows([2, 3], "b1", name="新"), ["record_id"])
    table.delete("record_id = 1")
    changes = table.changes(2)
    seen = sorted(
        zip(
            changes["_commit_version"].to_pylist(),
            changes["_change_type"].to_pylist(),
            changes["record_id"].to_pylist(),
            strict=True,
        )
    )
    assert seen == [
        (2, "insert", 3),
        (2, "update_postimage", 2),
        (2, "update_preimage", 2),
        (3, "delete", 1),
    ]
    assert changes.schema.field("_commit_timestamp").type == pa.timestamp("ms", tz="UTC")
    assert changes.schema.field("fine_amount").type == pa.decimal128(18, 2)
    only_appends = table.changes(1, 1, columns=["record_id"])
    assert only_appends.column_names == ["record_id", "_change_type", "_commit_version", "_commit_timestamp"]
    assert sorted(only_appends["record_id"].to_pylist()) == [1, 2]


def test_version_diff_when_the_change_feed_is_off(tmp_path: Path) -> None:
    table = LakeTable.create(
        tmp_path / "t", SCHEMA, partition_by=["batch_id"], properties={"delta.enableChangeDataFeed": "false"}
    )
    table.append(rows([1, 2], "b1"))
    table.append(rows([3], "b2"))
    table.append(rows([4], "b2"))
    table.optimize()  # rewrites b2's two files into one: not a change
    table.replace_where(rows([5], "b1"), "batch_id = 'b1'")
    changes = table.changes(2)
    seen = sorted(
        zip(
            changes["_commit_version"].to_pylist(),
            changes["_change_type"].to_pylist(),
            changes["record_id"].to_pylist(),
            strict=True,
        )
    )
    assert seen == [(2, "insert", 3), (3, "insert", 4), (5, "delete", 1), (5, "delete", 2), (5, "insert", 5)]
    assert changes.column("batch_id").to_pylist().count("b1") == 3  # partition values come from the log


def test_optimize_compacts_without_changing_rows(table: LakeTable) -> None:
    for i in range(4):
        table.append(rows([i], "b1"))
    assert len(table.files()) == 4
    metrics = table.optimize()
    assert (metrics["numFilesRemoved"], metrics["numFilesAdded"]) == (4, 1)
    assert len(table.files()) == 1
    assert ids_of(table.read()) == [0, 1, 2, 3]
    assert table.history(1)[0].operation == "OPTIMIZE"


def test_vacuum_guards_retention_and_deletes_unreferenced_files(table: LakeTable) -> None:
    table.append(rows([1], "b1"))
    table.overwrite(rows([2], "b1"))
    with pytest.raises(StorageError, match="shorter than 7 days"):
        table.vacuum(dt.timedelta(days=1))
    assert table.vacuum() == []  # the removed file is younger than 7 days
    old_file = table.files(1)[0].path
    assert Path(old_file).exists()
    would = table.vacuum(dt.timedelta(0), force=True, dry_run=True)
    assert len(would) == 1 and Path(old_file).exists()
    table.vacuum(dt.timedelta(0), force=True, dry_run=False)
    assert not Path(old_file).exists()
    assert ids_of(table.read()) == [2]


def test_checkpoint_is_written_and_used(table: LakeTable) -> None:
    for i in range(3):
        table.append(rows([i], "b1"))
    version = table.checkpoint()
    log_dir = Path(table.uri) / "_delta_log"
    assert (log_dir / f"{version:020d}.checkpoint.parquet").exists()
    assert (log_dir / "_last_checkpoint").exists()
    for commit in log_dir.glob("*.json"):  # readers must not need the JSON commits before the checkpoint
        if int(commit.stem) <= version:
            commit.unlink()
    assert ids_of(LakeTable(table.uri).read()) == [0, 1, 2]


class _Interleaved(LakeTable):
    """A table whose next load is followed by a real commit of another writer (a deterministic race)."""

    def __init__(self, path: str, other_rows: pa.Table) -> None:
        super().__init__(path)
        self.other_rows: pa.Table | None = other_rows

    def load(self, version: int | dt.datetime | None = None) -> DeltaTable:
        snapshot = super().load(version)
        if self.other_rows is not None and version is None:
            other, self.other_rows = self.other_rows, None
            LakeTable(self.uri).append(other)
        return snapshot


def test_append_is_retried_after_a_conflict(table: LakeTable) -> None:
    table.append(rows([1], "b1"))
    racing = _Interleaved(table.uri, rows([2], "b1"))
    result = racing.append(rows([3], "b1"))
    assert result.committed
    assert ids_of(table.read()) == [1, 2, 3]


def test_conflicting_replace_raises_commit_conflict(table: LakeTable) -> None:
    table.append(rows([1], "b1"))
    racing = _Interleaved(table.uri, rows([2], "b1"))
    with pytest.raises(CommitConflictError, match="concurrent"):
        racing.replace_where(rows([3], "b1"), "batch_id = 'b1'")
    assert ids_of(table.read()) == [1, 2]


def test_concurrent_commit_of_the_same_transaction_is_skipped(table: LakeTable) -> None:
    txn = AppTransaction.for_batch("b7")
    # The other writer commits the same transaction between our snapshot and our commit.

    class SameTxn(LakeTable):
        done = False

        def load(self, version: int | dt.datetime | None = None) -> DeltaTable:
            snapshot = super().load(version)
            if not SameTxn.done and version is None:
                SameTxn.done = True
                LakeTable(self.uri).append(rows([7], "b7"), txn=txn)
            return snapshot

    result = SameTxn(table.uri).append(rows([7], "b7"), txn=txn)
    assert not result.committed
    assert ids_of(table.read()) == [7]


@pytest.mark.parametrize(
    ("feature", "message"),
    [(TableFeatures.DeletionVectors, "deletionVectors"), (TableFeatures.ColumnMapping, "columnMapping")],
)
def test_tables_with_unsupported_features_are_refused(
    table: LakeTable, feature: TableFeatures, message: str
) -> None:
    DeltaTable(table.uri).alter.add_feature(feature, allow_protocol_versions_increase=True)
    with pytest.raises(StorageError, match=message):
        table.read()
    with pytest.raises(StorageError, match=message):
        table.append(rows([1], "b1"))


def test_count_reads_footers_when_statistics_are_missing(table: LakeTable) -> None:
    table.append(rows([1, 2, 3], "b1"))
    log_file = Path(table.uri) / "_delta_log" / f"{1:020d}.json"
    text = log_file.read_text(encoding="utf-8")
    lines = [json.loads(line) for line in text.splitlines()]
    for line in lines:
        if "add" in line:
            line["add"]["stats"] = None
    log_file.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    assert LakeTable(table.uri).files()[0].num_records is None
    assert LakeTable(table.uri).count() == 3


def test_count_of_a_loaded_snapshot_reads_that_snapshot(table: LakeTable) -> None:
    table.append(rows([1, 2, 3], "b1"))
    snapshot = table.load()
    table.append(rows([4], "b2"))
    assert table.count(table=snapshot) == 3
    assert table.count() == 4 and table.count(1) == 3
    with pytest.raises(ValueError, match="not both"):
        table.count(2, table=snapshot)


def test_read_with_arrow_filter_and_columns(table: LakeTable) -> None:
    table.append(rows([1, 2, 3], "b1"))
    table.append(rows([4], "b2"))
    picked = table.read(columns=["record_id"], filter=pc.field("batch_id") == "b2")
    assert picked.column_names == ["record_id"] and picked["record_id"].to_pylist() == [4]
