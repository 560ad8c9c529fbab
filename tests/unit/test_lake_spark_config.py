"""How ``spark_session()`` chooses between the Python ``delta`` source and native delta-spark (no JVM here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from jianguan.errors import ConfigError, StorageError
from jianguan.lake.spark_source import check_partition_filter
from jianguan.settings import Settings
from jianguan.spark import DELTA_CATALOG, DELTA_EXTENSION, session_config


def test_python_source_by_default(tmp_path: Path) -> None:
    config = session_config(Settings(lakehouse_root=tmp_path))
    assert "spark.jars" not in config
    assert "spark.sql.extensions" not in config
    assert config["spark.sql.session.timeZone"] == "Asia/Shanghai"


def test_native_delta_when_jars_are_given(tmp_path: Path) -> None:
    jars = tmp_path / "jars"
    jars.mkdir()
    for name in ("delta-spark_2.13-4.0.0.jar", "delta-storage-4.0.0.jar"):
        (jars / name).write_bytes(b"")
    (jars / "README.txt").write_text("not a jar", encoding="utf-8")
    config = session_config(Settings(lakehouse_root=tmp_path, delta_jars_dir=jars))
    assert config["spark.jars"].split(",") == [
        str(jars / "delta-spark_2.13-4.0.0.jar"),
        str(jars / "delta-storage-4.0.0.jar"),
    ]
    assert config["spark.sql.extensions"] == DELTA_EXTENSION
    assert config["spark.sql.catalog.spark_catalog"] == DELTA_CATALOG


def test_a_jar_folder_without_jars_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no \.jar files"):
        session_config(Settings(lakehouse_root=tmp_path, delta_jars_dir=tmp_path / "missing"))


@pytest.mark.parametrize(
    "predicate",
    [
        "day = '2024-01-02'",
        "day >= '2024-01-02' AND region_code IN ('420100', '420200')",
        "NOT (region_code IS NULL) OR `day` BETWEEN '2024-01-01' AND '2024-01-31'",
    ],
)
def test_partition_filter_accepts_partition_columns(predicate: str) -> None:
    check_partition_filter(predicate, ["day", "region_code"])


@pytest.mark.parametrize(("predicate", "named"), [("case_id = 1", "case_id"), ("day = '1' OR x > 2", "x")])
def test_partition_filter_refuses_data_columns(predicate: str, named: str) -> None:
    with pytest.raises(StorageError, match=f"names \\['{named}'\\]"):
        check_partition_filter(predicate, ["day", "region_code"])
