"""The simulator's word lists (``data/vocabulary.yaml``): names, streets, industries, complaint topics, risk cues.

Content words only. Anything the data standard defines (codes, headers, field names) comes from ``schemas/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml


@dataclass(frozen=True)
class Vocabulary:
    raw: dict[str, Any]

    def words(self, key: str) -> list[str]:
        return [str(word) for word in self.raw.get(key, [])]

    def entries(self, key: str) -> list[dict[str, Any]]:
        return [dict(entry) for entry in self.raw.get(key, [])]

    def mapping(self, key: str) -> dict[str, str]:
        return {str(k): str(v) for k, v in (self.raw.get(key) or {}).items()}

    def text(self, key: str) -> str:
        return str(self.raw.get(key, ""))


@lru_cache(maxsize=1)
def load_vocabulary() -> Vocabulary:
    text = resources.files("jianguan.sim").joinpath("data/vocabulary.yaml").read_text(encoding="utf-8")
    return Vocabulary(yaml.safe_load(text))
