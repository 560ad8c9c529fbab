"""The Spark connector's reader prunes for real: fewer files planned, fewer bytes read (no JVM needed).

:class:`~jianguan.lake.spark_source.DeltaReader` plans and reads without a SparkSession, so these tests count what
it does directly: input partitions planned per ``partitionFilter``, and bytes fetched from storage when the schema
it is given (``columns`` option or a user schema) names only some columns.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest
from pyspark.sql.types import StructType

from jianguan.errors import StorageError
from jianguan.lake import LakeTable
from jianguan.lake.files import read_data_file
from jianguan.lake.spark_source import DeltaDataSource, DeltaFilePartition, DeltaReader, read_target

SCHEMA = pa.schema(
    [
        pa.field("record_id", pa.int64(), nullable=False),
        pa.field("region_code", pa.string(), nullable=False),
        pa.field("day", pa.date32()),
        pa.field("payload", pa.string()),
    ]
)
REGIONS = ["420100", "420200", "420300"]
DAYS = ["2024-01-01", "2024-01-02"]


def sample(n: int) -> pa.Table:
    import datetime as dt

    return pa.table(
        {
            "record_id": range(n),
            "region_code": [REGIONS[i % 3] for i in range(n)],
            "day": [dt.date.fromisoformat(DAYS[i % 2]) for i in range(n)],
            # Incompressible, so the column's share of the file is its share of the bytes.
            "payload": [os.urandom(256).hex() for _ in range(n)],
        },
        schema=SCHEMA,
    )


def reader(path: Path, **options: str) -> DeltaReader:
    source = DeltaDataSource({"path": str(path), **options})
    return source.reader(source.schema())


class _CountingFile:
    """A read-only file object that counts the bytes handed out."""

    def __init__(self, path: str, counter: dict[str, int]) -> None:
        self._file = open(path, "rb")  # noqa: SIM115 (closed through pa.PythonFile)
        self._counter = counter
        self.closed = False

    def read(self, size: int = -1) -> bytes:
        data = self._file.read(size)
        self._counter["bytes"] += len(data)
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def close(self) -> None:
        self.closed = True
        self._file.close()


class CountingFileSystem(pafs.FileSystemHandler):
    """The local filesystem, counting every byte read through ``open_input_file``."""

    def __init__(self) -> None:
        self.local = pafs.LocalFileSystem()
        self.counter = {"bytes": 0}

    def open_input_file(self, path: str) -> pa.NativeFile:
        return pa.PythonFile(_CountingFile(path, self.counter), mode="r")

    def open_input_stream(self, path: str) -> pa.NativeFile:
        return self.open_input_file(path)

    def get_type_name(self) -> str:
        return "counting"

    def get_file_info(self, paths: list[str]) -> list[pafs.FileInfo]:
        return self.local.get_file_info(paths)

    def normalize_path(self, path: str) -> str:
        return path

    def __getattr__(self, name: str) -> Any:  # writes are not needed here
        raise NotImplementedError(name)

    # FileSystemHandler declares these abstract; reading never calls them.
    def get_file_info_selector(self, selector: pafs.FileSelector) -> list[pafs.FileInfo]:
        raise NotImplementedError

    def create_dir(self, path: str, recursive: bool) -> None:
        raise NotImplementedError

    def delete_dir(self, path: str) -> None:
        raise NotImplementedError

    def delete_dir_contents(self, path: str, missing_dir_ok: bool = False) -> None:
        raise NotImplementedError

    def delete_root_dir_contents(self) -> None:
        raise NotImplementedError

    def delete_file(self, path: str) -> None:
        raise NotImplementedError

    def move(self, src: str, dest: str) -> None:
        raise NotImplementedError

    def copy_file(self, src: str, dest: str) -> None:
        raise NotImplementedError

    def open_output_stream(self, path: str, metadata: Any) -> pa.NativeFile:
        raise NotImplementedError

    def open_append_stream(self, path: str, metadata: Any) -> pa.NativeFile:
        raise NotImplementedError


def test_partition_filter_plans_only_the_matching_files(tmp_path: Path) -> None:
    path = tmp_path / "t"
    table = LakeTable.create(path, SCHEMA, partition_by=["region_code", "day"])
    table.append(sample(60))
    table.append(sample(60))  # two files per (region, day)
    assert len(reader(path).partitions()) == len(table.files()) == 12
    pruned = reader(path, partitionFilter="region_code = '420200' AND day >= '2024-01-02'").partitions()
    assert len(pruned) == 2
    assert all(isinstance(p, DeltaFilePartition) for p in pruned)
    assert {(p.partition_values["region_code"], p.partition_values["day"]) for p in pruned} == {  # type: ignore[attr-defined]
        ("420200", "2024-01-02")
    }
    assert len(reader(path, partitionFilter="region_code IN ('420100', '420300')").partitions()) == 8
    assert reader(path, partitionFilter="region_code = 'none'").partitions() == []
    with pytest.raises(StorageError, match="not partition columns"):
        reader(path, partitionFilter="payload = 'x'")


def test_planned_files_read_back_with_their_partition_values(tmp_path: Path) -> None:
    path = tmp_path / "t"
    LakeTable.create(path, SCHEMA, partition_by=["region_code"]).append(sample(30))
    source = reader(path, partitionFilter="region_code = '420300'")
    rows = [row for p in source.partitions() for batch in source.read(p) for row in batch.to_pylist()]
    assert sorted(r["record_id"] for r in rows) == [i for i in range(30) if i % 3 == 2]
    assert {r["region_code"] for r in rows} == {"420300"}


def test_column_pruning_reads_only_the_requested_columns(tmp_path: Path) -> None:
    path = tmp_path / "t"
    table = LakeTable.create(path, SCHEMA, partition_by=["region_code"])
    table.append(sample(9000))
    narrow = reader(path, columns="record_id,region_code")
    assert narrow.schema.fieldNames() == ["record_id", "region_code"]
    batches = [b for p in narrow.partitions() for b in narrow.read(p)]
    assert {tuple(b.schema.names) for b in batches} == {("record_id", "region_code")}
    assert sum(b.num_rows for b in batches) == 9000

    # Bytes fetched from storage for one file: the id column alone vs every column.
    entry = table.files()[0]
    file_size = Path(entry.path).stat().st_size
    metadata = pq.ParquetFile(entry.path).metadata
    full = StructType.fromJson(table.schema_json())
    counting = CountingFileSystem()
    filesystem = pafs.PyFileSystem(counting)
    target_ids = pa.schema([pa.field("record_id", pa.int64(), nullable=False)])
    assert sum(
        b.num_rows for b in read_data_file(filesystem, entry.path, target_ids, entry.partition_values)
    ) == (entry.num_records or 0)
    ids_bytes = counting.counter["bytes"]
    counting.counter["bytes"] = 0

    list(read_data_file(filesystem, entry.path, read_target(full), entry.partition_values))
    all_bytes = counting.counter["bytes"]
    payload_bytes = sum(
        group.column(group.num_columns - 1).total_compressed_size
        for group in (metadata.row_group(i) for i in range(metadata.num_row_groups))
    )
    assert metadata.schema.column(metadata.num_columns - 1).name == "payload"
    assert all_bytes >= file_size * 0.9 and payload_bytes >= file_size * 0.9
    # Reading the ids fetched the footer and the id column chunk only: far less than the payload column alone.
    assert ids_bytes < payload_bytes / 10, (ids_bytes, payload_bytes)
