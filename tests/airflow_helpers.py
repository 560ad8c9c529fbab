"""Running the project's DAGs in a real Airflow (SQLite metadata DB) from tests: ``airflow db migrate``,
``airflow dags test``, and ``airflow standalone`` looked at in headless Chromium."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from datetime import date
from pathlib import Path

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


@dataclass(frozen=True)
class DagRun:
    dag_id: str
    day: date
    returncode: int
    output: str
    seconds: float

    @property
    def succeeded(self) -> bool:
        return self.returncode == 0 and "state=success" in self.output


def dags_test(env: dict[str, str], dag_id: str, day: date, log_dir: Path) -> DagRun:
    """``airflow dags test <dag> <day>``; the output is kept in ``log_dir`` for a failing test to point at."""
    started = time.monotonic()
    done = subprocess.run(
        [str(BIN / "airflow"), "dags", "test", dag_id, day.isoformat()],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    output = done.stdout + done.stderr
    log_dir.mkdir(parents=True, exist_ok=True)
    (log_dir / f"{day.isoformat()}__{dag_id}.log").write_text(output, encoding="utf-8")
    return DagRun(dag_id, day, done.returncode, output, time.monotonic() - started)


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
