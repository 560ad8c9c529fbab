"""Data files written outside delta-rs (what Spark tasks do) and committed in one Delta commit."""

from __future__ import annotations

import datetime as dt
import json
import math
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable

from jianguan.errors import StorageError
from jianguan.lake import AppTransaction, LakeTable, SchemaMismatchError
from jianguan.lake import partitions as parts
from jianguan.lake.files import DataFileWriter, _stat_value, file_statistics, read_data_file

SCHEMA = pa.schema(
    [
        pa.field("event_id", pa.int64(), nullable=False, metadata={"comment": "事件编号"}),
        pa.field("region_name", pa.string()),
        pa.field("event_date", pa.date32()),
        pa.field("amount", pa.decimal128(12, 2)),
        pa.field("big_amount", pa.decimal128(38, 4)),
        pa.field("event_at", pa.timestamp("us", tz="UTC")),
        pa.field("note", pa.string()),
        pa.field("score", pa.float64()),
    ]
)
TRICKY_REGIONS = ["武汉市 洪山区", "a/b=c%d", "x'y", None, "plain"]


def sample(n: int = 50) -> pa.Table:
    return pa.table(
        {
            "event_id": list(range(n)),
            "region_name": [TRICKY_REGIONS[i % len(TRICKY_REGIONS)] for i in range(n)],
            "event_date": [dt.date(2024, 1, 1) + dt.timedelta(days=i % 3) for i in range(n)],
            "amount": [None if i % 7 == 0 else Decimal(i) / 4 for i in range(n)],
            "big_amount": [Decimal(i) for i in range(n)],
            "event_at": [dt.datetime(2024, 5, 1, 8, 0, 0, 123_456 + i, tzinfo=dt.UTC) for i in range(n)],
            "note": [("长" * 40) if i % 2 else "短" for i in range(n)],
            "score": [float(i) for i in range(n)],
        },
        schema=SCHEMA,
    )


def write_files(root: Path, data: pa.Table, partition_by: list[str], **kwargs: object) -> DataFileWriter:
    writer = DataFileWriter(str(root), data.schema, partition_by, **kwargs)  # type: ignore[arg-type]
    for batch in data.to_batches(max_chunksize=7):
        writer.write(batch)
    return writer


def test_partitioned_files_commit_and_read_back_with_delta_rs(tmp_path: Path) -> None:
    root = tmp_path / "silver" / "events"
    root.mkdir(parents=True)
    data = sample()
    files = write_files(root, data, ["region_name", "event_date"]).close()
    assert len(files) == len(TRICKY_REGIONS) * 3
    result = LakeTable(root).commit_files(
        files, mode="append", schema=SCHEMA, partition_by=["region_name", "event_date"]
    )
    assert result.committed and result.version == 0
    read = DeltaTable(str(root)).to_pyarrow_table().select(SCHEMA.names).sort_by("event_id")
    assert read.equals(data.cast(read.schema))
    # Folder names stay ASCII (percent-encoded values); delta-rs finds every file.
    assert all(name.isascii() for name in (p.name for p in root.rglob("*")))
    assert LakeTable(root).schema().field("event_id").metadata[b"comment"] == "事件编号".encode()


def test_statistics_are_safe_bounds(tmp_path: Path) -> None:
    data = sample(20)
    writer = write_files(tmp_path, data, [], row_group_bytes=1)  # one row group per batch
    [file] = writer.close()
    stats = json.loads(file.stats)
    assert stats["numRecords"] == 20
    assert stats["nullCount"]["amount"] == 3
    assert (stats["minValues"]["event_id"], stats["maxValues"]["event_id"]) == (0, 19)
    assert (stats["minValues"]["event_date"], stats["maxValues"]["event_date"]) == (
        "2024-01-01",
        "2024-01-03",
    )
    # Microseconds are rounded outwards to the milliseconds delta-spark keeps.
    assert stats["minValues"]["event_at"] == "2024-05-01T08:00:00.123Z"
    assert stats["maxValues"]["event_at"] == "2024-05-01T08:00:00.124Z"
    assert stats["minValues"]["amount"] == 0.25
    # A long string keeps a 32-character prefix; the upper bound sorts after every string with that prefix.
    assert stats["minValues"]["note"] == "短"
    assert stats["maxValues"]["note"] == "长" * 32 + "\U0010ffff" > "长" * 40
    # A wide decimal's bounds are doubles that bound the exact values (here they are exact).
    assert (stats["minValues"]["big_amount"], stats["maxValues"]["big_amount"]) == (0.0, 19.0)
    assert (stats["minValues"]["score"], stats["maxValues"]["score"]) == (0.0, 19.0)
    assert set(stats["nullCount"]) == set(SCHEMA.names)


def test_every_column_with_values_gets_bounds_so_pyarrow_filters_find_its_rows(tmp_path: Path) -> None:
    """delta-rs 1.6 reads a column without bounds (but with a null count) as ``column >= null``: a filter on it
    would skip the file. Long strings, wide decimals and floats therefore all carry bounds."""
    data = sample(20)
    [file] = write_files(tmp_path, data, []).close()
    LakeTable(tmp_path).commit_files([file], mode="append", schema=SCHEMA)
    table = LakeTable(tmp_path)
    for column, value in (("note", "长" * 40), ("big_amount", Decimal(3)), ("score", 3.0)):
        expected = sum(1 for v in data.column(column).to_pylist() if v == value)
        found = table.read(columns=["event_id"], filter=pc.field(column) == value).num_rows
        assert found == expected > 0, column


def test_all_null_row_groups_do_not_hide_bounds(tmp_path: Path) -> None:
    schema = pa.schema([pa.field("v", pa.int64())])
    path = tmp_path / "f.parquet"
    with pq.ParquetWriter(path, schema) as writer:
        writer.write_table(pa.table({"v": [None, None]}, schema=schema))
        writer.write_table(pa.table({"v": [5, 9]}, schema=schema))
    stats = file_statistics(pq.ParquetFile(path).metadata, schema)
    assert (stats["minValues"], stats["maxValues"], stats["nullCount"]) == ({"v": 5}, {"v": 9}, {"v": 2})


@pytest.mark.parametrize(
    "predicate",
    [
        "event_id > 40",
        "event_id = 3",
        "event_date = '2024-01-02'",
        "region_name = 'plain'",
        "event_at > '2024-05-01T08:00:00.1235Z'",
        "note = '" + "长" * 40 + "'",
        "big_amount >= 41",
    ],
)
def test_delta_rs_file_skipping_never_drops_matching_rows(tmp_path: Path, predicate: str) -> None:
    data = sample(60)
    files = []
    for start in range(0, 60, 10):  # files with narrow ranges, so skipping has something to skip
        writer = DataFileWriter(str(tmp_path), SCHEMA, [])
        writer.write(data.slice(start, 10).to_batches()[0])
        files += writer.close()
    LakeTable(tmp_path).commit_files(files, mode="append", schema=SCHEMA)
    table = DeltaTable(str(tmp_path))
    kept = table.file_uris(file_pruning_predicate=predicate)
    full = pa.table(table.scan(predicate=predicate)).num_rows
    pruned = sum(pq.read_table(path).num_rows for path in kept)
    assert full > 0 and pruned >= full
    if predicate.startswith("event_id"):
        assert len(kept) < len(files)


def test_abort_deletes_everything_written(tmp_path: Path) -> None:
    writer = write_files(tmp_path, sample(), ["region_name"], target_file_bytes=1, row_group_bytes=1)
    created = writer.created_paths
    assert created and all(Path(p).exists() for p in created)
    writer.abort()
    assert not [p for p in tmp_path.rglob("*.parquet")]


def test_not_null_columns_are_checked(tmp_path: Path) -> None:
    writer = DataFileWriter(str(tmp_path), SCHEMA, [])
    bad = sample(3).set_column(0, "event_id", pa.array([1, None, 3], pa.int64()))
    with pytest.raises(StorageError, match="NOT NULL"):
        writer.write(bad.to_batches()[0])


def test_commit_files_overwrite_replace_partitions_and_transactions(tmp_path: Path) -> None:
    table = LakeTable(tmp_path)

    def files_of(data: pa.Table) -> list:
        return write_files(tmp_path, data, ["event_date"]).close()

    data = sample(30)
    table.commit_files(files_of(data), mode="append", schema=SCHEMA, partition_by=["event_date"])
    day2 = data.filter(pa.compute.equal(data["event_date"], dt.date(2024, 1, 2))).slice(0, 1)
    table.commit_files(
        files_of(day2),
        mode="overwrite",
        schema=SCHEMA,
        replace_partitions=[("event_date", "=", "2024-01-02")],
    )
    by_day = {d: 0 for d in (dt.date(2024, 1, 1), dt.date(2024, 1, 2), dt.date(2024, 1, 3))}
    for value in table.read()["event_date"].to_pylist():
        by_day[value] += 1
    assert by_day == {dt.date(2024, 1, 1): 10, dt.date(2024, 1, 2): 1, dt.date(2024, 1, 3): 10}

    txn = AppTransaction("spark-job", 7)
    assert table.commit_files(files_of(day2), mode="append", schema=SCHEMA, txn=txn).committed
    repeat = table.commit_files(files_of(day2), mode="append", schema=SCHEMA, txn=txn)
    assert not repeat.committed and table.count() == 22

    table.commit_files(files_of(day2), mode="overwrite", schema=SCHEMA)
    assert table.count() == 1
    assert table.commit_files([], mode="append", schema=SCHEMA).committed is False


def test_commit_files_checks_schema_and_partitioning(tmp_path: Path) -> None:
    table = LakeTable(tmp_path)
    table.commit_files(write_files(tmp_path, sample(5), []).close(), mode="append", schema=SCHEMA)
    other = SCHEMA.remove(SCHEMA.get_field_index("note"))
    with pytest.raises(SchemaMismatchError, match=r"missing columns \['note'\]"):
        table.commit_files([], mode="append", schema=other)
    with pytest.raises(StorageError, match="partitioned by"):
        table.commit_files(
            write_files(tmp_path, sample(5), ["event_date"]).close(),
            mode="append",
            schema=SCHEMA,
            partition_by=["event_date"],
        )
    assert table.version() == 0


def test_read_data_file_fills_partitions_missing_columns_and_checks_nulls(tmp_path: Path) -> None:
    path = tmp_path / "f.parquet"
    pq.write_table(pa.table({"a": pa.array([1, 2], pa.int32())}), path)
    target = pa.schema(
        [
            pa.field("a", pa.int64(), nullable=False),
            pa.field("day", pa.date32(), nullable=False),
            pa.field("added_later", pa.string()),
        ]
    )
    [batch] = read_data_file(pafs.LocalFileSystem(), str(path), target, {"day": "2024-03-04"})
    assert batch.schema.equals(target)
    assert batch.to_pylist() == [
        {"a": 1, "day": dt.date(2024, 3, 4), "added_later": None},
        {"a": 2, "day": dt.date(2024, 3, 4), "added_later": None},
    ]
    nullable_day = pa.schema([pa.field("day", pa.date32())])
    only_partition = list(read_data_file(pafs.LocalFileSystem(), str(path), nullable_day, {"day": None}))
    strict = pa.schema([pa.field("day", pa.date32(), nullable=False)])
    with pytest.raises(StorageError, match="NOT NULL"):
        list(read_data_file(pafs.LocalFileSystem(), str(path), strict, {"day": None}))
    assert sum(b.num_rows for b in only_partition) == 2


@pytest.mark.parametrize(
    ("value", "data_type"),
    [
        ("武汉", pa.string()),
        (42, pa.int64()),
        (dt.date(2024, 2, 29), pa.date32()),
        (True, pa.bool_()),
        (Decimal("-12.50"), pa.decimal128(10, 2)),
        (dt.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=dt.UTC), pa.timestamp("us", tz="UTC")),
        (dt.datetime(2024, 1, 2, 3, 4, 5), pa.timestamp("us")),
        (None, pa.int32()),
    ],
)
def test_partition_values_round_trip(value: object, data_type: pa.DataType) -> None:
    assert parts.typed_scalar(parts.serialize(value), data_type).as_py() == value


def test_partition_columns_must_exist_and_be_encodable() -> None:
    with pytest.raises(StorageError, match="not a column"):
        parts.check_partition_columns(SCHEMA, ["nope"])
    with pytest.raises(StorageError, match="cannot be a partition column"):
        parts.check_partition_columns(SCHEMA, ["score"])


@pytest.mark.parametrize("value", ["0.1000", "-0.1000", "12345678901234567.8901", "0"])
def test_wide_decimal_bounds_never_cut_into_the_value(value: str) -> None:
    exact = Decimal(value)
    wide = pa.decimal128(38, 4)
    assert (
        Decimal(_stat_value(exact, wide, upper=False))
        <= exact
        <= Decimal(_stat_value(exact, wide, upper=True))
    )


def test_infinite_floats_get_no_bound_because_json_has_no_infinity() -> None:
    assert _stat_value(math.inf, pa.float64(), upper=True) is None
    assert _stat_value(-math.inf, pa.float64(), upper=False) is None
    assert _stat_value(2.5, pa.float64(), upper=True) == 2.5
    assert _stat_value(True, pa.bool_(), upper=True) is True
