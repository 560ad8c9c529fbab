"""Airflow DAG: Nightly national-standard export (see jianguan.orchestration.dags.export_dag)."""

from jianguan.orchestration.dags import export_dag

dag = export_dag()
