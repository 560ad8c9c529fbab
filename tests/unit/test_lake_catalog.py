"""The lakehouse catalogue: every table under ``<root>/<layer>/<table>/`` with its version and row count."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import DeltaTable, TableFeatures

from jianguan.errors import StorageError
from jianguan.lake import LakeTable, list_tables

SCHEMA = pa.schema([pa.field("id", pa.int64()), pa.field("day", pa.string())])


def make(root: Path, layer: str, name: str, batches: int) -> LakeTable:
    table = LakeTable.create(root / layer / name, SCHEMA, partition_by=["day"])
    for i in range(batches):
        table.append(pa.table({"id": list(range(i * 10, i * 10 + 10)), "day": [f"2024-01-0{i + 1}"] * 10}))
    return table


def test_lists_every_table_with_version_and_rows(tmp_path: Path) -> None:
    make(tmp_path, "bronze", "complaints__work_orders", 2)
    make(tmp_path, "gold", "rpt_regulator__risk_warnings", 1)
    LakeTable.create(tmp_path / "gold" / "dim_entities", SCHEMA)
    (tmp_path / "bronze" / "not_a_table").mkdir()
    (tmp_path / "_spark_warehouse" / "x" / "_delta_log").mkdir(parents=True)
    tables = list_tables(tmp_path)
    assert [(t.layer, t.name, t.version, t.rows) for t in tables] == [
        ("bronze", "complaints__work_orders", 2, 20),
        ("gold", "dim_entities", 0, 0),
        ("gold", "rpt_regulator__risk_warnings", 1, 10),
    ]
    assert tables[0].path == str(tmp_path / "bronze" / "complaints__work_orders")
    assert tables[0].to_dict()["partition_columns"] == ["day"]
    assert [t.name for t in list_tables(tmp_path, layers=["gold"])] == [
        "dim_entities",
        "rpt_regulator__risk_warnings",
    ]
    assert list_tables(tmp_path / "missing") == []


def test_refuses_tables_with_unsupported_features(tmp_path: Path) -> None:
    make(tmp_path, "silver", "ok", 1)
    bad = make(tmp_path, "silver", "with_deletion_vectors", 1)
    DeltaTable(bad.uri).alter.add_feature(
        TableFeatures.DeletionVectors, allow_protocol_versions_increase=True
    )
    with pytest.raises(StorageError, match=r"with_deletion_vectors.*deletionVectors"):
        list_tables(tmp_path)
    assert [t.name for t in list_tables(tmp_path, strict=False)] == ["ok"]
