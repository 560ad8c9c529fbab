"""Scoring: normalisation, the weighted composite, rankings, change — against sums worked out in Python."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import yaml

from jianguan.evaluation.config import EvaluationConfig, IndicatorSpec, load_config
from jianguan.evaluation.scoring import score
from jianguan.settings import PROJECT_ROOT

pytestmark = pytest.mark.spark

PACKAGED = PROJECT_ROOT / "jobs" / "jianguan" / "evaluation" / "config" / "indicators.yaml"
VALUES = "period_type string, period_key string, indicator_id string, department_code string, " \
    "region_level string, region_code string, numerator double, denominator double, value double"  # fmt: skip


def reference_score(spec: IndicatorSpec, value: float, peers: list[float]) -> float:
    """The normalisation written out independently of the Spark code."""
    higher = spec.direction == "higher_better"
    if spec.normalisation == "ratio":
        raw = 100 * value if higher else 100 * (1 - value)
    elif spec.normalisation == "target":
        assert spec.best is not None and spec.worst is not None
        raw = 100 * (value - spec.worst) / (spec.best - spec.worst)
    else:
        low, high = min(peers), max(peers)
        raw = 100.0 if high == low else 100 * ((value - low) if higher else (high - value)) / (high - low)
    return min(max(raw, 0.0), 100.0)


def value_rows(config: EvaluationConfig, units: dict[str, dict[str, float | None]]) -> list[tuple[Any, ...]]:
    """Month 2026-11, city level, all departments: ``units[region][indicator] = value``."""
    rows = []
    for region, by_indicator in units.items():
        for indicator, value in by_indicator.items():
            rows.append(("month", "2026-11", indicator, "ALL", "prefecture", region, value, 1.0, value))
    return rows


def run_scoring(
    spark: Any, config: EvaluationConfig, rows: list[tuple[Any, ...]]
) -> tuple[list[Any], dict[str, Any]]:
    values = spark.createDataFrame(rows, VALUES)
    scored, scores = score(values, config, {("month", "2026-11"): "2026-10"}, spark)
    by_region = {r.region_code: r for r in scores.where(scores.index_code == "supervision").collect()}
    return scored.collect(), by_region


def test_composite_is_the_weighted_sum_of_normalised_scores(spark: Any) -> None:
    config = load_config()
    supervision = [i for i in config.indicators if i.index == "supervision"]
    # two cities with different values for every supervision indicator; one indicator missing in the second
    units: dict[str, dict[str, float | None]] = {
        "420100": {i.id: 0.2 + 0.03 * n for n, i in enumerate(supervision)},
        "420200": {i.id: 0.9 - 0.04 * n for n, i in enumerate(supervision)},
    }
    units["420200"][supervision[0].id] = None
    scored, by_region = run_scoring(spark, config, value_rows(config, units))
    stored = {(r.region_code, r.indicator_id): r.normalised_score for r in scored}
    for region, by_indicator in units.items():
        weighted, weights = 0.0, 0.0
        for spec in supervision:
            value = by_indicator[spec.id]
            if value is None:
                assert stored[(region, spec.id)] is None
                continue
            expected = reference_score(spec, value, [])
            assert math.isclose(stored[(region, spec.id)], expected, abs_tol=1e-9), spec.id
            weighted += spec.weight * expected
            weights += spec.weight
        row = by_region[region]
        assert math.isclose(row.composite_score, weighted / weights, abs_tol=1e-9)
        assert math.isclose(row.weight_coverage, weights, abs_tol=1e-9)
    assert by_region["420200"].indicator_count == len(supervision) - 1
    assert math.isclose(by_region["420100"].weight_coverage, 1.0, abs_tol=1e-9)


def test_minmax_and_target_normalisation(spark: Any, tmp_path: Path) -> None:
    data = yaml.safe_load(PACKAGED.read_text(encoding="utf-8"))
    for indicator in data["indicators"]:
        if indicator["id"] == "complaint_return_rate":
            indicator["normalisation"] = "minmax"
    config = load_config(_write(tmp_path, data))
    spec = config.indicator("complaint_return_rate")
    returns = {"420100": 0.1, "420200": 0.4, "420300": 0.2}
    burden = config.indicator("inspections_per_inspected_enterprise")
    rows = [("month", "2026-11", spec.id, "ALL", "prefecture", r, v, 1.0, v) for r, v in returns.items()]
    rows.append(("month", "2026-11", burden.id, "ALL", "prefecture", "420100", 2.0, 1.0, 2.0))
    scored, _ = run_scoring(spark, config, rows)
    stored = {(r.region_code, r.indicator_id): r.normalised_score for r in scored}
    assert stored[("420100", spec.id)] == 100.0  # fewest returns: best
    assert stored[("420200", spec.id)] == 0.0
    assert math.isclose(stored[("420300", spec.id)], reference_score(spec, 0.2, list(returns.values())))
    assert math.isclose(stored[("420100", spec.id)], reference_score(spec, 0.1, list(returns.values())))
    # target: best 1 inspection per enterprise, worst 3 → 2 inspections score 50
    assert math.isclose(stored[("420100", burden.id)], 50.0)


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "indicators.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_changing_yaml_weights_changes_the_ranking(spark: Any, tmp_path: Path) -> None:
    # 武汉 reports on time but publishes penalties late; 黄石 the reverse
    units: dict[str, dict[str, float | None]] = {
        "420100": {"reporting_timeliness_rate": 0.95, "penalty_publication_rate": 0.40},
        "420200": {"reporting_timeliness_rate": 0.50, "penalty_publication_rate": 0.90},
    }
    data = yaml.safe_load(PACKAGED.read_text(encoding="utf-8"))
    data["min_weight_coverage"] = 0.0

    def ranking(timeliness: float, publication: float) -> list[str]:
        for indicator in data["indicators"]:
            if indicator["id"] == "reporting_timeliness_rate":
                indicator["weight"] = timeliness
            elif indicator["id"] == "penalty_publication_rate":
                indicator["weight"] = publication
        config = load_config(_write(tmp_path, data))
        _, by_region = run_scoring(spark, config, value_rows(config, units))
        return sorted(by_region, key=lambda region: by_region[region].rank_among_regions)

    # the two weights sum to 0.14 in the packaged file; moving weight between them keeps the index at 1
    assert ranking(0.12, 0.02) == ["420100", "420200"]
    assert ranking(0.02, 0.12) == ["420200", "420100"]


def test_ranks_coverage_threshold_and_change(spark: Any) -> None:
    config = load_config()
    everything = {i.id: 0.8 for i in config.indicators if i.index == "supervision"}
    rows = value_rows(config, {"420100": everything, "420200": {k: 0.6 for k in everything}})
    # a third city with a single indicator: below min_weight_coverage, so not ranked
    rows += value_rows(config, {"420300": {"catalogue_claim_rate": 1.0}})
    # the previous month: 黄石 was ahead
    rows += [("month", "2026-10", *r[2:6], 0.9 if r[5] == "420200" else 0.5, 1.0, 0.9 if r[5] == "420200" else 0.5)
             for r in value_rows(config, {"420100": everything, "420200": everything})]  # fmt: skip
    _, by_region = run_scoring(spark, config, rows)
    assert by_region["420100"].rank_among_regions == 1
    assert by_region["420200"].rank_among_regions == 2
    assert by_region["420100"].peers_among_regions == 2
    assert by_region["420300"].rank_among_regions is None
    assert by_region["420300"].composite_score == 100.0
    assert by_region["420100"].previous_rank_among_regions == 2
    assert by_region["420100"].rank_change_among_regions == 1
    supervision = [i for i in config.indicators if i.index == "supervision"]

    def uniform(value: float) -> float:
        return sum(i.weight * reference_score(i, value, []) for i in supervision)

    assert math.isclose(by_region["420100"].composite_score, uniform(0.8), abs_tol=1e-9)
    assert math.isclose(by_region["420100"].composite_change, uniform(0.8) - uniform(0.5), abs_tol=1e-9)
    assert by_region["420100"].previous_period_key == "2026-10"
