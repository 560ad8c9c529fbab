"""Code values, looked up in ``schemas/codes/`` — the simulator never types a code the standard defines.

The world model knows *meanings* ("a 罚款", "the 12345 hotline", "a county-level bureau"); this module turns a
meaning into the code the data standard assigns to it, by matching the code list's Chinese labels. When the
standard changes a code, the simulator follows; when a label it looks for disappears, it falls back to an
arbitrary code of the same list rather than inventing one, so the output always validates.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from jianguan.errors import SchemaError
from jianguan.spec.loader import Standard


@dataclass(frozen=True)
class RegionEntry:
    code: str
    name: str
    level: str
    parent: str | None
    is_local: bool


class CodeBook:
    """Read-only view of the standard's code lists with label lookups."""

    def __init__(self, standard: Standard) -> None:
        self.standard = standard
        self._codes: dict[str, tuple[str, ...]] = {
            name: tuple(code.code for code in code_list.codes) for name, code_list in standard.codes.items()
        }
        self._labels: dict[str, tuple[tuple[str, str], ...]] = {
            name: tuple((code.code, code.label_zh) for code in code_list.codes)
            for name, code_list in standard.codes.items()
        }

    def has(self, list_name: str) -> bool:
        return list_name in self._codes

    def codes(self, list_name: str) -> tuple[str, ...]:
        return self._codes.get(list_name, ())

    def label(self, list_name: str, code: str) -> str:
        for candidate, label in self._labels.get(list_name, ()):
            if candidate == code:
                return label
        return code

    def pick(self, rng: random.Random, list_name: str) -> str | None:
        codes = self._codes.get(list_name)
        return rng.choice(codes) if codes else None

    def find(self, list_name: str, *fragments: str) -> str | None:
        """The code whose label equals, else contains, the first fragment that matches; None when none does."""
        entries = self._labels.get(list_name, ())
        for fragment in fragments:
            for code, label in entries:
                if label == fragment or code == fragment:
                    return code
            for code, label in entries:
                if fragment in label:
                    return code
        return None

    def find_or_any(self, list_name: str, *fragments: str) -> str | None:
        """Like :meth:`find`, falling back to the list's first code (deterministic) when nothing matches."""
        found = self.find(list_name, *fragments)
        if found is not None:
            return found
        codes = self._codes.get(list_name)
        return codes[0] if codes else None

    def find_all(self, list_name: str, fragments: Sequence[str]) -> tuple[str, ...]:
        """Every code whose label contains one of ``fragments``, in code-list order."""
        return tuple(
            code for code, label in self._labels.get(list_name, ()) if any(f in label for f in fragments)
        )

    def regions(self) -> list[RegionEntry]:
        if "regions" not in self.standard.codes:
            raise SchemaError("the simulator needs codes/regions.yaml")
        return [
            RegionEntry(code.code, code.label_zh, code.level or "county", code.parent, code.is_local)
            for code in self.standard.codes["regions"].codes
        ]
