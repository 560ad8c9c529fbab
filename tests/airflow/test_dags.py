"""DAG integrity: every file parses, is named after its file and imports nothing heavy. The real Airflow runs
(every nightly DAG, then the UI in a browser) are in ``tests/e2e/test_pipeline.py``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from jianguan.orchestration.families import SOURCE_FAMILIES, nightly_dag_ids, unassigned
from jianguan.settings import PROJECT_ROOT
from jianguan.spec.loader import load_standard
from tests.airflow_helpers import DAGS


@pytest.fixture(scope="module")
def parsed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    home = tmp_path_factory.mktemp("airflow_parse")
    env = {**os.environ, "AIRFLOW_HOME": str(home), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
    probe = Path(__file__).with_name("dag_integrity_probe.py")
    done = subprocess.run(
        [sys.executable, str(probe), str(DAGS)], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_every_dag_file_parses_and_is_named_after_its_file(parsed: dict[str, object]) -> None:
    dags = parsed["dags"]
    assert isinstance(dags, dict)
    expected = {f"ingest__{family}" for family in SOURCE_FAMILIES} | {
        *nightly_dag_ids(),
        "maintain__lakehouse",
    }
    assert expected <= set(dags)
    for stem, info in dags.items():
        assert info["dag_id"] == stem
    assert dags["ingest__catalog"]["tasks"] == ["discover_files", "ingest_file", "publish"]


def test_every_dag_has_an_owner_retries_tags_and_failure_alerts(parsed: dict[str, object]) -> None:
    """Cycles are checked by the probe (``dag.check_cycle()`` raises); parse times are reported, not asserted."""
    dags = parsed["dags"]
    assert isinstance(dags, dict)
    for stem, info in dags.items():
        assert info["owners"] == ["data-platform"], stem
        assert info["retries"] and min(info["retries"]) >= 1, stem
        assert info["tags"], stem
        assert info["failure_callbacks"], stem


def test_parsing_dags_imports_nothing_heavy(parsed: dict[str, object]) -> None:
    assert parsed["heavy_modules"] == []


def test_every_landing_source_has_an_ingest_dag() -> None:
    std = load_standard(PROJECT_ROOT / "schemas")
    assert unassigned({feed.source for feed in std.feeds.values()}) == []


def test_logical_day_is_a_plain_date_in_shanghai() -> None:
    """Spark refuses pendulum's Date subclass in createDataFrame: the jobs must get a datetime.date."""
    import pendulum

    from jianguan.orchestration.dags import logical_day

    day = logical_day({"logical_date": pendulum.datetime(2026, 11, 1, 16, 30, tz="UTC")})
    assert day == date(2026, 11, 2) and type(day) is date
