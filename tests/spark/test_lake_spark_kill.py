"""A Spark write job killed mid-flight (driver, JVM and Python workers, all with SIGKILL) commits nothing.

The child process is a real Spark application writing through the ``delta`` connector. It commits one job, then
starts a second one over far more rows than it can write before the test kills it. The kill comes once that job's
tasks have created data files in the table folder: the worst moment, files on disk and no commit yet. The table
must stay at the first job's version, read identically with delta-rs and Spark, not show the orphaned files, and
VACUUM must remove them.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from deltalake import DeltaTable
from pyspark.sql import SparkSession

from jianguan.lake import LakeTable

pytestmark = [pytest.mark.spark, pytest.mark.slow]

CHILD = """
import sys
from pyspark.sql import functions as F
from jianguan.settings import Settings
from jianguan.spark import spark_session

table, root = sys.argv[1], sys.argv[2]
spark = spark_session(
    Settings(lakehouse_root=root, spark_master="local[1]", spark_driver_memory="768m", spark_shuffle_partitions=1),
    app_name="killed-writer",
)
spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", "1000")
def rows(n, job):
    return spark.range(0, n, 1, 1).select(F.col("id").alias("record_id"), F.lit(job).alias("job"))
rows(1000, "first").write.format("delta").mode("append").save(table)
print("committed first", flush=True)
rows(10**10, "second").write.format("delta").mode("append").save(table)  # hours of work: killed long before
print("committed second", flush=True)
"""


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (the JVM, PySpark's daemon — in its own process group — and its workers)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="walks /proc to kill the whole process tree")
def test_killing_a_spark_write_job_leaves_the_last_committed_version(
    spark: SparkSession, tmp_path: Path
) -> None:
    path = tmp_path / "bronze" / "t"
    script = tmp_path / "writer.py"  # pyspark scripts must be files
    script.write_text(CHILD, encoding="utf-8")
    child = subprocess.Popen(
        [sys.executable, str(script), str(path), str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    tree: list[int] = []
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "committed first"
        committed = {Path(f.path) for f in LakeTable(path).files()}
        deadline = time.monotonic() + 180
        while not set(path.glob("part-*.parquet")) - committed:  # the second job's tasks are writing
            assert time.monotonic() < deadline, "the second job never started writing"
            time.sleep(0.2)
        time.sleep(1)  # let the tasks write into their files for a moment
        tree = [child.pid, *descendants(child.pid)]
        for pid in tree:
            os.kill(pid, signal.SIGKILL)
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL
    deadline = time.monotonic() + 30
    while any(alive(pid) for pid in tree):  # nothing of the job survives to finish the commit later
        assert time.monotonic() < deadline, [pid for pid in tree if alive(pid)]
        time.sleep(0.1)

    table = LakeTable(path)
    assert table.version() == 0
    assert [c.operation for c in table.history()] == ["CREATE TABLE"]
    orphans = set(path.glob("part-*.parquet")) - committed
    assert orphans, "the killed job left no files: the test did not kill it mid-write"
    assert {Path(f.path) for f in table.files()} == committed
    # Both engines read exactly the committed rows; the orphaned files are invisible.
    assert DeltaTable(str(path)).to_pyarrow_table().num_rows == 1000
    df = spark.read.format("delta").load(str(path))
    assert sorted(r.job for r in df.select("job").distinct().collect()) == ["first"]
    assert df.count() == 1000
    # VACUUM (the orphans are newer than any safe retention, hence force) deletes them and nothing else.
    deleted = table.vacuum(dt.timedelta(0), dry_run=False, force=True)
    assert {path / name for name in deleted} == orphans
    assert set(path.glob("part-*.parquet")) == committed
    assert DeltaTable(str(path)).to_pyarrow_table().num_rows == 1000
