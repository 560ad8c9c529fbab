"""The SparkSession every entrypoint, test and notebook starts from."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from jianguan.settings import Settings, load_settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def spark_session(settings: Settings | None = None, *, app_name: str = "jianguan") -> SparkSession:
    """Return the process's SparkSession, configured for the lakehouse.

    Python workers must run the same interpreter as the driver (the ``delta`` data source is Python code), so
    ``PYSPARK_PYTHON`` is pinned to this interpreter before the JVM starts.
    """
    from pyspark.sql import SparkSession

    settings = settings or load_settings()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    warehouse = settings.resolved_lakehouse_root / "_spark_warehouse"
    builder = (
        SparkSession.builder.master(settings.spark_master)
        .appName(app_name)
        .config("spark.driver.memory", settings.spark_driver_memory)
        .config("spark.sql.shuffle.partitions", str(settings.spark_shuffle_partitions))
        .config("spark.sql.session.timeZone", "Asia/Shanghai")
        .config("spark.sql.warehouse.dir", str(warehouse))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={warehouse}")
    )
    return builder.getOrCreate()
