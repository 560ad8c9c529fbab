"""The ``delta_commits`` SQL source: the latest version and userMetadata of several tables in one query."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest
from pyspark.sql import SparkSession

from jianguan.lake import LakeTable
from jianguan.lake.commit_source import latest_commit

pytestmark = pytest.mark.spark

SCHEMA = pa.schema([pa.field("code", pa.string())])


def test_delta_commits_gives_each_tables_latest_version_and_user_metadata(
    spark: SparkSession, tmp_path: Path
) -> None:
    built = LakeTable.create(tmp_path / "gold" / "built", SCHEMA)
    built.append(pa.table({"code": ["a"]}, schema=SCHEMA))
    built.append(pa.table({"code": ["b"]}, schema=SCHEMA), metadata={"userMetadata": '{"inputs": "f00"}'})
    plain = LakeTable.create(tmp_path / "silver" / "plain", SCHEMA)
    missing = tmp_path / "silver" / "missing"
    paths = [str(built.uri), str(plain.uri), str(missing)]
    spark.sql(
        f"CREATE OR REPLACE TEMPORARY VIEW commits USING delta_commits OPTIONS (paths '{json.dumps(paths)}')"
    )
    found = [tuple(row) for row in spark.sql("SELECT path, version, user_metadata FROM commits").collect()]
    assert found == [
        (paths[0], 2, '{"inputs": "f00"}'),
        (paths[1], 0, None),  # created, no metadata
        (paths[2], None, None),  # no table there
    ]
    assert latest_commit(paths[0]) == (2, '{"inputs": "f00"}')


def test_delta_commits_names_what_is_wrong_with_its_options(spark: SparkSession) -> None:
    spark.sql("CREATE OR REPLACE TEMPORARY VIEW bad_commits USING delta_commits OPTIONS (paths 'x')")
    with pytest.raises(Exception, match="JSON list of paths"):
        spark.sql("SELECT * FROM bad_commits").collect()
