"""What ``make run`` prints at the end: rows per library, rejects, top warnings, evaluation ranking, exports.

Reads the lakehouse with delta-rs only (no Spark): it must be quick, and work on a partially built lakehouse —
a stage that has not run yet is reported as missing, never as zero.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from jianguan.lake.tables import LakeTable
from jianguan.settings import Settings
from jianguan.spec.loader import cached_standard

TOP = 5


def _read(path: Path, columns: list[str] | None = None) -> list[dict[str, Any]] | None:
    table = LakeTable(path)
    if not table.exists():
        return None
    data = table.read()
    if columns is not None:
        data = data.select([c for c in columns if c in data.column_names])
    rows: list[dict[str, Any]] = data.to_pylist()
    return rows


def library_rows(settings: Settings) -> dict[str, dict[str, int]]:
    std = cached_standard(settings.schemas_root)
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"tables": 0, "rows": 0, "rejected": 0})
    for table in std.tables.values():
        for name, key in ((table.name, "rows"), (table.name + "__rejected", "rejected")):
            lake = LakeTable(settings.table_path("bronze", name))
            if lake.exists():
                counts[table.library][key] += lake.count()
                if key == "rows":
                    counts[table.library]["tables"] += 1
    return dict(counts)


def ingestion_totals(settings: Settings) -> dict[str, int] | None:
    rows = _read(settings.table_path("ops", "ingestion_log"))
    if rows is None:
        return None
    totals: dict[str, int] = defaultdict(int)
    for row in rows:
        totals["files"] += 1
        totals[f"files_{row['status']}"] += 1
        for key in ("rows_read", "rows_loaded", "rows_rejected", "rows_held"):
            totals[key] += int(row[key] or 0)
    return dict(totals)


def _latest(rows: list[dict[str, Any]], column: str) -> list[dict[str, Any]]:
    if not rows:
        return rows
    last = max(r[column] for r in rows if r.get(column) is not None)
    return [r for r in rows if r.get(column) == last]


def top_warnings(settings: Settings) -> list[dict[str, Any]] | None:
    """The highest-scored warnings open on the latest date the risk job ran for."""
    rows = _read(settings.table_path("gold", "risk_warnings"))
    if rows is None:
        return None
    current = [r for r in _latest(rows, "as_of_date") if r.get("status") != "closed"]
    current.sort(key=lambda r: float(r.get("risk_score") or 0), reverse=True)
    keep = ("model_label_zh", "risk_level_name", "risk_score", "entity_name", "region_code", "reason_zh")
    return [{k: r.get(k) for k in keep} for r in current[:TOP]]


def evaluation_ranking(settings: Settings) -> dict[str, list[dict[str, Any]]] | None:
    """Prefectures ranked by the composite index (all departments) for the latest month evaluated."""
    rows = _read(settings.table_path("gold", "evaluation_scores"))
    if rows is None:
        return None
    rows = [
        r
        for r in _latest(rows, "logical_date")
        if r.get("period_type") == "month"
        and r.get("department_code") == "ALL"
        and r.get("region_level") == "prefecture"
    ]
    if not rows:
        return {}
    index = sorted({r["index_code"] for r in rows})[0]
    latest = max(r["period_key"] for r in rows)
    ranked = sorted(
        (
            r
            for r in rows
            if r["index_code"] == index and r["period_key"] == latest and r.get("composite_score") is not None
        ),
        key=lambda r: float(r["composite_score"]),
        reverse=True,
    )
    keep = (
        "index_name_zh",
        "period_key",
        "region_name_zh",
        "composite_score",
        "rank_among_regions",
        "composite_change",
    )
    return top_and_bottom([{k: r.get(k) for k in keep} for r in ranked], TOP)


def top_and_bottom(ranked: list[dict[str, Any]], n: int) -> dict[str, list[dict[str, Any]]]:
    """The first ``n`` and the last ``n`` of a best-first ranking; a row is never in both (few regions)."""
    return {"top": ranked[:n], "bottom": ranked[max(n, len(ranked) - n) :]}


def export_batches(settings: Settings) -> list[dict[str, Any]]:
    root = settings.export_root.expanduser().resolve()
    batches = []
    for manifest in sorted(root.glob("*/manifest.json")):
        data = json.loads(manifest.read_text(encoding="utf-8"))
        datasets = data.get("datasets", [])
        records = sum(int(d.get("record_count", d.get("records", 0)) or 0) for d in datasets)
        batches.append(
            {
                "dir": str(manifest.parent),
                "batch": data.get("batch") or data.get("cd_batch"),
                "records": records,
            }
        )
    return batches


def pipeline_summary(settings: Settings) -> dict[str, Any]:
    lakehouse = settings.resolved_lakehouse_root
    return {
        "libraries": library_rows(settings),
        "ingestion": ingestion_totals(settings),
        "top_warnings": top_warnings(settings),
        "evaluation": evaluation_ranking(settings),
        "exports": export_batches(settings),
        "reports": sorted(str(p) for p in (lakehouse / "reports").rglob("*.html"))[-5:],
        "data_docs": sorted(str(p) for p in (lakehouse / "data_docs").rglob("index.html"))[:1],
        "dbt_docs": [str(p) for p in [lakehouse / "_dbt" / "target" / "index.html"] if p.exists()],
    }


def render_text(summary: dict[str, Any]) -> str:
    lines = ["== rows per library (bronze) =="]
    for library, c in sorted(summary["libraries"].items()):
        lines.append(
            f"  {library:<12} tables={c['tables']:>3} rows={c['rows']:>9,} rejected={c['rejected']:>7,}"
        )
    ingestion = summary["ingestion"]
    lines.append("== ingestion ==")
    lines.append(f"  {json.dumps(ingestion, ensure_ascii=False)}" if ingestion else "  (not run)")
    lines.append("== top risk warnings ==")
    if summary["top_warnings"] is None:
        lines.append("  (risk job not run)")
    for w in summary["top_warnings"] or []:
        lines.append("  " + json.dumps(w, ensure_ascii=False, default=str))
    lines.append("== evaluation ranking (latest period) ==")
    evaluation = summary["evaluation"]
    if evaluation is None:
        lines.append("  (evaluation job not run)")
    else:
        for part in ("top", "bottom"):
            lines.append(f"  {part}:")
            for row in evaluation.get(part, []):
                lines.append("    " + json.dumps(row, ensure_ascii=False, default=str))
    lines.append("== export batches ==")
    for batch in summary["exports"] or [{"dir": "(none yet)"}]:
        lines.append("  " + json.dumps(batch, ensure_ascii=False))
    lines.append("== reports, data docs (Great Expectations) and dbt docs ==")
    for path in summary["reports"] + summary["data_docs"] + summary.get("dbt_docs", []):
        lines.append(f"  {path}")
    return "\n".join(lines)
