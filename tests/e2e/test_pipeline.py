"""The nightly chain end to end over one simulated day of a tiny province: every one of the eight libraries
ingested, marts built, risk and evaluation computed, the export verified — through ``run_pipeline``, the code
the DAGs run."""

from __future__ import annotations

import json
from datetime import date

import pytest

from jianguan.lake import LakeTable
from jianguan.orchestration.pipeline import run_pipeline
from jianguan.orchestration.summary import pipeline_summary
from jianguan.settings import PROJECT_ROOT, Settings
from jianguan.spec.loader import cached_standard
from tests.sim_helpers import simulate_tiny

DAYS = [date(2026, 11, 2)]


@pytest.fixture(scope="module")
def pipeline(spark_settings: Settings, spark: object) -> dict[str, object]:
    settings = spark_settings
    simulate_tiny(
        settings.landing_root,
        settings.lakehouse_root.parent / "truth",
        start=DAYS[0],
        days=len(DAYS),
        seed=20261102,
    )
    results = {day: run_pipeline(settings, day) for day in DAYS}
    return {"settings": settings, "results": results}


def test_every_library_reaches_bronze(pipeline: dict[str, object]) -> None:
    settings = pipeline["settings"]
    assert isinstance(settings, Settings)
    libraries = pipeline_summary(settings)["libraries"]
    std = cached_standard(settings.schemas_root)
    assert set(libraries) == {t.library for t in std.tables.values()}
    assert all(counts["rows"] > 0 for counts in libraries.values())


def test_every_stage_ran_for_every_day(pipeline: dict[str, object]) -> None:
    results = pipeline["results"]
    assert isinstance(results, dict)
    for day in DAYS:
        assert list(results[day]) == ["ingest", "marts", "risk", "evaluation", "export"]
        ingest = results[day]["ingest"]
        assert ingest["rows_read"] == ingest["rows_loaded"] + ingest["rows_rejected"] + ingest["rows_held"]


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


@pytest.mark.parametrize("notebook", ["risk_warnings.ipynb", "evaluation.ipynb"])
def test_analyst_notebooks_run_on_the_built_lakehouse(
    pipeline: dict[str, object], notebook: str, monkeypatch: pytest.MonkeyPatch
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
