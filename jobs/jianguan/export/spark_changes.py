"""The export's records computed by Spark tasks: the same snapshots, netted changes and re-reads as
:mod:`jianguan.export.changes`, for sources too large for the driver.

Each task reads its Delta files through the ``delta`` source (snapshots by ``versionAsOf``, changes by
``readChangeFeed``) and renders, identifies and hashes its rows with the very functions the driver uses
(:func:`jianguan.export.records.project` inside ``mapInArrow``), so both readers produce the same national
records. The netting of :func:`jianguan.export.changes.changes_since` becomes three steps: rows a commit deleted
and re-inserted unchanged cancel (a window over the whole row and the commit), then per record the pre-image of
its first touched commit meets the post-image of its last one (a full outer join on the record id), compared by
content hash. Only the records to send — inserts and updates, before-images of deletes — reach the driver.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from jianguan.export.changes import (
    POST_IMAGES,
    PRE_IMAGES,
    DatasetChanges,
    loaded,
    unchanged,
)
from jianguan.export.layouts import Dataset
from jianguan.export.records import CONTENT_SHA, RECORD_ID, empty, project
from jianguan.lake import LakeTable
from jianguan.lake.changes import CHANGE_COLUMNS, CHANGE_TYPE

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

COMMIT_VERSION = CHANGE_COLUMNS.field("_commit_version").name
KIND = "_kind"
"""Per changed record: ``i`` inserted, ``u`` updated, ``d`` deleted."""


def _projected_schema(dataset: Dataset, carry: tuple[str, ...] = ()) -> str:
    """Spark DDL of projected records (every national value is text) plus carried change columns."""
    types = {CHANGE_TYPE: "string", COMMIT_VERSION: "bigint"}
    names = empty(dataset).schema.names
    return ", ".join([*(f"`{n}` string" for n in names), *(f"`{n}` {types[n]}" for n in carry)])


def _projector(dataset: Dataset, carry: tuple[str, ...]) -> Any:
    """The ``mapInArrow`` function: source batches → national records (carrying the change columns)."""

    def apply(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            rows = pa.Table.from_batches([batch])
            records = project(dataset, rows.select(dataset.read_columns))
            for name in carry:
                records = records.append_column(name, rows.column(name))
            yield from records.to_batches()

    return apply


class SparkReader:
    """Records of the export computed by Spark (see the module docstring)."""

    name = "spark"

    def __init__(self, spark: SparkSession, scratch: Path) -> None:
        self.spark = spark
        self.scratch = scratch
        """Folder for the records on their way to the driver (one subfolder per collect, removed after)."""

    def _read(self, table: LakeTable, dataset: Dataset, **options: object) -> DataFrame:
        reader = self.spark.read.format("delta").option("columns", ",".join(dataset.read_columns))
        for key, value in options.items():
            reader = reader.option(key, str(value))
        return reader.load(table.uri)

    @staticmethod
    def _project(frame: DataFrame, dataset: Dataset, carry: tuple[str, ...] = ()) -> DataFrame:
        return frame.mapInArrow(_projector(dataset, carry), _projected_schema(dataset, carry))

    def _collect(self, frame: DataFrame, dataset: Dataset, extra: tuple[str, ...] = ()) -> pa.Table:
        """The records of ``frame`` on the driver, typed exactly as the driver's reader types them.

        Tasks write them as Parquet into a scratch folder that the driver then reads with Arrow: a collect through
        the JVM driver (``toArrow``) holds every result in its heap at once, and a million-row full load ran it out
        of 4 GB.
        """
        target = empty(dataset).schema
        target = pa.schema([*target, *(pa.field(name, pa.string()) for name in extra)])
        folder = self.scratch / uuid.uuid4().hex
        try:
            frame.select(*target.names).write.mode("error").parquet(str(folder))
            parts = sorted(folder.glob("part-*.parquet"))
            tables = [pq.read_table(part) for part in parts]
            return pa.concat_tables([t.cast(target) for t in tables]) if tables else target.empty_table()
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def snapshot(self, table: LakeTable, dataset: Dataset, version: int) -> DataFrame:
        return self._project(self._read(table, dataset, versionAsOf=version), dataset)

    def full_load(self, table: LakeTable, dataset: Dataset, version: int) -> DatasetChanges:
        return loaded(dataset, self._collect(self.snapshot(table, dataset, version), dataset), version)

    def records_for(self, table: LakeTable, dataset: Dataset, version: int, record_ids: set[str]) -> pa.Table:
        if not record_ids:
            return empty(dataset)
        wanted = self.spark.createDataFrame([(i,) for i in sorted(record_ids)], f"`{RECORD_ID}` string")
        records = self.snapshot(table, dataset, version).join(wanted, RECORD_ID, "left_semi")
        return self._collect(records, dataset)

    def changes_since(
        self, table: LakeTable, dataset: Dataset, exported_version: int, to_version: int
    ) -> DatasetChanges:
        from pyspark import StorageLevel
        from pyspark.sql import Window
        from pyspark.sql import functions as F

        if to_version <= exported_version:
            return unchanged(dataset, exported_version, to_version)
        feed = self._read(
            table,
            dataset,
            readChangeFeed="true",
            startingVersion=exported_version + 1,
            endingVersion=to_version,
        ).select(*dataset.read_columns, CHANGE_TYPE, COMMIT_VERSION)
        is_pre: Column = F.col(CHANGE_TYPE).isin(sorted(PRE_IMAGES))
        is_post: Column = F.col(CHANGE_TYPE).isin(sorted(POST_IMAGES))
        same_row = Window.partitionBy(*dataset.read_columns, COMMIT_VERSION)
        kept = (
            feed.withColumn("_has_pre", F.max(is_pre.cast("int")).over(same_row))
            .withColumn("_has_post", F.max(is_post.cast("int")).over(same_row))
            .where(~((is_pre & (F.col("_has_post") == 1)) | (is_post & (F.col("_has_pre") == 1))))
            .drop("_has_pre", "_has_post")
        )
        records = self._project(kept, dataset, carry=(CHANGE_TYPE, COMMIT_VERSION))
        per_record = Window.partitionBy(RECORD_ID)
        records = (
            records.withColumn("_first", F.min(COMMIT_VERSION).over(per_record))
            .withColumn("_last", F.max(COMMIT_VERSION).over(per_record))
            .persist(StorageLevel.MEMORY_AND_DISK)
        )
        try:
            names = empty(dataset).schema.names
            before = records.where(is_pre & (F.col(COMMIT_VERSION) == F.col("_first"))).select(*names)
            after = records.where(is_post & (F.col(COMMIT_VERSION) == F.col("_last"))).select(*names)
            before = before.dropDuplicates([RECORD_ID])
            after = after.dropDuplicates([RECORD_ID])
            fate = (
                before.select(RECORD_ID, F.col(CONTENT_SHA).alias("_before"))
                .join(after.select(RECORD_ID, F.col(CONTENT_SHA).alias("_after")), RECORD_ID, "full_outer")
                .select(
                    RECORD_ID,
                    F.when(F.col("_before").isNull(), F.lit("i"))
                    .when(F.col("_after").isNull(), F.lit("d"))
                    .when(F.col("_before") != F.col("_after"), F.lit("u"))
                    .alias(KIND),
                )
                .where(F.col(KIND).isNotNull())
            )
            upserts = after.join(fate.where(F.col(KIND) != "d"), RECORD_ID).select(*names, KIND)
            deletes = before.join(fate.where(F.col(KIND) == "d").select(RECORD_ID), RECORD_ID, "left_semi")
            upsert_rows = self._collect(upserts, dataset, extra=(KIND,))
            delete_rows = self._collect(deletes, dataset)
        finally:
            records.unpersist()
        kinds = upsert_rows.column(KIND).to_pylist()
        ids = upsert_rows.column(RECORD_ID).to_pylist()
        return DatasetChanges(
            upserts=upsert_rows.select(names).cast(empty(dataset).schema),
            deletes=delete_rows,
            inserted=frozenset(i for i, kind in zip(ids, kinds, strict=True) if kind == "i"),
            updated=frozenset(i for i, kind in zip(ids, kinds, strict=True) if kind == "u"),
            deleted=frozenset(delete_rows.column(RECORD_ID).to_pylist()),
            from_version=exported_version,
            to_version=to_version,
        )
