"""The dbt layer: staging, intermediate and mart models built as Delta tables (see ``docs/marts.md``)."""

from jianguan.marts.dbt_run import DbtSummary, build_marts, run_dbt

__all__ = ["DbtSummary", "build_marts", "run_dbt"]
