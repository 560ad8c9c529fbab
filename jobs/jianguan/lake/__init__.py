"""The lakehouse storage layer: Delta tables over delta-rs, and the ``delta`` format for Spark without Maven.

* :mod:`jianguan.lake.tables` — :class:`LakeTable`: create, append, replace by predicate, MERGE, time travel,
  change feed, OPTIMIZE, VACUUM, checkpoints, history; idempotent commits (:class:`AppTransaction`).
* :mod:`jianguan.lake.catalog` — every table under ``<lakehouse root>/<layer>/<table>/``.
* :mod:`jianguan.lake.spark_source` — the Python data source Spark uses as ``format("delta")``.
* :mod:`jianguan.lake.native_scan` — a snapshot read by Spark's own Parquet reader where it can be (the fast
  path of the dbt views), and the ``delta_scan`` source that hands it to SQL.

See ``docs/lakehouse-storage.md``.
"""

from __future__ import annotations

from jianguan.lake.catalog import TableInfo, list_tables
from jianguan.lake.schema import SchemaMismatchError
from jianguan.lake.tables import AppTransaction, Commit, CommitResult, FileEntry, LakeTable

__all__ = [
    "AppTransaction",
    "Commit",
    "CommitResult",
    "FileEntry",
    "LakeTable",
    "SchemaMismatchError",
    "TableInfo",
    "list_tables",
]
