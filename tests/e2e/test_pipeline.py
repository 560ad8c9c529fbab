"""The nightly chain end to end over one simulated day of a tiny province, through Airflow: every nightly DAG
run with ``airflow dags test`` on a SQLite metadata DB (one ingest DAG per source family, then marts, risk,
evaluation, export), then the eight libraries, marts, gold tables, the export and the analyst notebooks checked
on the lakehouse those runs built, and the Airflow UI looked at in headless Chromium."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from jianguan.ingest.ledger import QUARANTINE_FOLDER, IngestionLog
from jianguan.lake import LakeTable
from jianguan.orchestration.families import nightly_dag_ids
from jianguan.orchestration.summary import pipeline_summary
from jianguan.settings import PROJECT_ROOT, Settings
from jianguan.spec.loader import cached_standard
from tests.airflow_helpers import (
    airflow_dags_test,
    airflow_env,
    chain_test,
    dag_card,
    migrate,
    standalone_dags_page,
)
from tests.sim_helpers import simulate_tiny

DAYS = [date(2026, 11, 2)]


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("e2e")
    settings = Settings(
        lakehouse_root=root / "lakehouse",
        landing_root=root / "landing",
        export_root=root / "exports",
        truth_root=root / "truth",
        spark_master="local[2]",
        spark_driver_memory="2g",
        spark_shuffle_partitions=2,
    )
    simulate_tiny(settings.landing_root, settings.truth_root, start=DAYS[0], days=len(DAYS), seed=20261102)
    env = airflow_env(root / "airflow", settings)
    migrate(env)
    log = root / "airflow_logs" / "chain.log"
    runs, returncode = chain_test(env, DAYS, log)
    assert returncode == 0 and runs and all(r.succeeded for r in runs), log.read_text(encoding="utf-8")[
        -5000:
    ]
    return {"settings": settings, "runs": runs, "env": env, "root": root}


def test_every_nightly_dag_succeeded_in_airflow(pipeline: dict[str, object]) -> None:
    runs = pipeline["runs"]
    assert isinstance(runs, list)
    assert [(r.dag_id, r.day) for r in runs] == [(d, day) for day in DAYS for d in nightly_dag_ids()]
    assert all(r.succeeded for r in runs)


def test_every_landed_file_is_accounted_for(pipeline: dict[str, object]) -> None:
    settings = pipeline["settings"]
    assert isinstance(settings, Settings)
    for day in DAYS:
        landed = {
            f"{p.relative_to(settings.landing_root).as_posix()}"
            for p in settings.landing_root.glob(f"*/{day.isoformat()}/*")
            if p.is_file()
        }
        log = IngestionLog(settings.resolved_lakehouse_root).read(day).to_pylist()
        assert {row["source_file"] for row in log} == landed
        for row in log:
            if row["status"] == "quarantined_file":  # the whole file, kept with its reason
                copy = settings.resolved_lakehouse_root / QUARANTINE_FOLDER / row["source_file"]
                assert copy.exists() and copy.with_name(copy.name + ".reason.json").exists(), row
            else:
                accounted = row["rows_loaded"] + row["rows_rejected"] + row["rows_held"]
                assert row["rows_read"] == accounted, row


def test_every_library_reaches_bronze(pipeline: dict[str, object]) -> None:
    settings = pipeline["settings"]
    assert isinstance(settings, Settings)
    libraries = pipeline_summary(settings)["libraries"]
    std = cached_standard(settings.schemas_root)
    assert set(libraries) == {t.library for t in std.tables.values()}
    assert all(counts["rows"] > 0 for counts in libraries.values())


def test_marts_and_gold_tables_exist(pipeline: dict[str, object]) -> None:
    settings = pipeline["settings"]
    assert isinstance(settings, Settings)
    for layer, name in [
        ("gold", "dim_entities"),
        ("gold", "fct_complaints"),
        ("gold", "rpt_supervision_chain"),
        ("gold", "risk_warnings"),
        ("gold", "credit_risk_classes"),
        ("gold", "evaluation_scores"),
    ]:
        table = LakeTable(settings.table_path(layer, name))
        assert table.exists(), f"{layer}/{name} missing"
        assert table.count() > 0, f"{layer}/{name} is empty"


def test_export_batches_verify(pipeline: dict[str, object]) -> None:
    from jianguan.export.verify import verify_dir

    settings = pipeline["settings"]
    assert isinstance(settings, Settings)
    batches = sorted(p for p in settings.export_root.iterdir() if (p / "manifest.json").exists())
    assert len(batches) == len(DAYS)
    for batch in batches:
        problems = verify_dir(batch, cached_standard(settings.schemas_root))
        assert not problems, problems


def test_rerunning_an_ingest_dag_with_airflow_dags_test_changes_no_table_content(
    pipeline: dict[str, object],
) -> None:
    """The rerun of a day's ingest DAG, by the ``airflow dags test`` command itself: each file's batch is replaced
    by itself — every bronze and quarantine table holds exactly the rows it held (no duplicate, no loss)."""
    settings, env, root = pipeline["settings"], pipeline["env"], pipeline["root"]
    assert isinstance(settings, Settings) and isinstance(env, dict) and isinstance(root, Path)
    bronze = settings.resolved_lakehouse_root / "bronze"

    def content() -> dict[str, list[tuple[object, ...]]]:
        tables = [p for p in sorted(bronze.iterdir()) if (p / "_delta_log").is_dir()]
        return {
            p.name: sorted(
                zip(
                    *LakeTable(p).read(columns=["batch_id", "source_row_number"]).to_pydict().values(),
                    strict=True,
                )
            )
            for p in tables
        }

    before = content()
    returncode, output = airflow_dags_test(
        env, "ingest__hotline_12345", DAYS[0], root / "airflow_logs" / "rerun__ingest__hotline_12345.log"
    )
    assert returncode == 0 and "state=success" in output, output[-5000:]
    assert content() == before


@pytest.mark.parametrize("notebook", ["risk_warnings.ipynb", "evaluation.ipynb"])
def test_analyst_notebooks_run_on_the_built_lakehouse(
    pipeline: dict[str, object], notebook: str, monkeypatch: pytest.MonkeyPatch, spark: object
) -> None:
    """Every code cell of the notebook runs, in order, in one namespace (as a kernel would run them)."""
    settings = pipeline["settings"]
    assert isinstance(settings, Settings)
    monkeypatch.setenv("JIANGUAN_LAKEHOUSE_ROOT", str(settings.lakehouse_root))
    monkeypatch.setenv("JIANGUAN_LANDING_ROOT", str(settings.landing_root))
    monkeypatch.setenv("JIANGUAN_EXPORT_ROOT", str(settings.export_root))
    cells = json.loads((PROJECT_ROOT / "notebooks" / notebook).read_text(encoding="utf-8"))["cells"]
    namespace: dict[str, object] = {}
    ran = 0
    for cell in cells:
        if cell["cell_type"] == "code":
            exec(compile("".join(cell["source"]), f"{notebook}[{ran}]", "exec"), namespace)
            ran += 1
    assert ran >= 5


def test_airflow_ui_lists_the_dags_with_green_runs(pipeline: dict[str, object], tmp_path: Path) -> None:
    """``airflow standalone`` over the metadata DB of the runs above, looked at in headless Chromium: every
    nightly DAG is listed and its last run is green."""
    env = pipeline["env"]
    assert isinstance(env, dict)
    dom = standalone_dags_page(env, tmp_path)
    for dag_id in nightly_dag_ids():
        card = dag_card(dom, dag_id)
        assert 'data-testid="state-badge"' in card and 'aria-label="success"' in card, dag_id
