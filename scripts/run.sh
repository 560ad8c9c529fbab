#!/usr/bin/env bash
# `make run`: the nightly pipeline end to end on embedded defaults (local Spark, ./lakehouse, ./landing,
# ./exports, Airflow on SQLite in ./airflow_home): simulate a province, then run the DAG chain day by day through
# Airflow (`airflow dags test`), then print a summary. Every step is real and idempotent: rerunning it changes
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

# one ingest DAG per source family, then marts → risk → evaluation → export (jianguan.orchestration.families)
mapfile -t dags < <($bin/python -c 'from jianguan.orchestration.families import nightly_dag_ids as n; print(*n(), sep="\n")')
(( ${#dags[@]} > 0 )) || { echo "could not list the nightly DAGs (jianguan.orchestration.families)"; exit 1; }
for (( i = 0; i < days; i++ )); do
  day=$(date -d "$start + $i day" +%F)
  step "4.$((i + 1)) nightly chain for $day"
  for dag in "${dags[@]}"; do
    t0=$(date +%s)
    log="$logs/${day}__${dag}.log"
    if $bin/airflow dags test "$dag" "$day" > "$log" 2>&1 && grep -q "state=success" "$log"; then
      printf '   %-24s success  %4d s\n' "$dag" $(( $(date +%s) - t0 ))
    else
      printf '   %-24s FAILED   %4d s (log: %s)\n' "$dag" $(( $(date +%s) - t0 )) "$log"
      grep -E "ERROR|Error|error" "$log" | tail -15
      exit 1
    fi
  done
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
