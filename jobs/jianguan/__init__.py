"""jianguan — the engine of a provincial 互联网＋监管 regulatory data centre.

Analysts and notebooks start with :func:`spark_session`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["__version__", "spark_session"]
__version__ = "0.1.0"


def spark_session(*args: Any, **kwargs: Any) -> SparkSession:
    """Return the SparkSession configured for the lakehouse (see :func:`jianguan.spark.spark_session`)."""
    from jianguan.spark import spark_session as _spark_session

    return _spark_session(*args, **kwargs)
