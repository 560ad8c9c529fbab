"""Wiring between the package and Airflow: source families, Asset names, DAG builders, the in-process pipeline.

Only :mod:`jianguan.orchestration.dags` imports Airflow; everything else here is plain Python, tested without it.
"""
