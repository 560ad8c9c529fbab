"""Airflow DAG: Ingest the platform_12315 sources' landed files into bronze (see jianguan.orchestration.dags.ingest_dag)."""

from jianguan.orchestration.dags import ingest_dag

dag = ingest_dag("platform_12315")
