"""Airflow DAG: dbt build of the marts once every ingest family has run (see jianguan.orchestration.dags.transform_dag)."""

from jianguan.orchestration.dags import transform_dag

dag = transform_dag()
