"""The nightly DAG chain through Airflow's own local runner, in one process.

``airflow dags test <dag> <date>`` runs one DAG run with ``DAG.test()``: a real DagRun and task instances in the
metadata database (SQLite here), tasks executed in process. Calling it once per DAG starts Python, Airflow, the
DAG bundle and a Spark JVM eleven times per day; :func:`run_chain` makes the same ``DAG.test()`` calls, DAG after
DAG and day after day, in one process — the runs, states and logs are the same, the start-up is paid once.
``make run`` and the end-to-end test use it (``jianguan dags-test``).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LocalRun:
    """One ``DAG.test()`` run: its DAG, business date, final state and wall time."""

    dag_id: str
    day: date
    state: str
    seconds: float
    run_id: str

    @property
    def succeeded(self) -> bool:
        return self.state == "success"

    def as_json(self) -> str:
        return json.dumps({**asdict(self), "day": self.day.isoformat()}, ensure_ascii=False)


def run_chain(dag_ids: Sequence[str], days: Sequence[date]) -> Iterator[LocalRun]:
    """Run each DAG for each day in order (all DAGs of a day before the next day); stop after a failed run.

    Needs the Airflow environment (``AIRFLOW_HOME`` with a migrated database, the DAGs folder) like the
    ``airflow`` command does.
    """
    from airflow._shared.timezones.timezone import parse  # what `airflow dags test` parses the date with
    from airflow.utils.cli import get_bagged_dag

    for day in days:
        for dag_id in dag_ids:
            started = time.monotonic()
            dag = get_bagged_dag(bundle_names=None, dag_id=dag_id)
            run = dag.test(logical_date=parse(day.isoformat()))
            state = str(getattr(run.state, "value", run.state)) if run is not None else "none"
            result = LocalRun(
                dag_id, day, state, round(time.monotonic() - started, 1), run.run_id if run else ""
            )
            log.info("%s %s: %s in %.1f s", dag_id, day, state, result.seconds)
            yield result
            if not result.succeeded:
                return


def write_results(runs: Iterator[LocalRun], results: Path | None) -> bool:
    """Print (and append to ``results``) one JSON line per run as it ends; True when every run succeeded."""
    ok = True
    for run in runs:
        line = run.as_json()
        print(line, flush=True)
        if results is not None:
            with results.open("a", encoding="utf-8") as handle:
                handle.write(line + "\n")
        ok = ok and run.succeeded
    return ok
