"""Which feed a generated record goes to, from ``data/routing.yaml`` resolved against the code lists.

A table delivered by one feed needs no routing. A table delivered by several (inspections from seven
bureaux, 失信被执行人 split into persons and organisations, utility signals from three providers) needs a rule
per feed: a set of allowed values for one or more fields. The generators ask :meth:`Router.allowed` which
values a field may take so that every record they make has a feed to go to.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from jianguan.sim.codebook import CodeBook
from jianguan.spec.loader import Standard
from jianguan.spec.model import FeedSpec

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FeedRoute:
    feed: FeedSpec
    constraints: dict[str, frozenset[str]]

    def accepts(self, record: dict[str, Any]) -> bool:
        return all(record.get(name) in values for name, values in self.constraints.items())


class Router:
    def __init__(self, standard: Standard, codebook: CodeBook, config: dict[str, Any] | None = None) -> None:
        if config is None:
            text = resources.files("jianguan.sim").joinpath("data/routing.yaml").read_text(encoding="utf-8")
            config = yaml.safe_load(text)
        self.standard = standard
        self.codebook = codebook
        source_departments: dict[str, str] = dict(config.get("source_departments") or {})
        filters: dict[str, dict[str, list[str]]] = dict(config.get("feed_filters") or {})
        self.source_department: dict[str, str] = {}
        for source, label in sorted(source_departments.items()):
            code = codebook.find("departments", str(label))
            if code is None:
                log.warning(
                    "routing: department %s of source %s is not in codes/departments.yaml", label, source
                )
            else:
                self.source_department[source] = code
        self.routes: dict[str, list[FeedRoute]] = {}
        for feed in sorted(standard.feeds.values(), key=lambda f: f.name):
            table = standard.tables[feed.table]
            constraints: dict[str, frozenset[str]] = {}
            for field_name, labels in sorted((filters.get(feed.name) or {}).items()):
                resolved = self._resolve(table.name, field_name, [str(label) for label in labels])
                if resolved:
                    constraints[field_name] = resolved
            multi = len(standard.feeds_for(table.name)) > 1
            department = self.source_department.get(feed.source)
            if multi and department and "department_code" in table.field_names:
                constraints.setdefault("department_code", frozenset({department}))
            self.routes.setdefault(table.name, []).append(FeedRoute(feed, constraints))

    def _resolve(self, table: str, field_name: str, labels: list[str]) -> frozenset[str]:
        spec = self.standard.tables[table]
        if field_name not in spec.field_names:
            log.warning("routing: %s has no field %s", table, field_name)
            return frozenset()
        code_list = spec.field(field_name).code_list
        if not code_list:
            return frozenset(labels)
        codes = set()
        for label in labels:
            code = self.codebook.find(code_list, label)
            if code is None:
                log.warning("routing: %s is not a label of code list %s", label, code_list)
            else:
                codes.add(code)
        return frozenset(codes)

    def feeds(self, table: str) -> list[FeedSpec]:
        return [route.feed for route in self.routes.get(table, [])]

    def feed_for(self, table: str, record: dict[str, Any]) -> FeedSpec | None:
        """The first feed (by name) whose rules the record satisfies; None when the table has no feed for it."""
        for route in self.routes.get(table, []):
            if route.accepts(record):
                return route.feed
        return None

    def allowed(self, table: str, field_name: str) -> tuple[str, ...]:
        """Values of ``field_name`` that some feed of ``table`` accepts (empty: any value is routed)."""
        routes = self.routes.get(table, [])
        if any(field_name not in route.constraints for route in routes):
            return ()
        values: set[str] = set()
        for route in routes:
            values |= route.constraints[field_name]
        return tuple(sorted(values))
