"""Renderings of ``schemas/``: Arrow and Spark schemas, row rules, GE suites, dbt sources."""
