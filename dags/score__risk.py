"""Airflow DAG: Risk scores, warnings and clues on fresh marts (see jianguan.orchestration.dags.risk_dag)."""

from jianguan.orchestration.dags import risk_dag

dag = risk_dag()
