"""The SparkSession every entrypoint, test and notebook starts from.

The ``delta`` format comes from one of two places:

* **native** — when ``Settings.delta_jars_dir`` names a folder of delta-spark jars (a production cluster, or any
  machine that can fetch them), the session loads those jars and Delta's SQL extension and catalog; everything
  delta-spark offers (catalog tables, ``DESCRIBE HISTORY``, SQL MERGE) is then available. The same happens when
  the delta-spark classes are already on the classpath (e.g. ``spark-submit --packages``): the Python source is
  then not registered.
* **Python** (the default here, where Maven Central is unreachable) — :mod:`jianguan.lake.spark_source`, a
  Python data source over delta-rs, registered under the name ``delta``.

Tables are kept readable by both (no deletion vectors, no column mapping), so the choice changes nothing on disk.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from jianguan.errors import ConfigError
from jianguan.settings import Settings, load_settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

DELTA_EXTENSION = "io.delta.sql.DeltaSparkSessionExtension"
DELTA_CATALOG = "org.apache.spark.sql.delta.catalog.DeltaCatalog"


def delta_jars(jars_dir: Path) -> list[Path]:
    """The jars of a delta-spark folder (``delta-spark_2.13-*.jar``, ``delta-storage-*.jar`` …)."""
    folder = jars_dir.expanduser().resolve()
    jars = sorted(folder.glob("*.jar")) if folder.is_dir() else []
    if not jars:
        raise ConfigError(f"delta_jars_dir {folder} holds no .jar files")
    return jars


def session_config(settings: Settings) -> dict[str, str]:
    """Every Spark setting :func:`spark_session` applies (a pure function of the settings)."""
    warehouse = settings.resolved_lakehouse_root / "_spark_warehouse"
    config = {
        "spark.master": settings.spark_master,
        "spark.driver.memory": settings.spark_driver_memory,
        "spark.sql.shuffle.partitions": str(settings.spark_shuffle_partitions),
        "spark.sql.session.timeZone": "Asia/Shanghai",
        "spark.sql.warehouse.dir": str(warehouse),
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={warehouse}",
    }
    if settings.delta_jars_dir is not None:
        config["spark.jars"] = ",".join(str(jar) for jar in delta_jars(settings.delta_jars_dir))
        config["spark.sql.extensions"] = DELTA_EXTENSION
        config["spark.sql.catalog.spark_catalog"] = DELTA_CATALOG
    return config


def native_delta_available(spark: SparkSession) -> bool:
    """Whether delta-spark's classes are on the session's classpath."""
    jvm = getattr(spark, "_jvm", None)
    if jvm is None:  # Spark Connect: no JVM in this process; the server decides
        return False
    try:
        loader = jvm.org.apache.spark.util.Utils.getContextOrSparkClassLoader()
        jvm.java.lang.Class.forName(DELTA_CATALOG, False, loader)
    except Exception:  # py4j raises Py4JJavaError(ClassNotFoundException)
        return False
    return True


def spark_session(settings: Settings | None = None, *, app_name: str = "jianguan") -> SparkSession:
    """Return the process's SparkSession, configured for the lakehouse, with the ``delta`` format available.

    Python workers must run the same interpreter as the driver (the ``delta`` data source is Python code), so
    ``PYSPARK_PYTHON`` is pinned to this interpreter before the JVM starts.
    """
    from pyspark.sql import SparkSession

    settings = settings or load_settings()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = SparkSession.builder.appName(app_name)
    for key, value in session_config(settings).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    if settings.delta_jars_dir is not None or native_delta_available(spark):
        log.info("using the native delta-spark connector")
    else:
        from jianguan.lake.spark_source import register

        register(spark)
    from jianguan.lake import commit_source, native_scan

    native_scan.register(spark)
    commit_source.register(spark)
    _quiet_harmless_warnings(spark)
    return spark


# JVM loggers that repeat a harmless WARN; they log at ERROR and above, so their other WARNs are hidden too
QUIET_JVM_LOGGERS = (
    # Before reading a file-source path, Spark looks for a streaming sink's ``_spark_metadata`` folder under it.
    # For a ``{…}`` glob path (how :mod:`jianguan.lake.native_scan` hands a snapshot's files to SQL) that lookup
    # fails, and Spark logs a WARN with a ``FileNotFoundException`` before it reads the files correctly.
    "org.apache.spark.sql.execution.streaming.sinks.FileStreamSink",
    # dbt-spark's session method asks ``SparkSession.builder.enableHiveSupport().getOrCreate()`` for every
    # statement; the existing session is returned and Spark warns that the static setting is ignored (about
    # 1,600 lines per ``dbt build`` at ``small``). The session's other warnings (e.g. session extensions) concern
    # settings spark_session() makes itself.
    "org.apache.spark.sql.classic.SparkSession",
)


def _quiet_harmless_warnings(spark: SparkSession) -> None:
    """Keep :data:`QUIET_JVM_LOGGERS`' warnings out of the logs (errors still show)."""
    jvm = getattr(spark, "_jvm", None)
    if jvm is None:  # Spark Connect: the server's logging is not ours to set
        return
    log4j = jvm.org.apache.logging.log4j
    for logger in QUIET_JVM_LOGGERS:
        log4j.core.config.Configurator.setLevel(logger, log4j.Level.ERROR)
