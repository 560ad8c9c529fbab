"""The risk configuration: the packaged files load, name known indicators, and bad files are refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from jianguan.errors import ConfigError
from jianguan.risk.config import Rule, level_for, load_config

PACKAGED = Path(__file__).resolve().parents[2] / "jobs" / "jianguan" / "risk" / "config"


def test_packaged_config_is_complete_and_versioned() -> None:
    config = load_config()
    assert {m.id for m in config.models.models} == {
        "false_medical_ads",
        "illegal_fundraising",
        "illegal_drug_sales",
        "illegal_prescription_sales",
        "illegal_device_sales",
    }
    assert all(config.versions.values())
    # the seven categories of 药品网络销售监督管理办法 art. 8
    assert len(config.indicators.banned_online_drug_categories) == 7


def test_every_rule_names_a_catalogued_indicator() -> None:
    pytest.importorskip("pyspark")
    from jianguan.risk.indicators import catalogue

    config = load_config()
    load_config(known_indicators=catalogue(config.models))


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "config"
    shutil.copytree(PACKAGED, folder)
    return folder


def _edit(folder: Path, name: str, change: object) -> None:
    path = folder / name
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)  # type: ignore[operator]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_unknown_lexicon_is_refused(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _edit(folder, "models.yaml", lambda d: d["models"][0].update(opinion_lexicons=["no_such_lexicon"]))
    with pytest.raises(ConfigError, match="no_such_lexicon"):
        load_config(folder)


def test_model_without_evidence_rule_is_refused(tmp_path: Path) -> None:
    folder = _copy(tmp_path)

    def strip(data: dict) -> None:  # type: ignore[type-arg]
        for rule in data["models"][1]["rules"]:
            rule["evidence"] = False

    _edit(folder, "models.yaml", strip)
    with pytest.raises(ConfigError, match="evidence"):
        load_config(folder)


def test_unordered_credit_classes_are_refused(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _edit(folder, "credit.yaml", lambda d: d["classes"].reverse())
    with pytest.raises(ConfigError, match="highest"):
        load_config(folder)


def test_unknown_indicator_is_refused() -> None:
    config = load_config()
    with pytest.raises(ConfigError, match="unknown indicators"):
        load_config(known_indicators={"penalty_count": object()})
    assert config.models.warn_score > 0


@pytest.mark.parametrize(
    ("op", "threshold", "value", "fires"),
    [
        (">=", 1, 1, True),
        (">=", 1, 0, False),
        (">", 1, 1, False),
        ("<=", 5, 0, True),
        ("<=", 5, None, False),  # no data never fires
        ("==", 4, 4, True),
        ("!=", 4, 4, False),
    ],
)
def test_rule_fires(op: str, threshold: float, value: float | None, fires: bool) -> None:
    rule = Rule(id="r", indicator="x", op=op, threshold=threshold, weight=10, reason_zh="值{value}")  # type: ignore[arg-type]
    assert rule.fires(value) is fires


def test_rule_reason_formats_integers_without_decimals() -> None:
    rule = Rule(id="r", indicator="x", op=">=", threshold=1, weight=10, reason_zh="命中{value}条")
    assert rule.reason(3.0) == "命中3条"
    assert rule.reason(0.25) == "命中0.25条"


def test_levels_and_classes_map_scores() -> None:
    config = load_config()
    assert config.models.level_of(95) == "4"
    assert config.models.level_of(60) == "2"
    assert config.models.level_of(0) is None
    assert config.credit.class_of(0) == "A"
    assert config.credit.class_of(100) == "D"
    assert level_for(50, [("x", 60), ("y", 10)]) == "y"
