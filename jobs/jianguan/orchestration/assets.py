"""Asset URIs the DAGs produce and consume: named after the tables (and stages) they stand for."""

from __future__ import annotations

SCHEME = "lakehouse"


def table_asset_uri(layer: str, table: str) -> str:
    return f"{SCHEME}://{layer}/{table}"


def ingested_asset_uri(family: str) -> str:
    """Emitted once per run of ``ingest__<family>``: the family's files of the date are all accounted for."""
    return f"{SCHEME}://ops/ingested/{family}"


MARTS_ASSET_URI = f"{SCHEME}://gold/marts"
RISK_ASSET_URI = table_asset_uri("gold", "risk_warnings")
EVALUATION_ASSET_URI = table_asset_uri("gold", "evaluation_scores")
EXPORT_ASSET_URI = f"{SCHEME}://export/national"
