"""The ingestion batch sink on real Delta tables: rows written straight into the table folder, one commit per batch.

A batch's files carry its tag in their names, so a rerun replaces exactly its own files (found by name, no data
read), deletes the uncommitted files of a killed run of the same batch, and falls back to a predicate replace when
compaction has mixed the batch's rows with other batches' rows in one file.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from urllib.parse import unquote

import pyarrow as pa
import pytest

from jianguan.errors import StorageError
from jianguan.ingest.sinks import DeltaBatchSink, batch_file_prefix
from jianguan.lake import LakeTable

DAY = dt.date(2026, 11, 2)
SCHEMA = pa.schema(
    [
        pa.field("logical_date", pa.date32(), nullable=False),
        pa.field("batch_id", pa.string(), nullable=False),
        pa.field("n", pa.int64()),
    ]
)
BATCH_A = "hotline_12345_work_orders/2026-11-02/12345_gdxx_20261102.csv/0123456789abcdef"
BATCH_B = "hotline_12345_work_orders/2026-11-02/12345_gdxx_20261102_2.csv/fedcba9876543210"


def _rows(batch_id: str, numbers: range, day: dt.date = DAY) -> pa.Table:
    return pa.table(
        {"logical_date": [day] * len(numbers), "batch_id": [batch_id] * len(numbers), "n": list(numbers)},
        schema=SCHEMA,
    )


def _sink(path: Path, batch_id: str) -> DeltaBatchSink:
    return DeltaBatchSink(path, batch_id, SCHEMA, logical_date=DAY, library="complaints")


def _load(path: Path, batch_id: str, numbers: range) -> int | None:
    sink = _sink(path, batch_id)
    sink.write(_rows(batch_id, numbers))
    return sink.commit()


def _contents(path: Path) -> dict[str, list[int]]:
    table = LakeTable(path).read(columns=["batch_id", "n"])
    out: dict[str, list[int]] = {}
    for row in table.to_pylist():
        out.setdefault(row["batch_id"], []).append(row["n"])
    return {batch: sorted(numbers) for batch, numbers in out.items()}


def _uncommitted(path: Path) -> list[Path]:
    """Data files in the folder that no version of the table ever held (removed files stay for time travel)."""
    added = set()
    for commit_file in (path / "_delta_log").glob("*.json"):
        for line in commit_file.read_text(encoding="utf-8").splitlines():
            action = json.loads(line)
            if "add" in action:
                added.add(unquote(action["add"]["path"]))
    return [p for p in path.glob("*/*.parquet") if str(p.relative_to(path)) not in added]


def test_a_rerun_replaces_exactly_its_own_files_in_one_commit(tmp_path: Path) -> None:
    path = tmp_path / "bronze" / "hotline_work_orders"
    _load(path, BATCH_A, range(0, 5))
    _load(path, BATCH_B, range(100, 103))
    before = LakeTable(path).version()
    version = _load(path, BATCH_A, range(10, 12))
    assert version == before + 1, "the rerun is one commit"
    assert _contents(path) == {BATCH_A: [10, 11], BATCH_B: [100, 101, 102]}
    names = [Path(entry.path).name for entry in LakeTable(path).files()]
    assert sorted(name[: len(batch_file_prefix(BATCH_A))] for name in names) == sorted(
        [batch_file_prefix(BATCH_A), batch_file_prefix(BATCH_B)]
    )
    [commit] = LakeTable(path).history(limit=1)
    assert commit.custom.get("batch_id") == BATCH_A and commit.custom.get("rows") == 2
    assert "predicate" not in commit.parameters, "replaced by name, without a predicate scan"
    assert _uncommitted(path) == []


def test_an_empty_rerun_removes_the_batch_and_an_unknown_batch_commits_nothing(tmp_path: Path) -> None:
    path = tmp_path / "t"
    assert _sink(path, BATCH_A).commit() is None, "no rows and no table: nothing is created"
    _load(path, BATCH_A, range(3))
    _load(path, BATCH_B, range(100, 101))
    version = LakeTable(path).version()
    assert _sink(path, BATCH_A).commit() == version + 1
    assert _contents(path) == {BATCH_B: [100]}
    assert _sink(path, "never/loaded").commit() == version + 1, "nothing to remove: no commit"


def test_a_killed_runs_files_are_deleted_by_the_next_run_of_its_batch_only(tmp_path: Path) -> None:
    path = tmp_path / "t"
    _load(path, BATCH_B, range(100, 102))
    for batch, numbers in ((BATCH_A, range(5)), (BATCH_B, range(7, 9))):
        killed = _sink(path, batch)
        killed.write(_rows(batch, numbers))
        killed._writer.close()  # type: ignore[union-attr]  # the files are complete, the commit never ran
    assert len(_uncommitted(path)) == 2
    rerun = _sink(path, BATCH_A)
    assert rerun.removed_leftovers == 1, "only batch A's uncommitted file is its own to delete"
    rerun.write(_rows(BATCH_A, range(3)))
    rerun.commit()
    assert _contents(path) == {BATCH_A: [0, 1, 2], BATCH_B: [100, 101]}
    [left] = _uncommitted(path)
    assert left.name.startswith(batch_file_prefix(BATCH_B)), "another batch's run is not this run's to clean"


def test_a_run_whose_files_were_removed_by_another_run_of_its_batch_publishes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "t"
    _load(path, BATCH_B, range(100, 102))
    version = LakeTable(path).version()
    slow = _sink(path, BATCH_A)
    slow.write(_rows(BATCH_A, range(5)))
    _sink(path, BATCH_A)  # a second run takes the first for a killed one and deletes its (uncommitted) files
    with pytest.raises(StorageError, match="vanished before the commit"):
        slow.commit()
    assert LakeTable(path).version() == version
    assert _contents(path) == {BATCH_B: [100, 101]}


def test_a_rerun_after_compaction_replaces_its_rows_inside_mixed_files(tmp_path: Path) -> None:
    path = tmp_path / "t"
    _load(path, BATCH_A, range(0, 5))
    _load(path, BATCH_B, range(100, 103))
    LakeTable(path).optimize()
    [compacted] = LakeTable(path).files()
    assert not Path(compacted.path).name.startswith("part-b"), "OPTIMIZE writes untagged files"
    _load(path, BATCH_A, range(20, 23))
    assert _contents(path) == {BATCH_A: [20, 21, 22], BATCH_B: [100, 101, 102]}
    assert _uncommitted(path) == [], "the files this run wrote were copied by the replace and deleted"
    [commit] = LakeTable(path).history(limit=1)
    assert commit.parameters.get("predicate") == f"batch_id = '{BATCH_A}'", "published by a predicate replace"


def test_vacuum_removes_the_files_of_a_killed_run_nobody_reruns(tmp_path: Path) -> None:
    path = tmp_path / "t"
    _load(path, BATCH_B, range(100, 102))
    killed = _sink(path, BATCH_A)
    killed.write(_rows(BATCH_A, range(5)))
    killed._writer.close()  # type: ignore[union-attr]
    [orphan] = _uncommitted(path)
    LakeTable(path).vacuum(dt.timedelta(0), dry_run=False, force=True)
    assert not orphan.exists()
    assert _contents(path) == {BATCH_B: [100, 101]}
