"""Running the project's DAGs in a real Airflow (SQLite metadata DB) from tests: ``airflow db migrate``,
``DAG.test()`` runs (what ``airflow dags test`` does) of the whole chain, and ``airflow standalone`` looked at in
headless Chromium."""

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

from jianguan.orchestration.local_runs import LocalRun
from jianguan.settings import PROJECT_ROOT, Settings

DAGS = PROJECT_ROOT / "dags"
BIN = Path(sys.executable).parent


def airflow_env(home: Path, settings: Settings) -> dict[str, str]:
    """The environment of every ``airflow`` command: this project's DAGs and the test's lakehouse roots; Spark
    kept small (the test process holds a SparkSession too)."""
    return {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "JIANGUAN_LAKEHOUSE_ROOT": str(settings.lakehouse_root),
        "JIANGUAN_LANDING_ROOT": str(settings.landing_root),
        "JIANGUAN_EXPORT_ROOT": str(settings.export_root),
        "JIANGUAN_TRUTH_ROOT": str(settings.truth_root),
        "JIANGUAN_SPARK_MASTER": settings.spark_master,
        "JIANGUAN_SPARK_DRIVER_MEMORY": settings.spark_driver_memory,
        "JIANGUAN_SPARK_SHUFFLE_PARTITIONS": str(settings.spark_shuffle_partitions),
        "GX_ANALYTICS_ENABLED": "false",
    }


def migrate(env: dict[str, str]) -> None:
    done = subprocess.run(
        [str(BIN / "airflow"), "db", "migrate"], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]


def airflow_dags_test(env: dict[str, str], dag_id: str, day: date, log: Path) -> tuple[int, str]:
    """``airflow dags test <dag> <day>`` (the command itself); the exit code and output, also kept in ``log``."""
    done = subprocess.run(
        [str(BIN / "airflow"), "dags", "test", dag_id, day.isoformat()],
        env=env, capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    output = done.stdout + done.stderr
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(output, encoding="utf-8")
    return done.returncode, output


def chain_test(env: dict[str, str], days: list[date], log: Path) -> tuple[list[LocalRun], int]:
    """Every nightly DAG for each day through Airflow's local runner (``jianguan dags-test``: ``DAG.test()`` per
    DAG, one process); the runs and the exit code. The process's output is kept in ``log`` for a failing test."""
    log.parent.mkdir(parents=True, exist_ok=True)
    results = log.with_suffix(".jsonl")
    results.unlink(missing_ok=True)
    with log.open("w", encoding="utf-8") as output:
        done = subprocess.run(
            [str(BIN / "jianguan"), "dags-test", "--date", days[0].isoformat(), "--to", days[-1].isoformat(),
             "--results", str(results)],
            env=env, stdout=output, stderr=subprocess.STDOUT, timeout=3600,
        )  # fmt: skip
    runs = []
    if results.exists():
        for line in results.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            runs.append(
                LocalRun(
                    row["dag_id"], date.fromisoformat(row["day"]), row["state"], row["seconds"], row["run_id"]
                )
            )
    return runs, done.returncode


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def standalone_dags_page(env: dict[str, str], work_dir: Path) -> str:
    """Start ``airflow standalone`` (what ``make airflow`` starts), open its DAG list in headless Chromium and
    return the rendered DOM; the server is stopped either way."""
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is installed by `make test` (target browser)"
    port = _free_port()
    env = {**env, "AIRFLOW__API__PORT": str(port), "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True"}
    log = work_dir / "standalone.log"
    server = subprocess.Popen(
        [str(BIN / "airflow"), "standalone"],
        env=env,
        stdout=log.open("w"),
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
        assert healthy, log.read_text()[-3000:]
        return subprocess.run(
            [
                chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                f"--user-data-dir={work_dir / 'chromium'}", "--virtual-time-budget=20000", "--dump-dom",
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


def dag_card(dom: str, dag_id: str) -> str:
    """The part of the DAG list's DOM that shows ``dag_id``'s card."""
    card = dom[dom.index(f">{dag_id}<") :]
    marker = 'data-testid="dag-card"'
    return card[: card.index(marker)] if marker in card else card
