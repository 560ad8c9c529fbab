"""``jianguan lake`` and the lakehouse maintenance run, on real Delta tables under a temporary lakehouse root."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from deltalake import DeltaTable, TableFeatures

from jianguan.errors import StorageError
from jianguan.lake import LakeTable
from jianguan.lake.cli import register
from jianguan.lake.maintenance import maintain_lakehouse
from jianguan.settings import Settings

SCHEMA = pa.schema(
    [
        pa.field("record_id", pa.int64(), nullable=False, metadata={"comment": "记录编号"}),
        pa.field("batch_id", pa.string(), nullable=False, metadata={"label_zh": "批次号"}),
        pa.field("fine_amount", pa.float64()),
    ]
)


def rows(ids: list[int], batch: str = "b1") -> pa.Table:
    return pa.table(
        {"record_id": ids, "batch_id": [batch] * len(ids), "fine_amount": [i / 4 for i in ids]}, schema=SCHEMA
    )


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(lakehouse_root=tmp_path / "lakehouse")


def make_table(settings: Settings, layer: str, name: str, appends: int = 3) -> LakeTable:
    table = LakeTable.create(settings.table_path(layer, name), SCHEMA, partition_by=["batch_id"])
    for i in range(appends):
        table.append(rows([i * 10, i * 10 + 1]))
    return table


def run(settings: Settings, *argv: str) -> int:
    parser = argparse.ArgumentParser(prog="jianguan")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["lake", *argv])
    result: int = args.handler(args, settings)
    return result


def run_json(settings: Settings, capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    capsys.readouterr()
    assert run(settings, *argv, "--json") == 0
    return json.loads(capsys.readouterr().out)


def test_describe_shows_schema_comments_properties_version_rows_files(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    make_table(settings, "bronze", "actions__penalties")
    info = run_json(settings, capsys, "describe", "bronze/actions__penalties")
    assert (info["version"], info["rows"], info["files"]) == (3, 6, 3)
    assert info["partition_columns"] == ["batch_id"]
    assert info["properties"]["delta.enableDeletionVectors"] == "false"
    columns = {c["name"]: c for c in info["columns"]}
    assert columns["record_id"] == {
        "name": "record_id",
        "type": "long",
        "nullable": False,
        "comment": "记录编号",
        "partition": False,
    }
    assert columns["batch_id"]["comment"] == "批次号" and columns["batch_id"]["partition"]
    assert run_json(settings, capsys, "describe", "bronze/actions__penalties", "--version", "1")["rows"] == 2

    assert run(settings, "describe", "bronze/actions__penalties") == 0
    text = capsys.readouterr().out
    assert "version 3  rows 6  files 3" in text
    assert "  record_id    long not null  -- 记录编号" in text


def test_history_newest_first_with_limit(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    make_table(settings, "silver", "t")
    commits = run_json(settings, capsys, "history", "silver/t", "--limit", "2")
    assert [(c["version"], c["operation"]) for c in commits] == [(3, "WRITE"), (2, "WRITE")]
    assert run(settings, "history", "silver/t") == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4 and lines[0].startswith("v3") and "CREATE TABLE" in lines[-1]


def test_optimize_and_checkpoint(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    table = make_table(settings, "gold", "t", appends=4)
    result = run_json(settings, capsys, "optimize", "gold/t")
    assert (result["files_removed"], result["files_added"], result["version"]) == (4, 1, 5)
    assert len(table.files()) == 1 and table.count() == 8
    assert run_json(settings, capsys, "checkpoint", "gold/t")["checkpoint_version"] == 5
    assert (Path(table.uri) / "_delta_log" / f"{5:020d}.checkpoint.parquet").exists()


def test_vacuum_is_a_dry_run_by_default_and_guards_retention(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    table = make_table(settings, "bronze", "t", appends=1)
    table.overwrite(rows([99]))
    replaced = Path(table.files(1)[0].path)
    with pytest.raises(StorageError, match="shorter than 7 days"):
        run(settings, "vacuum", "bronze/t", "--retention-hours", "0")
    # The default retention keeps the replaced file (it was removed moments ago).
    assert run_json(settings, capsys, "vacuum", "bronze/t", "--apply")["files"] == []
    dry = run_json(settings, capsys, "vacuum", "bronze/t", "--retention-hours", "0", "--force")
    assert dry["dry_run"] and [Path(f).name for f in dry["files"]] == [replaced.name]
    assert replaced.exists()
    assert run(settings, "vacuum", "bronze/t", "--retention-hours", "0", "--force") == 0
    assert "would delete 1 file(s)" in capsys.readouterr().out
    assert run(settings, "vacuum", "bronze/t", "--retention-hours", "0", "--force", "--apply") == 0
    assert "deleted 1 file(s)" in capsys.readouterr().out
    assert not replaced.exists()
    assert table.read()["record_id"].to_pylist() == [99]


def test_table_references_are_checked(settings: Settings) -> None:
    for bad in ("bronze", "bronze/a/b", "../etc/passwd", "bronze/.."):
        with pytest.raises(SystemExit):
            run(settings, "describe", bad)
    with pytest.raises(StorageError, match="no Delta table bronze/missing"):
        run(settings, "history", "bronze/missing")


def test_maintain_lakehouse_compacts_checkpoints_and_vacuums_every_table(settings: Settings) -> None:
    first = make_table(settings, "bronze", "a", appends=3)
    second = make_table(settings, "silver", "b", appends=2)
    # A file left by a writer that crashed 10 days ago: referenced by no commit, older than the retention.
    stray = Path(first.uri) / "batch_id=b1" / "part-crashed.snappy.parquet"
    stray.write_bytes(b"not committed")
    ten_days_ago = time.time() - 10 * 86400
    os.utime(stray, (ten_days_ago, ten_days_ago))

    results = maintain_lakehouse(settings, dt.timedelta(days=7))

    assert [(r["layer"], r["name"]) for r in results] == [("bronze", "a"), ("silver", "b")]
    by_name = {r["name"]: r for r in results}
    assert (by_name["a"]["files_removed"], by_name["a"]["files_added"]) == (3, 1)
    assert by_name["a"]["files_vacuumed"] == 1 and not stray.exists()
    # OPTIMIZE made version 4; VACUUM, having deleted a file, recorded VACUUM START/END; the checkpoint is last.
    assert (by_name["a"]["version_before"], by_name["a"]["version_after"]) == (3, 6)
    assert [c.operation for c in first.history(3)] == ["VACUUM END", "VACUUM START", "OPTIMIZE"]
    assert by_name["a"]["checkpoint_version"] == 6 and by_name["b"]["checkpoint_version"] == 3
    # Files OPTIMIZE just replaced are younger than the retention: older snapshots still read.
    assert first.read(version=3).num_rows == 6
    assert (first.count(), second.count()) == (6, 4)
    assert (Path(first.uri) / "_delta_log" / f"{6:020d}.checkpoint.parquet").exists()

    again = maintain_lakehouse(settings)  # nothing left to compact or delete: no new version
    assert [r["version_after"] for r in again] == [6, 3]


def test_maintain_lakehouse_refuses_short_retention_and_skips_unsupported_tables(settings: Settings) -> None:
    with pytest.raises(StorageError, match="shorter than 7 days"):
        maintain_lakehouse(settings, dt.timedelta(hours=1))
    make_table(settings, "bronze", "ok", appends=2)
    odd = make_table(settings, "bronze", "with_dv", appends=2)
    DeltaTable(odd.uri).alter.add_feature(
        TableFeatures.DeletionVectors, allow_protocol_versions_increase=True
    )
    version = DeltaTable(odd.uri).version()
    results = maintain_lakehouse(settings)
    assert [r["name"] for r in results] == ["ok"]
    assert DeltaTable(odd.uri).version() == version  # left alone


def test_maintain_command_prints_a_line_per_table(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    make_table(settings, "bronze", "a", appends=2)
    assert run(settings, "maintain") == 0
    out = capsys.readouterr().out
    assert "bronze/a: v2→v3, 2 file(s) compacted into 1, checkpoint v3, 0 file(s) vacuumed" in out
    assert "1 table(s) maintained" in out
