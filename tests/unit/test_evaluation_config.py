"""The evaluation configuration, periods, working days, region tree and the HTML rendering (no JVM)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from jianguan.errors import ConfigError
from jianguan.evaluation.config import load_config
from jianguan.evaluation.periods import current_periods, evaluation_periods, period_containing, previous
from jianguan.evaluation.regions import ancestor_rows, region_nodes
from jianguan.evaluation.report import ReportData, bar_chart, render
from jianguan.evaluation.workdays import workday_sequence, working_days_between
from jianguan.settings import PROJECT_ROOT
from jianguan.spec.loader import cached_standard

PACKAGED = PROJECT_ROOT / "jobs" / "jianguan" / "evaluation" / "config" / "indicators.yaml"
ISSUE_LIST = {
    "catalogue_claim_rate", "checklist_completion_rate", "checklist_completeness_rate", "registered_officer_rate",
    "action_data_coverage", "reporting_timeliness_rate", "reporting_accuracy_rate",
    "random_inspection_completion_rate", "random_plan_publication_rate", "penalty_publication_rate",
    "complaint_acceptance_rate", "complaint_ontime_closure_rate", "complaint_satisfaction_rate",
    "complaint_return_rate", "risk_disposal_rate", "risk_feedback_rate", "repeat_inspection_rate",
    "complaints_per_1000_enterprises", "inspections_per_inspected_enterprise", "complaint_closing_working_days",
}  # fmt: skip


def test_packaged_config_covers_the_issue_and_is_complete() -> None:
    config = load_config()
    ids = {i.id for i in config.indicators}
    assert ids >= ISSUE_LIST
    for indicator in config.indicators:
        assert indicator.definition and indicator.numerator and indicator.denominator and indicator.name_zh
        assert indicator.version >= 1
    assert {i.code for i in config.indices} == {"supervision", "business_environment"}
    assert config.version


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "indicators.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_weights_must_sum_to_one_per_index(tmp_path: Path) -> None:
    data = yaml.safe_load(PACKAGED.read_text(encoding="utf-8"))
    data["indicators"][0]["weight"] += 0.1
    with pytest.raises(ConfigError, match="sum to"):
        load_config(_write(tmp_path, data))


def test_target_bounds_must_agree_with_direction(tmp_path: Path) -> None:
    data = yaml.safe_load(PACKAGED.read_text(encoding="utf-8"))
    target = next(i for i in data["indicators"] if i["normalisation"] == "target")
    target["best"], target["worst"] = target["worst"], target["best"]
    with pytest.raises(ConfigError, match="contradict"):
        load_config(_write(tmp_path, data))


def test_unknown_keys_are_refused(tmp_path: Path) -> None:
    data = yaml.safe_load(PACKAGED.read_text(encoding="utf-8"))
    data["indicators"][0]["wieght"] = 1
    with pytest.raises(ConfigError):
        load_config(_write(tmp_path, data))


def test_with_weights_revalidates() -> None:
    config = load_config()
    with pytest.raises(ConfigError, match="sum to"):
        config.with_weights({"catalogue_claim_rate": 0.5})
    moved = config.with_weights({"catalogue_claim_rate": 0.0, "checklist_completion_rate": 0.15})
    assert moved.indicator("checklist_completion_rate").weight == 0.15


def test_periods_to_date_and_previous() -> None:
    month, quarter, year = current_periods(date(2026, 11, 20))
    assert (month.key, month.start, month.end, month.as_of) == (
        "2026-11",
        date(2026, 11, 1),
        date(2026, 11, 30),
        date(2026, 11, 20),
    )
    assert (quarter.key, quarter.start, quarter.end) == ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31))
    assert (year.key, year.start, year.end) == ("2026", date(2026, 1, 1), date(2026, 12, 31))
    assert not month.is_complete
    assert previous(month).key == "2026-10" and previous(month).is_complete
    assert previous(period_containing("month", date(2026, 1, 5))).key == "2025-12"
    assert previous(quarter).key == "2026-Q3"
    current, before = evaluation_periods(date(2026, 3, 31))
    assert [p.key for p in current] == ["2026-03", "2026-Q1", "2026"]
    assert [p.key for p in before] == ["2026-02", "2025-Q4", "2025"]
    assert all(p.is_complete for p in current[:2])


def test_workday_sequence_matches_the_calendar() -> None:
    # National Day 2026: 1–7 October off, Saturday 10 October worked (调休)
    rows = dict(workday_sequence(date(2026, 9, 28), date(2026, 10, 12)))
    assert rows[date(2026, 10, 8)] - rows[date(2026, 9, 30)] == 1
    assert rows[date(2026, 10, 10)] - rows[date(2026, 10, 9)] == 1
    assert (
        working_days_between(date(2026, 9, 30), date(2026, 10, 12))
        == rows[date(2026, 10, 12)] - rows[date(2026, 9, 30)]
    )
    assert working_days_between(date(2026, 11, 2), date(2026, 11, 11)) == 7


def test_region_tree_has_levels_and_ancestors() -> None:
    nodes = region_nodes(cached_standard(PROJECT_ROOT / "schemas"))
    rows = set(ancestor_rows(nodes))
    assert ("420102", "county", "420102") in rows
    assert ("420102", "prefecture", "420100") in rows
    assert ("420102", "province", "420000") in rows
    assert ("420100", "province", "420000") in rows
    assert not any(code == "420100" and level == "county" for code, level, _ in rows)


def _score(
    index: str,
    period: str,
    department: str,
    level: str,
    region: str,
    name: str,
    composite: float | None,
    rank_regions: int | None,
    rank_departments: int | None = None,
) -> dict:
    return {
        "index_code": index, "period_key": period, "period_type": "month" if "-" in period else "year",
        "department_code": department, "department_name_zh": name if department != "ALL" else "全部部门",
        "region_level": level, "region_code": region, "region_name_zh": name, "composite_score": composite,
        "rank_among_regions": rank_regions, "rank_among_departments": rank_departments,
        "composite_change": 2.5, "rank_change_among_regions": 1, "weight_coverage": 0.9,
    }  # fmt: skip


def test_render_shows_rankings_trends_and_worst_indicators() -> None:
    config = load_config()
    scores = [
        _score("supervision", "2026-11", "ALL", "prefecture", "420200", "黄石市", 61.0, 2),
        _score("supervision", "2026-11", "ALL", "prefecture", "420100", "武汉市", 83.5, 1),
        _score("supervision", "2026-11", "SCJG", "province", "420000", "省市场监督管理局", 70.0, 1, 1),
    ]
    trend = [
        {**_score("supervision", "2026-10", "ALL", "prefecture", "420100", "武汉市", 70.0, 1)},
        {**_score("supervision", "2026-11", "ALL", "prefecture", "420100", "武汉市", 83.5, 1)},
    ]
    values = [
        {"indicator_id": "penalty_publication_rate", "indicator_name_zh": "行政处罚7个工作日内公示率",
         "department_code": "SCJG", "department_name_zh": "省市场监督管理局", "normalised_score": 12.0,
         "value": 0.12, "numerator": 3.0, "denominator": 25.0},
    ]  # fmt: skip
    page = render(
        ReportData(
            date(2026, 11, 20),
            config,
            "2026-11",
            "2026",
            scores,
            trend,
            values,
            {"risk_disposal_rate": "gold/risk_clues absent"},
        )
    )
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page and "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert page.index("武汉市") < page.index("黄石市"), "rank 1 first"
    assert "行政处罚7个工作日内公示率" in page and "3 / 25" in page
    assert "gold/risk_clues absent" in page
    assert "<polyline" in page  # the trend line of 武汉市 over two months


def test_bar_chart_escapes_labels() -> None:
    svg = bar_chart([("<b>x</b>", 50.0), ("none", None)], title="t&t")
    assert "&lt;b&gt;" in svg and "t&amp;t" in svg and svg.count("<rect") == 1
