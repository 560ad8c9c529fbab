"""Warnings (风险预警): one per entity and model while the risk is open, with level, evidence and a Chinese reason.

Deduplication against open warnings: when a model fires for an entity that already has an *open* warning of that
model, the open warning is carried forward (same ``warning_id``, ``first_raised_date`` kept, score/level/reason
refreshed, ``is_new`` false) instead of raising a second one. A warning closes when its clue is fed back
(反馈办结), or — for a warning below the clue level, which no department handles — when the model stops firing.
A model firing again after closure raises a new warning.

Warnings are few (a fraction of a percent of entities), so this runs in plain Python on the driver over the rows
of the day's firing scores and the previous snapshot; it is pure (no clock, no I/O) and unit-tested directly.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import date
from typing import Any

from jianguan.risk.config import ModelsConfig

LEVEL_NAMES = {"1": "低风险", "2": "中风险", "3": "较高风险", "4": "高风险"}
"""Labels of schemas/codes/risk_level.yaml (the job reads them from the standard; this is the fallback)."""


@dataclass(frozen=True)
class Candidate:
    """A model that fires as a warning for an entity today (one row of ``risk_scores`` with ``is_warning``)."""

    uscc: str
    model: str
    risk_score: float
    risk_level: str
    fired_rules: str
    entity_name: str | None = None
    region_code: str | None = None


@dataclass(frozen=True)
class Warning:
    warning_id: str
    model: str
    model_label_zh: str
    model_version: str
    uscc: str
    entity_name: str | None
    region_code: str | None
    department_code: str
    risk_score: float
    risk_level: str
    risk_level_name: str
    triggering_indicators: str
    reason_zh: str
    status: str
    """open | closed"""
    first_raised_date: date
    last_triggered_date: date
    is_new: bool
    closed_date: date | None = None
    clue_id: str | None = None

    def as_row(self) -> dict[str, Any]:
        return asdict(self)


def stable_id(prefix: str, *parts: object) -> str:
    """A short deterministic id: rerunning a date gives the same ids (idempotent writes)."""
    digest = hashlib.sha1("|".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:12].upper()
    return f"{prefix}{digest}"


def triggering_indicators(fired_rules: str) -> str:
    """The fired rules as the JSON list stored with the warning (indicator, value, op, threshold, weight)."""
    entries = json.loads(fired_rules) if fired_rules else []
    return json.dumps(
        [
            {k: e.get(k) for k in ("indicator", "value", "op", "threshold", "weight", "rule", "evidence")}
            for e in entries
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def reason_zh(
    candidate: Candidate, models: ModelsConfig, level_names: Mapping[str, str] = LEVEL_NAMES
) -> str:
    """``【模型】主体：理由；理由。风险分N（等级）。`` from the fired rules' Chinese templates."""
    spec = models.model(candidate.model)
    rules = {r.id: r for r in spec.rules}
    parts = []
    for entry in json.loads(candidate.fired_rules or "[]"):
        rule = rules.get(str(entry.get("rule")))
        if rule is not None:
            value = entry.get("value")
            parts.append(rule.reason(float(value) if value is not None else None))
    who = candidate.entity_name or candidate.uscc
    level = level_names.get(candidate.risk_level, candidate.risk_level)
    return f"【{spec.label_zh}】{who}：{'；'.join(parts)}。风险分{candidate.risk_score:.0f}（{level}）。"


def merge_warnings(
    open_before: Iterable[Warning],
    candidates: Iterable[Candidate],
    models: ModelsConfig,
    as_of: date,
    level_names: Mapping[str, str] = LEVEL_NAMES,
) -> list[Warning]:
    """The day's warnings before clue-driven closing: open warnings carried forward (refreshed when the model
    fires again), plus a new warning for each firing without an open one. Sorted by id (stable output)."""
    by_key: dict[tuple[str, str], Warning] = {}
    for warning in open_before:
        if warning.status == "open":
            by_key[(warning.model, warning.uscc)] = replace(warning, is_new=False)
    for candidate in candidates:
        key = (candidate.model, candidate.uscc)
        spec = models.model(candidate.model)
        refreshed: dict[str, Any] = {
            "risk_score": float(candidate.risk_score),
            "risk_level": candidate.risk_level,
            "risk_level_name": level_names.get(candidate.risk_level, candidate.risk_level),
            "triggering_indicators": triggering_indicators(candidate.fired_rules),
            "reason_zh": reason_zh(candidate, models, level_names),
            "last_triggered_date": as_of,
            "model_version": models.version,
        }
        existing = by_key.get(key)
        if existing is not None:
            by_key[key] = replace(
                existing,
                entity_name=candidate.entity_name or existing.entity_name,
                region_code=candidate.region_code or existing.region_code,
                **refreshed,
            )
            continue
        by_key[key] = Warning(
            warning_id=stable_id("YJ", candidate.model, candidate.uscc, as_of.isoformat()),
            model=candidate.model,
            model_label_zh=spec.label_zh,
            uscc=candidate.uscc,
            entity_name=candidate.entity_name,
            region_code=candidate.region_code,
            department_code=spec.department_code,
            status="open",
            first_raised_date=as_of,
            is_new=True,
            **refreshed,
        )
    return sorted(by_key.values(), key=lambda w: w.warning_id)


def close_warnings(warnings: Iterable[Warning], clue_status: Mapping[str, str], as_of: date) -> list[Warning]:
    """Close warnings whose clue is fed back, and clue-less warnings the model no longer fires for.

    ``clue_status`` maps warning id → status of its clue as of the day.
    """
    result = []
    for warning in warnings:
        status = clue_status.get(warning.warning_id)
        fed_back = status == "fed_back"
        lapsed = status is None and warning.last_triggered_date < as_of
        if warning.status == "open" and (fed_back or lapsed):
            warning = replace(warning, status="closed", closed_date=as_of)
        result.append(warning)
    return result
