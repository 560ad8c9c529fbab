"""jianguan — the engine of a provincial 互联网＋监管 regulatory data centre.

Analysts and notebooks start with :func:`spark_session`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["__version__", "spark_session"]
__version__ = "0.1.0"


def spark_session(*args: Any, expose_tables: bool = True, **kwargs: Any) -> SparkSession:
    """The SparkSession configured for the lakehouse, with every Delta table queryable as ``global_temp.<name>``.

    Arguments are those of :func:`jianguan.spark.spark_session` (settings default to the ``JIANGUAN_*``
    environment). Views are snapshots: call again (or ``expose_tables`` in :mod:`jianguan.marts.dbt_run`) after
    a pipeline run to see new versions.
    """
    from jianguan.spark import spark_session as _spark_session

    spark = _spark_session(*args, **kwargs)
    if expose_tables:
        from jianguan.marts.dbt_run import expose_lake_tables
        from jianguan.settings import load_settings
        from jianguan.spec.loader import cached_standard

        settings = args[0] if args else kwargs.get("settings") or load_settings()
        expose_lake_tables(spark, settings, cached_standard(settings.schemas_root))
    return spark
