"""The risk job's versioned configuration: indicator parameters, the five models, credit classes, clue deadlines.

Weights, thresholds and lexicons are data (``jianguan/risk/config/*.yaml``, package data), never literals in code;
each file carries a ``version`` that is written on every row it shaped, so a score can be traced to the exact
rules that produced it. :func:`load_config` validates the files (unknown keys, unknown indicators or lexicons,
unordered cut-offs are errors) so a typo fails the run instead of silently scoring zero.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from jianguan.errors import ConfigError

Op = Literal[">=", ">", "<=", "<", "==", "!="]
OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}
"""Comparison of an indicator value with a rule threshold; the Spark expression uses the same operator."""

CLUE_STATUSES = ("issued", "assigned", "judged", "disposed", "fed_back")
"""Lifecycle order of a clue (风险线索 下发 → 分派 → 研判 → 处置 → 反馈)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Windows(_Strict):
    penalty: int = Field(gt=0)
    coercive: int = Field(gt=0)
    complaint_recent: int = Field(gt=0)
    complaint_baseline: int = Field(gt=0)
    opinion: int = Field(gt=0)
    listing: int = Field(gt=0)
    iot: int = Field(gt=0)
    inspection: int = Field(gt=0)
    utility_months: int = Field(gt=0)

    @model_validator(mode="after")
    def _baseline_longer(self) -> Windows:
        if self.complaint_baseline <= self.complaint_recent:
            raise ValueError("complaint_baseline must be longer than complaint_recent")
        return self


class IndicatorConfig(_Strict):
    version: str
    windows_days: Windows
    severe_punishment_codes: tuple[str, ...]
    severe_fine_amount: float
    problem_check_result_codes: tuple[str, ...]
    uncooperative_check_result_codes: tuple[str, ...]
    unreachable_check_result_codes: tuple[str, ...]
    abnormal_unreachable_reason_codes: tuple[str, ...]
    report_request_type_codes: tuple[str, ...]
    report_complaint_category_codes: tuple[str, ...]
    negative_sentiment_codes: tuple[str, ...]
    revoked_registration_status_codes: tuple[str, ...]
    social_security_signal_codes: tuple[str, ...]
    arrears_signal_codes: tuple[str, ...]
    exceedance_valid_flags: tuple[str, ...]
    banned_online_drug_categories: tuple[str, ...]
    non_drug_category_codes: tuple[str, ...]
    withdrawn_public_status_codes: tuple[str, ...]
    external_rating_source_codes: tuple[str, ...]
    device_product_words: tuple[str, ...]
    device_category_words: tuple[str, ...]
    device_registration_pattern: str
    prescription_category_words: tuple[str, ...]
    otc_category_words: tuple[str, ...]
    drug_licence_words: tuple[str, ...]
    device_licence_words: tuple[str, ...]


class Rule(_Strict):
    """``indicator op threshold`` → ``weight`` points; ``evidence`` rules are the ones that may raise a warning."""

    id: str
    indicator: str
    op: Op
    threshold: float
    weight: float = Field(gt=0)
    evidence: bool = False
    reason_zh: str

    def fires(self, value: float | None) -> bool:
        """Whether the rule fires for ``value``; a missing value (no data) never fires."""
        return value is not None and OPERATORS[self.op](float(value), self.threshold)

    def reason(self, value: float | None) -> str:
        shown = "" if value is None else (f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}")
        return self.reason_zh.format(value=shown)


class Level(_Strict):
    level: str
    min_score: float


class ModelSpec(_Strict):
    id: str
    label_zh: str
    department_code: str
    scope_industry_prefixes: tuple[str, ...]
    opinion_lexicons: tuple[str, ...]
    complaint_lexicons: tuple[str, ...]
    listing_lexicons: tuple[str, ...]
    rules: tuple[Rule, ...]

    @model_validator(mode="after")
    def _has_evidence(self) -> ModelSpec:
        if not any(r.evidence for r in self.rules):
            raise ValueError(f"model {self.id}: at least one rule must be evidence")
        ids = [r.id for r in self.rules]
        if len(set(ids)) != len(ids):
            raise ValueError(f"model {self.id}: rule ids repeat")
        return self


class ModelsConfig(_Strict):
    version: str
    warn_score: float
    levels: tuple[Level, ...]
    lexicons: dict[str, tuple[str, ...]]
    models: tuple[ModelSpec, ...]

    @model_validator(mode="after")
    def _consistent(self) -> ModelsConfig:
        _check_descending([lv.min_score for lv in self.levels], "levels")
        for model in self.models:
            for name in (*model.opinion_lexicons, *model.complaint_lexicons, *model.listing_lexicons):
                if name not in self.lexicons:
                    raise ValueError(f"model {model.id}: unknown lexicon {name!r}")
        ids = [m.id for m in self.models]
        if len(set(ids)) != len(ids):
            raise ValueError("model ids repeat")
        return self

    def model(self, model_id: str) -> ModelSpec:
        for spec in self.models:
            if spec.id == model_id:
                return spec
        raise KeyError(model_id)

    def lexicon(self, names: tuple[str, ...]) -> tuple[str, ...]:
        """The union of the named lexicons, in order, without repeats."""
        return tuple(dict.fromkeys(word for name in names for word in self.lexicons[name]))

    def level_of(self, score: float) -> str | None:
        return level_for(score, [(lv.level, lv.min_score) for lv in self.levels])


class CreditClass(_Strict):
    risk_class: Literal["A", "B", "C", "D"]
    min_score: float


class CreditConfig(_Strict):
    version: str
    classes: tuple[CreditClass, ...]
    rules: tuple[Rule, ...]

    @model_validator(mode="after")
    def _ordered(self) -> CreditConfig:
        _check_descending([c.min_score for c in self.classes], "classes")
        if self.classes[-1].min_score > 0:
            raise ValueError("the last credit class must start at 0 so every score has a class")
        return self

    def class_of(self, score: float) -> str:
        found = level_for(score, [(c.risk_class, c.min_score) for c in self.classes])
        assert found is not None  # the last class starts at 0 (validated)
        return found


class StageDeadlines(_Strict):
    assigned: int = Field(ge=0)
    judged: int = Field(ge=0)
    disposed: int = Field(ge=0)
    fed_back: int = Field(ge=0)

    def as_dict(self) -> dict[str, int]:
        return {
            "assigned": self.assigned,
            "judged": self.judged,
            "disposed": self.disposed,
            "fed_back": self.fed_back,
        }


class CluesConfig(_Strict):
    version: str
    min_level: str
    issue_time: str
    stage_status: dict[str, Literal["assigned", "judged", "disposed", "fed_back"]]
    stage_deadlines_working_days: dict[str, StageDeadlines]


@dataclass(frozen=True)
class RiskConfig:
    """The four configuration files, validated together."""

    indicators: IndicatorConfig
    models: ModelsConfig
    credit: CreditConfig
    clues: CluesConfig

    @property
    def versions(self) -> dict[str, str]:
        return {
            "indicators": self.indicators.version,
            "models": self.models.version,
            "credit": self.credit.version,
            "clues": self.clues.version,
        }


def level_for(score: float, cutoffs: list[tuple[str, float]]) -> str | None:
    """The first label whose minimum ``score`` reaches (cut-offs are ordered highest first)."""
    for label, minimum in cutoffs:
        if score >= minimum:
            return label
    return None


def _check_descending(values: list[float], what: str) -> None:
    if not values or any(a <= b for a, b in itertools.pairwise(values)):
        raise ValueError(f"{what} must be listed highest min_score first, strictly decreasing")


def _read(folder: Path | None, name: str) -> Any:
    if folder is None:
        text = resources.files("jianguan.risk").joinpath(f"config/{name}").read_text(encoding="utf-8")
    else:
        text = (folder / name).read_text(encoding="utf-8")
    return yaml.safe_load(text)


def _parse(model: type[_Strict], data: Any, name: str) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"risk config {name}: {exc}") from exc


def load_config(
    folder: Path | None = None, known_indicators: Mapping[str, object] | None = None
) -> RiskConfig:
    """Load and validate the configuration (the packaged files unless ``folder`` is given).

    With ``known_indicators`` (the indicator catalogue) every rule must name a known indicator.
    """
    config = RiskConfig(
        indicators=_parse(IndicatorConfig, _read(folder, "indicators.yaml"), "indicators.yaml"),
        models=_parse(ModelsConfig, _read(folder, "models.yaml"), "models.yaml"),
        credit=_parse(CreditConfig, _read(folder, "credit.yaml"), "credit.yaml"),
        clues=_parse(CluesConfig, _read(folder, "clues.yaml"), "clues.yaml"),
    )
    if known_indicators is not None:
        rules = [(m.id, r) for m in config.models.models for r in m.rules]
        rules += [("credit", r) for r in config.credit.rules]
        unknown = sorted(
            {f"{owner}.{r.id}: {r.indicator}" for owner, r in rules if r.indicator not in known_indicators}
        )
        if unknown:
            raise ConfigError(f"risk config names unknown indicators: {unknown}")
    levels = {lv.level for lv in config.models.levels}
    missing = sorted(
        lv
        for lv in levels
        if lv >= config.clues.min_level and lv not in config.clues.stage_deadlines_working_days
    )
    if missing:
        raise ConfigError(f"clues.yaml: no stage deadlines for clue levels {missing}")
    return config
