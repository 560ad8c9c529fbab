"""Airflow DAG: Supervision-effectiveness evaluation indices (see jianguan.orchestration.dags.evaluation_dag)."""

from jianguan.orchestration.dags import evaluation_dag

dag = evaluation_dag()
