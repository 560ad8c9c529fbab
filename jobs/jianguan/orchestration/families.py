"""Which landing sources each ingest DAG takes care of (``ingest__<family>``).

Grouped by who delivers and when: department systems deliver overnight together; 12345 and 12315 are separate
platforms with their own SLAs; the national system's dispatches and receipts come through one channel.
"""

from __future__ import annotations

from collections.abc import Iterable

SOURCE_FAMILIES: dict[str, tuple[str, ...]] = {
    "catalog": ("catalog_system",),
    "departments": (
        "dept_samr",
        "dept_nmpa",
        "dept_health",
        "dept_ecology",
        "dept_transport",
        "dept_housing",
        "dept_emergency",
        "dept_civil_affairs",
        "officer_registry",
        "warning_platform",
    ),
    "hotline_12345": ("hotline_12345",),
    "platform_12315": ("platform_12315",),
    "national": ("national",),
    "credit": ("credit_center", "court"),
    "third_party": ("internet_platform", "opinion_monitor", "iot_platform", "utilities", "knowledge_base"),
}


def family_of(source: str) -> str:
    for family, sources in SOURCE_FAMILIES.items():
        if source in sources:
            return family
    raise KeyError(f"source {source!r} belongs to no ingest family (add it to SOURCE_FAMILIES)")


def unassigned(sources: Iterable[str]) -> list[str]:
    """Sources of the standard that no family ingests (a test keeps this empty)."""
    assigned = {s for group in SOURCE_FAMILIES.values() for s in group}
    return sorted(set(sources) - assigned)


DOWNSTREAM_DAGS: tuple[str, ...] = (
    "transform__marts",
    "score__risk",
    "evaluate__indices",
    "export__national",
)
"""The nightly DAGs after ingestion, in the order their Assets trigger them."""


def nightly_dag_ids() -> list[str]:
    """Every DAG of one night in a runnable order: one ingest DAG per family, then the downstream chain (what
    ``make run`` and the end-to-end test run with ``airflow dags test``, day by day)."""
    return [f"ingest__{family}" for family in SOURCE_FAMILIES] + list(DOWNSTREAM_DAGS)
