"""Airflow DAG: Ingest the hotline_12345 sources' landed files into bronze (see jianguan.orchestration.dags.ingest_dag)."""

from jianguan.orchestration.dags import ingest_dag

dag = ingest_dag("hotline_12345")
