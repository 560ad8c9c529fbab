"""The five Hubei risk models and the enterprise credit-risk classification, as explainable weighted rules.

A model (``config/models.yaml``) is a list of rules ``indicator op threshold → weight``. An entity's model score
is the sum of the weights of the rules that fire, capped at 100; its level is the first configured level whose
minimum the score reaches; it is a *warning* when the score reaches ``warn_score`` and at least one evidence rule
fired. Every score row carries the fired rules (indicator, value, threshold, weight) as JSON, so a warning is
explained by the data that raised it — no hidden model.

The credit classification (``config/credit.yaml``) uses the same rule mechanism over the indicators plus the
highest model score, and maps the 0–100 score to A (low risk) … D (high risk).

Each scoring function has a Python twin (:func:`score_rules`) over a plain mapping of indicator values; tests
check that both agree.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import reduce

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from jianguan.risk.config import CreditConfig, ModelsConfig, ModelSpec, Rule

MAX_SCORE = 100.0


@dataclass(frozen=True)
class Scored:
    """The Python twin's result for one entity and rule set."""

    score: float
    fired: tuple[Rule, ...]

    @property
    def has_evidence(self) -> bool:
        return any(r.evidence for r in self.fired)


def score_rules(values: Mapping[str, float | None], rules: Sequence[Rule]) -> Scored:
    """Score one entity: the fired rules (in configuration order) and the capped sum of their weights."""
    fired = tuple(r for r in rules if r.fires(values.get(r.indicator)))
    return Scored(min(MAX_SCORE, sum(r.weight for r in fired)), fired)


def is_warning(scored: Scored, warn_score: float) -> bool:
    return scored.score >= warn_score and scored.has_evidence


def condition(rule: Rule) -> Column:
    """The rule as a Spark condition; a null indicator value never fires (like :meth:`Rule.fires`)."""
    value = F.col(rule.indicator)
    threshold = F.lit(rule.threshold)
    compare = {
        ">=": value >= threshold,
        ">": value > threshold,
        "<=": value <= threshold,
        "<": value < threshold,
        "==": value == threshold,
        "!=": value != threshold,
    }[rule.op]
    return F.coalesce(compare, F.lit(False))


def _score(rules: Sequence[Rule]) -> Column:
    total = reduce(
        lambda a, b: a + b, [F.when(condition(r), F.lit(r.weight)).otherwise(F.lit(0.0)) for r in rules]
    )
    return F.least(total, F.lit(MAX_SCORE))


def _fired_json(rules: Sequence[Rule]) -> Column:
    entries = [
        F.when(
            condition(r),
            F.struct(
                F.lit(r.id).alias("rule"), F.lit(r.indicator).alias("indicator"), F.col(r.indicator).alias("value"),
                F.lit(r.op).alias("op"), F.lit(r.threshold).alias("threshold"), F.lit(r.weight).alias("weight"),
                F.lit(r.evidence).alias("evidence"),
            ),
        )
        for r in rules
    ]  # fmt: skip
    return F.to_json(F.filter(F.array(*entries), lambda e: e.isNotNull()))


def _level(score: Column, cutoffs: Sequence[tuple[str, float]]) -> Column:
    expression: Column | None = None
    for label, minimum in cutoffs:
        expression = (
            F.when(score >= minimum, F.lit(label))
            if expression is None
            else expression.when(score >= minimum, F.lit(label))
        )
    assert expression is not None
    return expression


def model_scores(wide: DataFrame, models: ModelsConfig) -> DataFrame:
    """``uscc, model, model_label_zh, risk_score, risk_level, is_warning, fired_rules`` for every entity with a
    non-zero score in some model (entities absent from the result score 0 in every model)."""
    levels = [(lv.level, lv.min_score) for lv in models.levels]

    def one(model: ModelSpec) -> DataFrame:
        score = _score(model.rules)
        evidence = reduce(lambda a, b: a | b, [condition(r) for r in model.rules if r.evidence])
        return (
            wide.select(
                "uscc",
                F.lit(model.id).alias("model"),
                F.lit(model.label_zh).alias("model_label_zh"),
                score.alias("risk_score"),
                (score >= models.warn_score) & evidence,
                _fired_json(model.rules).alias("fired_rules"),
            )
            .toDF("uscc", "model", "model_label_zh", "risk_score", "is_warning", "fired_rules")
            .where(F.col("risk_score") > 0)
            .withColumn("risk_level", _level(F.col("risk_score"), levels))
        )

    return reduce(DataFrame.unionByName, [one(m) for m in models.models])


def model_max_scores(scores: DataFrame) -> DataFrame:
    """``uscc, model_max_score``: the derived indicator the credit classification uses."""
    return scores.groupBy("uscc").agg(F.max("risk_score").alias("model_max_score"))


def credit_classes(
    wide: DataFrame,
    registry: DataFrame,
    credit: CreditConfig,
    defaults: Mapping[str, float | None],
    as_of: date,
    computed_at: datetime,
) -> DataFrame:
    """One row per entity (the registry, plus codes seen only in other libraries): the credit-risk score, class
    A–D and the fired rules; columns as the ``credit_risk_classes`` contract."""
    cutoffs = [(c.risk_class, c.min_score) for c in credit.classes]
    entities = registry.select("uscc", "entity_name", "region_code").join(wide, on="uscc", how="full_outer")
    # entities only in the registry have no indicator row: their counts take the default 0, "latest value"
    # indicators (default None) stay null and their rules do not fire
    zero = sorted({r.indicator for r in credit.rules if defaults.get(r.indicator) == 0.0})
    filled = entities.fillna(0.0, subset=zero)
    score = _score(credit.rules)
    return filled.select(
        "uscc",
        "entity_name",
        "region_code",
        _level(score, cutoffs).alias("risk_class"),
        score.cast("double").alias("risk_score"),
        _fired_json(credit.rules).alias("fired_rules"),
        F.lit(credit.version).alias("model_version"),
        F.lit(as_of).alias("as_of_date"),
        F.lit(computed_at).cast("timestamp").alias("computed_at"),
    )


def fired_from_json(text: str | None) -> list[dict[str, object]]:
    """The fired-rule list of a score row (JSON written by :func:`_fired_json`)."""
    return list(json.loads(text)) if text else []
