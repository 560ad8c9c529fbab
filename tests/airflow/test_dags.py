"""DAG integrity (every file parses, is named after its file, imports nothing heavy) and a real Airflow run."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import date
from pathlib import Path

import pytest

from jianguan.ingest.ledger import IngestionLog
from jianguan.orchestration.families import SOURCE_FAMILIES, unassigned
from jianguan.settings import PROJECT_ROOT, Settings
from jianguan.spec.loader import load_standard
from tests.sim_helpers import simulate_tiny

DAGS = PROJECT_ROOT / "dags"
BIN = Path(sys.executable).parent


def _airflow_env(home: Path, settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "JIANGUAN_LAKEHOUSE_ROOT": str(settings.lakehouse_root),
        "JIANGUAN_LANDING_ROOT": str(settings.landing_root),
        "GX_ANALYTICS_ENABLED": "false",
    }


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
        "transform__marts",
        "score__risk",
        "evaluate__indices",
        "export__national",
        "maintain__lakehouse",
    }
    assert expected <= set(dags)
    for stem, info in dags.items():
        assert info["dag_id"] == stem
    assert dags["ingest__catalog"]["tasks"] == ["discover_files", "ingest_file", "publish"]


def test_parsing_dags_imports_nothing_heavy(parsed: dict[str, object]) -> None:
    assert parsed["heavy_modules"] == []


def test_every_landing_source_has_an_ingest_dag() -> None:
    std = load_standard(PROJECT_ROOT / "schemas")
    assert unassigned({feed.source for feed in std.feeds.values()}) == []


@pytest.fixture(scope="module")
def airflow_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """``airflow dags test`` of a real ingest DAG on a SQLite metadata DB over a tiny simulated landing zone."""
    tmp_path = tmp_path_factory.mktemp("airflow_run")
    settings = Settings(
        lakehouse_root=tmp_path / "lakehouse",
        landing_root=tmp_path / "landing",
        truth_root=tmp_path / "truth",
    )
    day = date(2026, 11, 2)
    simulate_tiny(settings.landing_root, settings.truth_root, start=day, days=1, seed=11)
    env = _airflow_env(tmp_path / "airflow", settings)
    airflow = str(BIN / "airflow")
    migrate = subprocess.run([airflow, "db", "migrate"], env=env, capture_output=True, text=True, timeout=600)
    assert migrate.returncode == 0, migrate.stderr[-3000:]
    run = subprocess.run(
        [airflow, "dags", "test", "ingest__catalog", day.isoformat()],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    return {"settings": settings, "day": day, "env": env, "run": run}


def test_ingest_dag_runs_in_airflow(airflow_run: dict[str, object]) -> None:
    run = airflow_run["run"]
    settings = airflow_run["settings"]
    day = airflow_run["day"]
    assert isinstance(run, subprocess.CompletedProcess) and isinstance(settings, Settings)
    assert isinstance(day, date)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-5000:]
    assert "state=success" in output
    landed = sorted((settings.landing_root / "catalog_system" / day.isoformat()).iterdir())
    log = IngestionLog(settings.resolved_lakehouse_root).read(day).to_pylist()
    assert {row["source_file"] for row in log} == {
        f"catalog_system/{day.isoformat()}/{p.name}" for p in landed
    }
    assert all(
        row["rows_read"] == row["rows_loaded"] + row["rows_rejected"] + row["rows_held"] for row in log
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_airflow_ui_lists_the_dags_with_green_runs(airflow_run: dict[str, object], tmp_path: Path) -> None:
    """``airflow standalone`` (what ``make airflow`` starts), looked at in headless Chromium."""
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is installed by `make test` (target browser)"
    env = dict(airflow_run["env"])  # type: ignore[call-overload]
    port = _free_port()
    env.update(
        {
            "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
        }
    )
    server = subprocess.Popen(
        [str(BIN / "airflow"), "standalone"],
        env=env,
        stdout=(tmp_path / "standalone.log").open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 600
        healthy = False
        while time.monotonic() < deadline and not healthy:
            time.sleep(5)
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/monitor/health", timeout=5) as r:
                    healthy = r.status == 200
            except OSError:
                continue
        assert healthy, (tmp_path / "standalone.log").read_text()[-3000:]
        dom = subprocess.run(
            [
                chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                f"--user-data-dir={tmp_path / 'chromium'}", "--virtual-time-budget=20000", "--dump-dom",
                f"http://127.0.0.1:{port}/dags",
            ],
            capture_output=True, text=True, timeout=300,
        ).stdout  # fmt: skip
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
    for family in SOURCE_FAMILIES:
        assert f"ingest__{family}" in dom
    for dag_id in ("transform__marts", "score__risk", "evaluate__indices", "export__national"):
        assert dag_id in dom
    card = dom[dom.index(">ingest__catalog<") :]
    card = card[: card.index('data-testid="dag-card"')] if 'data-testid="dag-card"' in card else card
    assert 'data-testid="state-badge"' in card and 'aria-label="success"' in card
