"""Airflow DAG: Weekly lakehouse maintenance: OPTIMIZE, checkpoints, VACUUM (see jianguan.orchestration.dags)."""

from jianguan.orchestration.dags import maintenance_dag

dag = maintenance_dag()
