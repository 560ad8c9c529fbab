"""Run in a fresh interpreter by test_dags.py: import every DAG file and report what parsing cost."""

from __future__ import annotations

import importlib.util
import json
import sys
import time
from pathlib import Path

HEAVY = ("pyspark", "pandas", "pyarrow", "great_expectations", "dbt", "deltalake")


def main(dags_folder: Path) -> None:
    report = {}
    for path in sorted(dags_folder.glob("*.py")):
        started = time.monotonic()
        spec = importlib.util.spec_from_file_location(f"dagfile_{path.stem}", path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        dag = module.dag
        seconds = round(time.monotonic() - started, 3)
        dag.check_cycle()  # raises AirflowDagCycleException on a cycle
        report[path.stem] = {
            "dag_id": dag.dag_id,
            "tasks": sorted(dag.task_ids),
            "tags": sorted(dag.tags),
            "owners": sorted({task.owner for task in dag.tasks}),
            "retries": sorted({task.retries for task in dag.tasks}),
            "failure_callbacks": all(task.on_failure_callback for task in dag.tasks),
            "seconds": seconds,
        }
    heavy = sorted({name.split(".")[0] for name in sys.modules} & set(HEAVY))
    print(json.dumps({"dags": report, "heavy_modules": heavy}))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
