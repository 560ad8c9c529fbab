#!/usr/bin/env bash
# `make run`: the nightly pipeline end to end on embedded defaults (local Spark, ./lakehouse, ./landing,
# ./exports, Airflow on SQLite in ./airflow_home): simulate a province, then run the DAG chain day by day through
# Airflow (`DAG.test()`, as `airflow dags test` runs it), then print a summary. Every step is real and idempotent: rerunning it changes
# nothing (`make clean-data` starts from scratch).
set -euo pipefail
cd "$(dirname "$0")/.."
scale=${1:-small}; days=${2:-3}; start=${3:-2026-11-02}; seed=${4:-20261102}
bin=$PWD/.venv/bin
started=$(date +%s)

export AIRFLOW_HOME=${AIRFLOW_HOME:-$PWD/airflow_home}
export AIRFLOW__CORE__DAGS_FOLDER=$PWD/dags
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export GX_ANALYTICS_ENABLED=false
logs=$AIRFLOW_HOME/make_run_logs
mkdir -p "$logs"

step() { echo; echo "== $* ($(( $(date +%s) - started )) s)"; }

step "1. data standard: load and cross-check schemas/"
$bin/jianguan schemas check
$bin/jianguan schemas render --check

step "2. simulate the ${scale} province: ${days} day(s) from ${start} (seed ${seed})"
$bin/jianguan simulate --scale "$scale" --days "$days" --start "$start" --seed "$seed"

step "3. Airflow metadata database (SQLite in $AIRFLOW_HOME)"
$bin/airflow db migrate > "$logs/db_migrate.log" 2>&1 || { tail -30 "$logs/db_migrate.log"; exit 1; }

# one ingest DAG per source family, then marts → risk → evaluation → export (jianguan.orchestration.families),
# each a real DagRun through Airflow's local runner (DAG.test, what `airflow dags test` runs), one process per day
for (( i = 0; i < days; i++ )); do
  day=$(date -d "$start + $i day" +%F)
  step "4.$((i + 1)) nightly chain for $day"
  log="$logs/${day}__chain.log"
  results="$logs/${day}__chain.jsonl"
  rm -f "$results"
  if $bin/jianguan dags-test --date "$day" --results "$results" > "$log" 2>&1; then failed=0; else failed=1; fi
  [[ -f "$results" ]] && $bin/python - "$results" <<'PY'
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    run = json.loads(line)
    print(f"   {run['dag_id']:<24} {run['state']:<8} {run['seconds']:6.0f} s")
PY
  if (( failed )); then
    echo "   the chain stopped (log: $log)"
    grep -E "ERROR|Error|error" "$log" | tail -15
    exit 1
  fi
done

step "5. documentation sites: dbt docs (lakehouse/_dbt/target) and Great Expectations data docs (lakehouse/data_docs)"
$bin/jianguan marts docs > "$logs/dbt_docs.log" 2>&1 || { tail -30 "$logs/dbt_docs.log"; exit 1; }
tail -1 "$logs/dbt_docs.log"
$bin/jianguan lake data-docs

step "6. summary"
$bin/jianguan summary
$bin/jianguan tables > "$logs/tables.txt" && echo "table inventory: $logs/tables.txt"
echo
echo "== done in $(( $(date +%s) - started )) s; Airflow logs: $logs"
