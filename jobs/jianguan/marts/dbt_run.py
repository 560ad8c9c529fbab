"""Run the dbt project in-process on the lakehouse's SparkSession and summarise what it built.

Embedded mode (target ``local``, dbt-spark's ``session`` method): dbt-spark's cursor calls
``SparkSession.builder.getOrCreate()``, which returns the session :func:`jianguan.spark.spark_session` prepared
(with the ``delta`` data source registered), as long as dbt runs in this process — hence ``dbtRunner`` rather than
a subprocess. Before dbt starts, every lakehouse table is exposed as a global temporary view
``global_temp.<table>`` (the one SQL naming of the lakehouse, see ``docs/marts.md``); bronze tables that ingestion
has not written yet get an empty view of their schema, so a partial lakehouse still builds (empty models).

Cluster mode (target ``cluster``, ``thrift``): dbt talks to a Spark Thrift Server with native Delta; no local
session is needed and the stock materializations build ``file_format: delta`` tables.

Artifacts (manifest, run results, the docs site, logs) go under ``<lakehouse root>/_dbt/`` so that concurrent
lakehouses (tests, environments) never share dbt's target folder and the docs stay with the data they describe.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jianguan.errors import JianguanError, StorageError
from jianguan.settings import PROJECT_ROOT, Settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from jianguan.lake import LakeTable
    from jianguan.lake.changes import ChangeFile
    from jianguan.spec.loader import Standard

log = logging.getLogger(__name__)

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
VIEW_LAYERS = ("bronze", "silver", "gold")
"""Layers whose Delta tables are exposed to dbt (sources and already-built models)."""
DBT_DIR_NAME = "_dbt"


class DbtRunError(JianguanError):
    """dbt could not run at all (bad project, adapter error), as opposed to models or tests failing."""


@dataclass
class DbtSummary:
    """What one dbt invocation did."""

    command: str
    success: bool
    seconds: float
    models: dict[str, str] = field(default_factory=dict)
    """model name → status (success / error / skipped)."""
    tests: dict[str, str] = field(default_factory=dict)
    """test name → status (pass / fail / warn / error / skipped)."""
    seeds: dict[str, str] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    """model or seed name → row count of its Delta table after the run."""
    paths: dict[str, str] = field(default_factory=dict)
    target_dir: str = ""
    staging_pending: dict[str, int] = field(default_factory=dict)
    """staging model → bronze files delivered since its last build (built from them; 0: left as it was)."""
    staging_rebuilt: dict[str, str] = field(default_factory=dict)
    """staging model → why a build would rebuild it in full (first build, bronze rows deleted …)."""
    staging_replaced: tuple[str, ...] = ()
    """the rebuilt staging models that held rows: incremental models reading them were recomputed in full."""
    kept: tuple[str, ...] = ()
    """models and seeds that ran green and left their table at the version it had: their SQL and inputs were
    those of their last build (``lake_inputs_fingerprint``), bronze received nothing for a staging model, or
    an incremental model's increment was empty."""

    @property
    def tests_passed(self) -> int:
        return sum(1 for status in self.tests.values() if status == "pass")

    @property
    def tests_failed(self) -> int:
        return sum(1 for status in self.tests.values() if status in ("fail", "error"))

    def as_dict(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "success": self.success,
            "seconds": round(self.seconds, 2),
            "models_built": sorted(name for name, status in self.models.items() if status == "success"),
            "models_failed": sorted(name for name, status in self.models.items() if status == "error"),
            "models_kept": sorted(self.kept),
            "seeds": dict(sorted(self.seeds.items())),
            "tests_passed": self.tests_passed,
            "tests_failed": self.tests_failed,
            "failed_tests": sorted(
                name for name, status in self.tests.items() if status in ("fail", "error")
            ),
            "rows": dict(sorted(self.rows.items())),
            "paths": dict(sorted(self.paths.items())),
            "target_dir": self.target_dir,
            "staging": {
                "incremental": sorted(name for name, files in self.staging_pending.items() if files),
                "unchanged": sorted(name for name, files in self.staging_pending.items() if not files),
                "rebuilt": dict(sorted(self.staging_rebuilt.items())),
                "replaced": list(self.staging_replaced),
            },
        }


def dbt_dir(settings: Settings) -> Path:
    return settings.resolved_lakehouse_root / DBT_DIR_NAME


def _delta_tables(layer_dir: Path) -> list[Path]:
    if not layer_dir.is_dir():
        return []
    return sorted(p for p in layer_dir.iterdir() if (p / "_delta_log").is_dir())


@dataclass(frozen=True)
class ExposedTables:
    """What :func:`expose_lake_tables` made visible to dbt."""

    paths: dict[str, str]
    """view name → Delta table path."""
    versions: dict[str, int]
    """view name → the version its view reads."""
    bronze_versions: dict[str, int]
    """bronze table → the version its view reads (pinned: the build sees one consistent bronze)."""


def expose_lake_tables(spark: SparkSession, settings: Settings, std: Standard) -> ExposedTables:
    """Create ``global_temp.<table>`` over every Delta table of the exposed layers.

    Every view reads one snapshot, the latest now, through Spark's Parquet reader where it can
    (:mod:`jianguan.lake.native_scan`), else the ``delta`` data source; the bronze versions read are returned
    (the staging models record them). Bronze tables of the standard that do not exist yet get an empty view
    with their schema (fields, tokens, lineage) — a source dbt can read, which keeps the staging layer complete
    when a feed has not arrived.
    """
    from jianguan.lake import native_scan
    from jianguan.spec.render.schemas import REJECTED_SUFFIX, bronze_spark_schema, spark_schema_of

    # Views of another lakehouse may linger in this session (a notebook or test that switched roots): drop every
    # global view first, so names resolve to this lakehouse only — dbt's is_incremental() looks them up too.
    for row in spark.sql("SHOW VIEWS IN global_temp").collect():
        if row["isTemporary"] and row["namespace"] == "global_temp":
            spark.catalog.dropGlobalTempView(row["viewName"])
    exposed: dict[str, str] = {}
    versions: dict[str, int] = {}
    bronze_versions: dict[str, int] = {}
    for layer in VIEW_LAYERS:
        for path in _delta_tables(settings.resolved_lakehouse_root / layer):
            scan = native_scan.expose(spark, str(path), path.name)
            if layer == "bronze":
                bronze_versions[path.name] = scan.version
            exposed[path.name] = str(path)
            versions[path.name] = scan.version
    empty = 0
    for table in std.tables:
        for name, schema in (
            (table, bronze_spark_schema(std, table)),
            (f"{table}{REJECTED_SUFFIX}", spark_schema_of(std.lineage.rejected)),
        ):
            if name not in exposed:
                spark.sql(
                    f"CREATE OR REPLACE GLOBAL TEMPORARY VIEW `{name}` AS {native_scan.empty_select(schema)}"
                )
                empty += 1
    log.info(
        "exposed %d lakehouse table(s) as global_temp views, %d empty bronze view(s)", len(exposed), empty
    )
    return ExposedTables(exposed, versions, bronze_versions)


BRONZE_CHANGES_SUFFIX = "__bronze_changes"
"""``global_temp.<staging model>__bronze_changes``: what bronze received since the model's last build
(``bronze_changes_relation`` in ``dbt_project/macros/lake/incremental.sql``)."""
COVERED_VERSION_KEY = "bronze_version"


@dataclass(frozen=True)
class BronzeFeed:
    """The bronze commits a staging model has not seen: versions ``first`` … ``last`` of the table at ``uri``."""

    uri: str
    first: int
    last: int
    changes: tuple[ChangeFile, ...]
    """The files those commits added (every one an insert: the plan only lists such feeds)."""

    @property
    def files(self) -> int:
        return len(self.changes)


@dataclass(frozen=True)
class BronzeChanges:
    """Per staging model, whether its build can be incremental and over which bronze change feed."""

    versions: dict[str, int]
    """bronze table → the version this build reads (recorded in the staging model's commit)."""
    feeds: dict[str, BronzeFeed | None]
    """staging model → the bronze commits delivered since its last build (None: nothing new); only models
    that can be built incrementally are listed."""
    rebuilt: dict[str, str]
    """staging model → why it is rebuilt in full."""
    replaced: tuple[str, ...] = ()
    """The rebuilt staging models whose tables already hold rows: rows may disappear, so the incremental models
    that read them (directly or not) are recomputed in full (``lake_depends_on_replaced_staging``)."""

    @property
    def pending(self) -> dict[str, int]:
        """staging model → bronze files delivered since its last build (0: nothing new)."""
        return {model: feed.files if feed else 0 for model, feed in self.feeds.items()}

    def as_vars(self) -> dict[str, Any]:
        return {
            "lake_bronze_versions": self.versions,
            "lake_bronze_changes": self.pending,
            "lake_replaced_staging": list(self.replaced),
        }


def covered_bronze_version(settings: Settings, model: str) -> int | None:
    """The bronze version a staging model's table was last built from (its commit's userMetadata), if any."""
    from jianguan.lake import LakeTable

    table = LakeTable(settings.table_path("silver", model))
    if not table.exists():
        return None
    commits = table.history(limit=1)
    try:
        return int(json.loads(commits[0].custom["userMetadata"])[COVERED_VERSION_KEY])
    except (IndexError, KeyError, TypeError, ValueError):
        return None


def plan_bronze_changes(
    settings: Settings, std: Standard, bronze_versions: Mapping[str, int]
) -> BronzeChanges:
    """Which staging models can be built from the bronze rows delivered since their last build (no Spark).

    A model's last commit records the bronze version it covered; the commits after it, up to the version this
    build reads, are its feed — when every file they changed was added (appends: the feed's rows are inserts).
    The model is rebuilt in full instead when it has no recorded version, when its columns are not the ones
    ``schemas/`` now gives (an incremental build keeps the table's columns), when bronze is older than it
    (replaced), when a commit of the range deleted or rewrote rows (a rerun replacing a batch: only a rebuild
    drops what is gone), or when that part of the log was cleaned up.
    """
    from jianguan.lake import LakeTable
    from jianguan.lake.changes import change_files
    from jianguan.spec.render.dbt_sources import VERSIONS_SUFFIX, staging_arrow_schema, staging_name

    feeds: dict[str, BronzeFeed | None] = {}
    rebuilt: dict[str, str] = {}
    for table in std.tables.values():
        if table.name not in bronze_versions:
            continue
        version = bronze_versions[table.name]
        uri = LakeTable(settings.table_path("bronze", table.name)).uri
        base = staging_name(table.library, table.name)
        since: dict[int, list[ChangeFile]] = {}  # the two models of a table usually cover the same version
        for model in (base, base + VERSIONS_SUFFIX) if table.history else (base,):
            schema = staging_arrow_schema(std, table, versions=model.endswith(VERSIONS_SUFFIX))
            expected = [(f.name, f.type) for f in schema]
            covered = covered_bronze_version(settings, model)
            if covered is None:
                rebuilt[model] = "no bronze version recorded (first build)"
                continue
            staged = LakeTable(settings.table_path("silver", model)).schema()
            if [(f.name, f.type) for f in staged] != expected:
                rebuilt[model] = "its columns differ from schemas/ (the standard changed)"
                continue
            if covered > version:
                rebuilt[model] = (
                    f"bronze {table.name} is at version {version}, older than the {covered} built"
                )
                continue
            try:
                if covered not in since:
                    since[covered] = change_files(uri, covered + 1, version) if covered < version else []
            except StorageError as exc:
                rebuilt[model] = str(exc)
                continue
            files = since[covered]
            rewritten = sorted({f.version for f in files if f.change_type != "insert"})
            if rewritten:
                rebuilt[model] = f"bronze {table.name} deleted or rewrote rows in version(s) {rewritten}"
                continue
            feeds[model] = BronzeFeed(uri, covered + 1, version, tuple(files)) if files else None
    replaced = tuple(
        model for model in sorted(rebuilt) if _holds_rows(LakeTable(settings.table_path("silver", model)))
    )
    return BronzeChanges(dict(bronze_versions), feeds, rebuilt, replaced)


def _holds_rows(table: LakeTable) -> bool:
    return table.exists() and table.count() > 0


def expose_bronze_changes(
    spark: SparkSession, settings: Settings, std: Standard, bronze_versions: Mapping[str, int]
) -> BronzeChanges:
    """:func:`plan_bronze_changes`, and each feed as ``global_temp.<model>__bronze_changes`` (the rows its
    commits appended: their files, read natively where possible — ``native_scan.read_inserts``), which the
    staging macro reads."""
    from jianguan.lake import native_scan

    changes = plan_bronze_changes(settings, std, bronze_versions)
    for model, feed in changes.feeds.items():
        if feed is not None:
            rows = native_scan.read_inserts(spark, feed.uri, feed.first, feed.last, feed.changes)
            rows.createOrReplaceGlobalTempView(f"{model}{BRONZE_CHANGES_SUFFIX}")
    log.info(
        "staging: %d model(s) incremental (%d with new bronze files), %d rebuilt in full",
        len(changes.feeds),
        sum(1 for feed in changes.feeds.values() if feed),
        len(changes.rebuilt),
    )
    return changes


def dbt_args(
    command: Sequence[str],
    settings: Settings,
    *,
    logical_date: dt.date | None = None,
    select: Sequence[str] = (),
    full_refresh: bool = False,
    extra_vars: Mapping[str, Any] | None = None,
    exclude_resource_types: Sequence[str] = (),
) -> list[str]:
    """The dbt command line (a pure function of its arguments, unit-tested)."""
    target_dir = dbt_dir(settings)
    variables: dict[str, Any] = {
        "lakehouse_root": str(settings.resolved_lakehouse_root),
        "thrift_host": settings.dbt_thrift_host,
        "thrift_port": settings.dbt_thrift_port,
    }
    if logical_date is not None:
        variables["logical_date"] = logical_date.isoformat()
    variables.update(extra_vars or {})
    args = [
        *command,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target",
        settings.dbt_target,
        "--target-path",
        str(target_dir / "target"),
        "--log-path",
        str(target_dir / "logs"),
        "--vars",
        json.dumps(variables, sort_keys=True),
    ]
    if select:
        args += ["--select", *select]
        if command[0] in ("build", "test"):
            # a test runs only when all it reads is built by the selection: the accepted-codes tests also read
            # the code_lists seed, which a selection of some models' ancestors does not build
            args += ["--indirect-selection", "buildable"]
    if settings.dbt_threads is not None:
        args += ["--threads", str(settings.dbt_threads)]
    if exclude_resource_types:
        args += ["--exclude-resource-types", *exclude_resource_types]
    if full_refresh:
        args.append("--full-refresh")
    return args


def _summarise(
    command: str,
    result: Any,
    settings: Settings,
    seconds: float,
    success: bool,
    versions_before: Mapping[str, int] | None = None,
) -> DbtSummary:
    """What dbt reported, with each green model's table (path, rows) and the models it kept as they were
    (same version as in ``versions_before``, the versions exposed before dbt started)."""
    kept: list[str] = []
    summary = DbtSummary(
        command=command, success=success, seconds=seconds, target_dir=str(dbt_dir(settings) / "target")
    )
    run_results = getattr(result, "results", None) or []
    for item in run_results:
        node = getattr(item, "node", None)
        if node is None:
            continue
        status = str(getattr(item.status, "value", item.status))
        kind = str(getattr(node.resource_type, "value", node.resource_type))
        if kind == "model":
            summary.models[node.name] = status
        elif kind == "seed":
            summary.seeds[node.name] = status
        elif kind in ("test", "unit_test"):
            summary.tests[node.name] = status
        if kind in ("model", "seed") and status == "success" and settings.dbt_target == "local":
            from jianguan.lake import LakeTable

            layer = node.config.get("layer", "silver")
            table = LakeTable(settings.table_path(layer, node.alias or node.name))
            if table.exists():  # views (lake_view) have no table
                snapshot = table.load()  # one read of the log for the rows and the version
                summary.paths[node.name] = table.uri
                summary.rows[node.name] = table.count(table=snapshot)
                if versions_before and versions_before.get(node.alias or node.name) == snapshot.version():
                    kept.append(node.name)
    summary.kept = tuple(sorted(kept))
    return summary


def run_dbt(
    command: Sequence[str],
    settings: Settings,
    *,
    logical_date: dt.date | None = None,
    select: Sequence[str] = (),
    full_refresh: bool = False,
    extra_vars: Mapping[str, Any] | None = None,
    exclude_resource_types: Sequence[str] = (),
    spark: SparkSession | None = None,
) -> DbtSummary:
    """Run one dbt command (``["build"]``, ``["docs", "generate"]`` …) in this process and summarise it.

    Raises :class:`DbtRunError` when dbt itself fails to run; failed models or tests are reported in the summary
    (``success`` False), because the caller decides whether they fail a pipeline.
    """
    from dbt.cli.main import dbtRunner

    changes: BronzeChanges | None = None
    versions_before: dict[str, int] = {}
    if settings.dbt_target == "local":
        from jianguan.spark import spark_session
        from jianguan.spec.loader import load_standard

        session = spark or spark_session(settings)
        std = load_standard(settings.schemas_root)
        exposed = expose_lake_tables(session, settings, std)
        versions_before = exposed.versions
        changes = (
            BronzeChanges(dict(exposed.bronze_versions), {}, {})  # everything is rebuilt anyway
            if full_refresh
            else expose_bronze_changes(session, settings, std, exposed.bronze_versions)
        )
        extra_vars = {**changes.as_vars(), **(extra_vars or {})}
    args = dbt_args(
        command,
        settings,
        logical_date=logical_date,
        select=select,
        full_refresh=full_refresh,
        extra_vars=extra_vars,
        exclude_resource_types=exclude_resource_types,
    )
    log.info("dbt %s (target %s)", " ".join(command), settings.dbt_target)
    started = time.monotonic()
    outcome = dbtRunner().invoke(args)
    seconds = time.monotonic() - started
    if outcome.exception is not None:
        raise DbtRunError(
            f"dbt {' '.join(command)} could not run: {outcome.exception}"
        ) from outcome.exception
    summary = _summarise(
        " ".join(command), outcome.result, settings, seconds, bool(outcome.success), versions_before
    )
    if changes is not None:
        summary.staging_pending, summary.staging_rebuilt = changes.pending, changes.rebuilt
        summary.staging_replaced = changes.replaced
    log.info(
        "dbt %s: %s in %.1fs — %d model(s), %d test(s) passed, %d failed",
        " ".join(command),
        "success" if summary.success else "FAILED",
        seconds,
        len(summary.models),
        summary.tests_passed,
        summary.tests_failed,
    )
    return summary


NIGHTLY_EXCLUDED_RESOURCES = ("unit_test",)
"""What the nightly build leaves out: unit tests check the models' SQL on fixed rows, once per code change."""


def build_marts(
    settings: Settings,
    logical_date: dt.date,
    *,
    select: Sequence[str] = (),
    full_refresh: bool = False,
    spark: SparkSession | None = None,
) -> dict[str, Any]:
    """``dbt build`` (seeds, models, data tests) for a logical date — what the DAG and ``jianguan pipeline`` call.

    dbt unit tests (fixed inputs, they test the SQL, not the day's data) are left to CI and development builds
    (``tests/spark/test_dbt_marts.py``, ``jianguan marts build``), as dbt advises for production runs.
    Raises :class:`DbtRunError` when a model or test fails, so a scheduler marks the task failed; the summary
    of a green run is returned as a dict (JSON-serialisable).
    """
    summary = run_dbt(
        ["build"],
        settings,
        logical_date=logical_date,
        select=select,
        full_refresh=full_refresh,
        exclude_resource_types=NIGHTLY_EXCLUDED_RESOURCES,
        spark=spark,
    )
    if not summary.success:
        details = summary.as_dict()
        raise DbtRunError(
            f"dbt build failed: models {details['models_failed']}, tests {details['failed_tests']}"
        )
    return summary.as_dict()
