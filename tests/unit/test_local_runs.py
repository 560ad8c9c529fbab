"""The one-process DAG chain runner's bookkeeping (the Airflow runs themselves are in tests/e2e)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from jianguan.orchestration.local_runs import LocalRun, write_results


def test_results_are_json_lines_and_a_failed_run_fails_the_chain(tmp_path: Path, capsys) -> None:
    runs = [
        LocalRun("ingest__catalog", date(2026, 11, 2), "success", 12.5, "manual__2026-11-02"),
        LocalRun("transform__marts", date(2026, 11, 2), "failed", 80.0, "manual__2026-11-02"),
    ]
    results = tmp_path / "chain.jsonl"
    assert write_results(iter(runs), results) is False
    lines = results.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [
        {"dag_id": "ingest__catalog", "day": "2026-11-02", "state": "success", "seconds": 12.5,
         "run_id": "manual__2026-11-02"},
        {"dag_id": "transform__marts", "day": "2026-11-02", "state": "failed", "seconds": 80.0,
         "run_id": "manual__2026-11-02"},
    ]  # fmt: skip
    assert capsys.readouterr().out.splitlines() == lines  # printed as each run ends


def test_an_all_green_chain_succeeds(tmp_path: Path) -> None:
    run = LocalRun("score__risk", date(2026, 11, 3), "success", 1.0, "r")
    assert run.succeeded and write_results(iter([run]), None) is True
