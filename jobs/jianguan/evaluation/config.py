"""The indicator system as configuration: ``config/indicators.yaml`` loaded and checked.

Definitions, weights, bounds and builder parameters live in the YAML (package data), never in code, so an
analyst can change a weight, bump the version and rerun; every output row carries the file's ``version``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from jianguan.errors import ConfigError

Direction = Literal["higher_better", "lower_better"]
Normalisation = Literal["ratio", "target", "minmax"]
WEIGHT_TOLERANCE = 1e-6


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IndexSpec(_Strict):
    """A composite index (监管效能指数, 营商环境指数)."""

    code: str
    name_zh: str
    description: str


class IndicatorSpec(_Strict):
    """One indicator: value = scale × numerator / denominator, then normalised to a 0..100 score."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name_zh: str
    index: str
    definition: str
    numerator: str
    denominator: str
    direction: Direction
    normalisation: Normalisation
    weight: float = Field(ge=0)
    version: int = Field(ge=1)
    builder: str
    scale: float = Field(default=1.0, gt=0)
    best: float | None = None
    worst: float | None = None
    params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _bounds(self) -> IndicatorSpec:
        if self.normalisation == "target":
            if self.best is None or self.worst is None or self.best == self.worst:
                raise ValueError(f"{self.id}: normalisation 'target' needs distinct best and worst")
            if (self.direction == "higher_better") != (self.best > self.worst):
                raise ValueError(f"{self.id}: best/worst contradict direction {self.direction}")
        return self


class EvaluationConfig(_Strict):
    """The whole file."""

    version: str
    calendar_years_back: int = Field(ge=1)
    min_weight_coverage: float = Field(ge=0, le=1)
    region_levels: dict[str, str]
    indices: list[IndexSpec]
    indicators: list[IndicatorSpec]

    @model_validator(mode="after")
    def _consistent(self) -> EvaluationConfig:
        codes = [i.code for i in self.indices]
        if len(set(codes)) != len(codes):
            raise ValueError("index codes must be unique")
        ids = [i.id for i in self.indicators]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"indicator ids repeated: {duplicates}")
        for indicator in self.indicators:
            if indicator.index not in codes:
                raise ValueError(f"{indicator.id}: unknown index {indicator.index!r}")
        for code in codes:
            total = sum(i.weight for i in self.indicators if i.index == code)
            if not math.isclose(total, 1.0, abs_tol=WEIGHT_TOLERANCE):
                raise ValueError(f"weights of index {code!r} sum to {total:.6f}, not 1")
        return self

    def indicator(self, indicator_id: str) -> IndicatorSpec:
        for indicator in self.indicators:
            if indicator.id == indicator_id:
                return indicator
        raise ConfigError(f"no indicator {indicator_id!r}")

    def index(self, code: str) -> IndexSpec:
        for index in self.indices:
            if index.code == code:
                return index
        raise ConfigError(f"no index {code!r}")

    def with_weights(self, weights: Mapping[str, float]) -> EvaluationConfig:
        """A copy with some indicator weights replaced (validated again: each index must still sum to 1)."""
        unknown = set(weights) - {i.id for i in self.indicators}
        if unknown:
            raise ConfigError(f"unknown indicators: {sorted(unknown)}")
        data = self.model_dump()
        for indicator in data["indicators"]:
            if indicator["id"] in weights:
                indicator["weight"] = float(weights[indicator["id"]])
        return parse_config(data, "<with_weights>")


def parse_config(data: Any, origin: str) -> EvaluationConfig:
    try:
        return EvaluationConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{origin}: invalid evaluation config: {exc}") from exc


def load_config(path: Path | None = None) -> EvaluationConfig:
    """Read the packaged ``config/indicators.yaml`` (or ``path``) and check it."""
    if path is None:
        text = (
            resources.files("jianguan.evaluation")
            .joinpath("config/indicators.yaml")
            .read_text(encoding="utf-8")
        )
        origin = "jianguan.evaluation/config/indicators.yaml"
    else:
        text = path.read_text(encoding="utf-8")
        origin = str(path)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{origin}: not valid YAML: {exc}") from exc
    return parse_config(data, origin)
