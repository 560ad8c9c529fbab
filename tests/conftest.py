"""Shared fixtures: one SparkSession per test session, temporary lakehouse roots."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from jianguan.settings import Settings


@pytest.fixture(scope="session")
def session_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("session")


@pytest.fixture(scope="session")
def spark_settings(session_tmp: Path) -> Settings:
    return Settings(
        lakehouse_root=session_tmp / "lakehouse",
        landing_root=session_tmp / "landing",
        export_root=session_tmp / "exports",
        spark_master="local[2]",
        spark_driver_memory="2g",
        spark_shuffle_partitions=2,
    )


@pytest.fixture(scope="session")
def spark(spark_settings: Settings) -> Iterator[object]:
    """The one SparkSession of the test run (tests marked ``spark`` use it)."""
    from jianguan.spark import spark_session

    session = spark_session(spark_settings, app_name="jianguan-tests")
    yield session
    session.stop()
