"""``delta_commits``: the latest commit of each of several Delta tables, queryable from SQL.

The dbt materializations decide in SQL whether a model must be rebuilt: a model whose SQL and inputs are those of
its last build is kept as it is (``lake_inputs_fingerprint`` in ``dbt_project/macros/lake/fingerprint.sql``). For
that they need each input table's current version and the userMetadata of the model's own last commit — one
query for all of them::

    CREATE TEMPORARY VIEW v USING delta_commits OPTIONS (paths '["/lake/silver/a", "/lake/gold/b"]')
    SELECT path, version, user_metadata FROM v

One row per path, in the order given: ``version`` and ``user_metadata`` are null when no Delta table is there.
The commit files are read directly (:mod:`jianguan.lake.log`), so no snapshot is loaded.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from pyspark.sql import SparkSession
from pyspark.sql.datasource import DataSource, DataSourceReader, InputPartition
from pyspark.sql.types import StructType

from jianguan.errors import StorageError
from jianguan.lake.log import commit_info, commit_versions

COMMITS_FORMAT_NAME = "delta_commits"


def latest_commit(path: str) -> tuple[int | None, str | None]:
    """The latest version of the table at ``path`` and its commit's userMetadata (``None``, ``None``: no table)."""
    versions = commit_versions(path)
    if not versions:
        return None, None
    version = versions[-1]
    metadata = commit_info(path, version).get("userMetadata")
    return version, None if metadata is None else str(metadata)


class DeltaCommitsSource(DataSource):
    """``delta_commits``: option ``paths`` (a JSON list of table paths); columns ``path``, ``version``,
    ``user_metadata``."""

    @classmethod
    def name(cls) -> str:
        return COMMITS_FORMAT_NAME

    def schema(self) -> str:
        return "path string, version bigint, user_metadata string"

    def reader(self, schema: StructType) -> DataSourceReader:
        options = {str(k).lower(): str(v) for k, v in dict(self.options).items()}
        try:
            paths = json.loads(options["paths"])
        except (KeyError, ValueError) as exc:
            raise StorageError(
                "the delta_commits data source needs a JSON list of paths: OPTIONS (paths '[\"…\"]')"
            ) from exc
        if not isinstance(paths, list) or not all(isinstance(path, str) for path in paths):
            raise StorageError(
                f"delta_commits: paths must be a JSON list of strings, got {options['paths']!r}"
            )
        return DeltaCommitsReader(paths)


class DeltaCommitsReader(DataSourceReader):
    def __init__(self, paths: list[str]) -> None:
        self.paths = paths

    def partitions(self) -> list[InputPartition]:
        return [InputPartition(None)]  # a few small files per table: one task reads them all

    def read(self, partition: InputPartition) -> Iterator[tuple[str, int | None, str | None]]:
        for path in self.paths:
            yield (path, *latest_commit(path))


def register(spark: SparkSession) -> None:
    """Register the ``delta_commits`` data source with ``spark``."""
    spark.dataSource.register(DeltaCommitsSource)
