"""The Spark scoring expressions agree with the Python rule twin, and credit classes cover every entity."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from pyspark.sql import SparkSession

from jianguan.risk.config import load_config
from jianguan.risk.indicators import catalogue
from jianguan.risk.models import credit_classes, is_warning, model_max_scores, model_scores, score_rules

from .test_risk_models import CASES

pytestmark = pytest.mark.spark

CONFIG = load_config()
CODES = catalogue(CONFIG.models)


def test_model_scores_match_the_python_twin(spark: SparkSession) -> None:
    names = sorted(c for c in CODES if c != "model_max_score")
    entities = []
    for model, (evidence, corroboration) in sorted(CASES.items()):
        entities.append((f"{model}:evidence", evidence))
        entities.append((f"{model}:corroboration", corroboration))
    rows = [
        (key, *[float(v) if (v := values.get(c)) is not None else CODES[c].default for c in names])
        for key, values in entities
    ]
    frame = spark.createDataFrame(rows, "uscc string, " + ", ".join(f"{c} double" for c in names))
    got = {(r["uscc"], r["model"]): r for r in model_scores(frame, CONFIG.models).collect()}
    for key, values in entities:
        full = {c: (values.get(c, CODES[c].default)) for c in names}
        for spec in CONFIG.models.models:
            expected = score_rules(full, spec.rules)
            row = got.get((key, spec.id))
            if expected.score == 0:
                assert row is None
                continue
            assert row is not None, (key, spec.id)
            assert row["risk_score"] == expected.score
            assert row["is_warning"] == is_warning(expected, CONFIG.models.warn_score)
            assert row["risk_level"] == CONFIG.models.level_of(expected.score)
            assert [e["rule"] for e in json.loads(row["fired_rules"])] == [r.id for r in expected.fired]


def test_credit_classes_cover_registry_and_use_model_scores(spark: SparkSession) -> None:
    names = sorted(c for c in CODES if c != "model_max_score")
    wide = spark.createDataFrame(
        [
            (
                "X2",
                *[
                    (1.0 if c in ("listing_banned_drug_count", "abnormal_listed") else CODES[c].default)
                    for c in names
                ],
            )
        ],
        "uscc string, " + ", ".join(f"{c} double" for c in names),
    )
    scores = model_scores(wide, CONFIG.models)
    with_max = wide.join(model_max_scores(scores), on="uscc", how="left").fillna(
        0.0, subset=["model_max_score"]
    )
    registry = spark.createDataFrame(
        [("X1", "某甲有限公司", "420102"), ("X2", "某乙大药房有限公司", "420103")],
        "uscc string, entity_name string, region_code string",
    )
    rows = {
        r["uscc"]: r
        for r in credit_classes(
            with_max, registry, CONFIG.credit, {k: v.default for k, v in CODES.items()}, date(2026, 11, 10),
            datetime(2026, 11, 10, 20, tzinfo=UTC),
        ).collect()
    }  # fmt: skip
    assert rows["X1"]["risk_class"] == "A" and rows["X1"]["risk_score"] == 0.0
    # abnormal (20) + active model warning (25) = 45 → C
    assert rows["X2"]["risk_class"] == "C" and rows["X2"]["risk_score"] == 45.0
    assert rows["X2"]["model_version"] == CONFIG.credit.version
