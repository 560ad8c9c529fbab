"""Load and cross-check everything under ``schemas/``.

:func:`load_standard` returns a :class:`Standard`; every problem found (YAML syntax, a key that does not
belong, a code list that does not exist, a feed that leaves a required field unmapped …) is collected and raised
together as one :class:`~jianguan.errors.SchemaError` naming the file and the field, so a data engineer adding a
feed sees all of their mistakes at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from jianguan.errors import SchemaError
from jianguan.spec.model import (
    FORMATS,
    MATCH_KEY_SUFFIX,
    CodeList,
    Envelope,
    ExportField,
    ExportLayout,
    FeedSpec,
    FieldSpec,
    GlossaryEntry,
    Library,
    LineageColumns,
    PiiClass,
    PiiTreatment,
    TableSpec,
)

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Standard:
    """The whole data standard, cross-checked."""

    root: Path
    libraries: dict[str, Library]
    tables: dict[str, TableSpec]
    codes: dict[str, CodeList]
    feeds: dict[str, FeedSpec]
    exports: dict[str, ExportLayout]
    envelope: Envelope | None
    pii: dict[str, PiiTreatment]
    lineage: LineageColumns
    glossary: list[GlossaryEntry]
    table_files: dict[str, Path] = field(default_factory=dict)

    def table(self, name: str) -> TableSpec:
        try:
            return self.tables[name]
        except KeyError:
            raise SchemaError(f"no table {name!r} in {self.root}/tables") from None

    def code_list(self, name: str) -> CodeList:
        try:
            return self.codes[name]
        except KeyError:
            raise SchemaError(f"no code list {name!r} in {self.root}/codes") from None

    def tables_of(self, library: str) -> list[TableSpec]:
        return [t for t in self.tables.values() if t.library == library]

    def feeds_for(self, table: str) -> list[FeedSpec]:
        return [f for f in self.feeds.values() if f.table == table]

    def bronze_fields(self, table: str) -> list[FieldSpec]:
        """The table's own fields, a token column per tokenised personal field, then the lineage columns."""
        spec = self.table(table)
        return [*spec.fields, *self.token_fields(spec), *self.lineage.bronze]

    def token_fields(self, table: TableSpec) -> list[FieldSpec]:
        """``<field>_token`` for each field whose PII class is tokenised (see ``pii.yaml``).

        The field itself holds the masked value in bronze; the token (keyed HMAC of the normalised raw value)
        lets marts join and deduplicate people across sources without ever holding their identity.
        """
        tokenised = {name for name, treatment in self.pii.items() if "token" in treatment.treatment}
        return [
            _derived_string(
                f"{spec.name}_token",
                f"{spec.label_zh}令牌",
                f"Keyed HMAC-SHA256 token of {spec.name} (PII class {spec.pii}); joins without identity.",
                pii="none",
            )
            for spec in table.fields
            if spec.pii in tokenised
        ]

    def match_key_fields(self, table: TableSpec) -> list[FieldSpec]:
        """``<field>_match_key`` for each field that names a party (``match_key``): the staging layer's matching
        form of it (entity resolution compares these), computed once per delivered row instead of per build."""
        meaning = {
            "name": "the name without spaces, one spelling per legal form, null for placeholders such as 未知商家",
            "address": "the address without spaces, half-width",
            "uscc": "the code when it is a valid USCC (structure and GB 32100 check character), else null",
        }
        return [
            _derived_string(
                f"{spec.name}{MATCH_KEY_SUFFIX}",
                f"{spec.label_zh}匹配键",
                f"Matching key of {spec.name} for entity resolution: {meaning[spec.match_key]}.",
                pii=spec.pii,  # derived from the value bronze holds (masked when the class masks it)
            )
            for spec in table.fields
            if spec.match_key
        ]

    def export_mapping(self) -> dict[tuple[str, str], list[tuple[str, str]]]:
        """(table, field) → [(export dataset, national field code)], by reverse lookup of the export layouts."""
        mapping: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for layout in self.exports.values():
            for export_field in layout.fields:
                if export_field.source_field:
                    key = (layout.table, export_field.source_field)
                    mapping.setdefault(key, []).append((layout.name, export_field.code))
        return mapping


def _derived_string(name: str, label_zh: str, description: str, *, pii: PiiClass) -> FieldSpec:
    """A nullable string column the platform derives from a field of the standard (a token, a match key)."""
    return FieldSpec(
        name=name,
        label_zh=label_zh,
        description=description,
        type="string",
        required=False,
        pii=pii,
        provenance="inferred",
    )


class _Problems:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.items: list[str] = []

    def add(self, path: Path, message: str) -> None:
        self.items.append(
            f"{path.relative_to(self.root) if path.is_relative_to(self.root) else path}: {message}"
        )

    def raise_if_any(self) -> None:
        if self.items:
            raise SchemaError(f"{len(self.items)} problem(s) in schemas/:\n  " + "\n  ".join(self.items))


def _read_yaml(path: Path, problems: _Problems) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            # libyaml's C loader when present (several times faster over ~200 files), same safe semantics
            return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, yaml.YAMLError) as exc:
        problems.add(path, f"cannot read YAML: {exc}")
        return None


def _parse(model: type[M], data: Any, path: Path, problems: _Problems) -> M | None:
    if data is None:
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            where = _describe_location(data, error["loc"])
            problems.add(path, f"{where}: {error['msg']}")
        return None


def _describe_location(data: Any, loc: tuple[Any, ...]) -> str:
    """Turn ('fields', 3, 'type') into 'fields[3] (name=uscc).type' so the author finds the field."""
    parts: list[str] = []
    node = data
    for step in loc:
        if isinstance(step, int):
            label = f"[{step}]"
            if isinstance(node, list) and step < len(node):
                node = node[step]
                if isinstance(node, dict) and "name" in node:
                    label += f" (name={node['name']})"
                elif isinstance(node, dict) and "header" in node:
                    label += f" (header={node['header']})"
            parts.append(label)
        else:
            parts.append(f".{step}" if parts else str(step))
            node = node.get(step) if isinstance(node, dict) else None
    return "".join(parts) or "file"


def _yaml_files(folder: Path) -> Iterator[Path]:
    if folder.is_dir():
        yield from sorted(p for p in folder.rglob("*.yaml") if p.is_file())


def _index(items: Iterable[tuple[Path, M | None]], key: str, what: str, problems: _Problems) -> dict[str, M]:
    result: dict[str, M] = {}
    for path, item in items:
        if item is None:
            continue
        name = getattr(item, key)
        if name in result:
            problems.add(path, f"{what} {name!r} is defined twice")
            continue
        result[name] = item
    return result


def _load_parts(root: Path, problems: _Problems) -> dict[str, Any]:
    libraries_doc = _read_yaml(root / "libraries.yaml", problems) or {}
    libraries = [
        lib for lib in (_parse(Library, d, root / "libraries.yaml", problems) for d in libraries_doc.get("libraries", []))
        if lib is not None
    ]  # fmt: skip
    pii_doc = _read_yaml(root / "pii.yaml", problems) or {}
    pii = [
        p
        for p in (_parse(PiiTreatment, d, root / "pii.yaml", problems) for d in pii_doc.get("classes", []))
        if p
    ]
    lineage = _parse(
        LineageColumns, _read_yaml(root / "lineage.yaml", problems), root / "lineage.yaml", problems
    )
    glossary: list[GlossaryEntry] = []
    for path in sorted(root.glob("glossary*.yaml")):
        for entry in _read_yaml(path, problems) or []:
            parsed = _parse(GlossaryEntry, entry, path, problems)
            if parsed is not None:
                glossary.append(parsed)
    tables = [
        (p, _parse(TableSpec, _read_yaml(p, problems), p, problems)) for p in _yaml_files(root / "tables")
    ]
    codes = [(p, _parse(CodeList, _read_yaml(p, problems), p, problems)) for p in _yaml_files(root / "codes")]
    feeds = [(p, _parse(FeedSpec, _read_yaml(p, problems), p, problems)) for p in _yaml_files(root / "feeds")]
    export_paths = [p for p in _yaml_files(root / "exports") if p.name != "envelope.yaml"]
    exports = [(p, _parse(ExportLayout, _read_yaml(p, problems), p, problems)) for p in export_paths]
    envelope_path = root / "exports" / "envelope.yaml"
    envelope = (
        _parse(Envelope, _read_yaml(envelope_path, problems), envelope_path, problems)
        if envelope_path.exists()
        else None
    )
    return {
        "libraries": libraries, "pii": pii, "lineage": lineage, "glossary": glossary, "tables": tables,
        "codes": codes, "feeds": feeds, "exports": exports, "envelope": envelope,
    }  # fmt: skip


def _cross_check(std: Standard, problems: _Problems) -> None:
    _check_tables(std, problems)
    _check_feeds(std, problems)
    _check_exports(std, problems)
    _check_glossary(std, problems)


def _check_tables(std: Standard, problems: _Problems) -> None:
    lineage_names = {c.name for c in std.lineage.bronze}
    for name, table in std.tables.items():
        path = std.table_files[name]
        if table.library not in std.libraries:
            problems.add(path, f"library {table.library!r} is not one of {sorted(std.libraries)}")
        elif path.parent.name != table.library:
            problems.add(path, f"table of library {table.library!r} must live in tables/{table.library}/")
        if path.stem != name:
            problems.add(path, f"file name must be {name}.yaml")
        for spec in table.fields:
            if spec.code_list and spec.code_list not in std.codes:
                problems.add(
                    path, f"field {spec.name}: code list {spec.code_list!r} does not exist in codes/"
                )
            if spec.name in lineage_names:
                problems.add(path, f"field {spec.name} collides with a lineage column")
        for token in std.token_fields(table):
            if token.name in table.field_names:
                problems.add(path, f"field {token.name} collides with the token column of a personal field")


def _check_feeds(std: Standard, problems: _Problems) -> None:
    for path_name, feed in std.feeds.items():
        path = std.root / "feeds" / feed.source / f"{path_name}.yaml"
        if feed.table not in std.tables:
            problems.add(path, f"table {feed.table!r} does not exist")
            continue
        table = std.tables[feed.table]
        names = set(table.field_names)
        for column in feed.columns:
            if column.field not in names:
                problems.add(
                    path, f"header {column.header!r} maps to unknown field {table.name}.{column.field}"
                )
        mapped = {c.field for c in feed.columns}
        missing = [f.name for f in table.fields if f.required and f.name not in mapped]
        if missing:
            problems.add(path, f"required fields of {table.name} not mapped: {missing}")


def _check_exports(std: Standard, problems: _Problems) -> None:
    for name, layout in std.exports.items():
        path = std.root / "exports" / f"{name}.yaml"
        if layout.table not in std.tables:
            problems.add(path, f"table {layout.table!r} does not exist")
            continue
        table = std.tables[layout.table]
        for record_field in layout.record_id_fields:
            if record_field not in table.field_names:
                problems.add(path, f"record_id {record_field!r} is not a field of {table.name}")
        codes = [f.code for f in layout.fields]
        for dupe in sorted({c for c in codes if codes.count(c) > 1}):
            problems.add(path, f"national field {dupe!r} appears twice")
        if std.envelope is not None:
            envelope_codes = {f.code for f in std.envelope.fields}
            for clash in sorted(envelope_codes.intersection(codes)):
                problems.add(path, f"national field {clash!r} collides with an envelope field")
        for export_field in layout.fields:
            _check_export_field(std, table, export_field, path, problems)
        for rule in layout.order_checks:
            for code in (rule.later, rule.earlier):
                if code not in codes:
                    problems.add(path, f"order check {rule.rule_id}: {code!r} is not a field of the layout")


def _check_export_field(
    std: Standard, table: TableSpec, export_field: ExportField, path: Path, problems: _Problems
) -> None:
    """One national field against its source field: the layout may narrow, never contradict, the table.

    A personal source field (``pii`` other than ``none``) may be exported only when the national layout
    requires it; anything else classified as personal must never reach an export file.
    """
    where = export_field.code
    if export_field.code_list and export_field.code_list not in std.codes:
        problems.add(path, f"{where}: code list {export_field.code_list!r} does not exist")
    if export_field.format is not None and export_field.format not in FORMATS:
        problems.add(path, f"{where}: unknown format {export_field.format!r}")
    if export_field.type in {"date", "timestamp"} and not export_field.date_format:
        problems.add(path, f"{where}: a {export_field.type} field needs a date_format")
    for role, name in (("from", export_field.source_field), ("fallback", export_field.fallback)):
        if name is None:
            continue
        if name not in table.field_names:
            problems.add(path, f"{where}: {role} {name!r} is not a field of {table.name}")
            continue
        source = table.field(name)
        if source.type != export_field.type:
            problems.add(
                path, f"{where}: type {export_field.type} differs from {table.name}.{name} ({source.type})"
            )
        if export_field.code_list and source.code_list and source.code_list != export_field.code_list:
            problems.add(
                path,
                f"{where}: code list {export_field.code_list!r} differs from {name}'s {source.code_list!r}",
            )
        if source.pii != "none" and not export_field.required:
            problems.add(
                path,
                f"{where}: {table.name}.{name} is personal ({source.pii}) but the layout does not require it; "
                "personal fields are exported only when the national layout requires them",
            )


def _check_glossary(std: Standard, problems: _Problems) -> None:
    by_zh: dict[str, str] = {}
    by_en: dict[str, str] = {}
    for entry in std.glossary:
        if by_zh.get(entry.zh, entry.en) != entry.en:
            problems.add(
                std.root / "glossary", f"term {entry.zh!r} has two tokens: {by_zh[entry.zh]!r}, {entry.en!r}"
            )
        if by_en.get(entry.en, entry.zh) != entry.zh:
            problems.add(
                std.root / "glossary", f"token {entry.en!r} is used for {by_en[entry.en]!r} and {entry.zh!r}"
            )
        by_zh.setdefault(entry.zh, entry.en)
        by_en.setdefault(entry.en, entry.zh)


def load_standard(root: Path) -> Standard:
    """Load every file under ``root`` (the ``schemas/`` folder) and cross-check them."""
    root = root.resolve()
    if not root.is_dir():
        raise SchemaError(f"schemas folder {root} does not exist")
    problems = _Problems(root)
    parts = _load_parts(root, problems)
    if parts["lineage"] is None:
        problems.raise_if_any()
        raise SchemaError(f"{root}/lineage.yaml is missing")
    table_files = {t.name: p for p, t in parts["tables"] if t is not None}
    feeds_with_paths = parts["feeds"]
    for path, feed in feeds_with_paths:
        if feed is not None and (path.parent.name != feed.source or path.stem != feed.name):
            problems.add(path, f"feed must live at feeds/{feed.source}/{feed.name}.yaml")
    std = Standard(
        root=root,
        libraries={lib.slug: lib for lib in parts["libraries"]},
        tables=_index(parts["tables"], "name", "table", problems),
        codes=_index(parts["codes"], "name", "code list", problems),
        feeds=_index(feeds_with_paths, "name", "feed", problems),
        exports=_index(parts["exports"], "name", "export layout", problems),
        envelope=parts["envelope"],
        pii={p.name: p for p in parts["pii"]},
        lineage=parts["lineage"],
        glossary=parts["glossary"],
        table_files=table_files,
    )
    _cross_check(std, problems)
    problems.raise_if_any()
    return std


@lru_cache(maxsize=4)
def cached_standard(root: Path) -> Standard:
    """The standard for ``root``, loaded once per process (schemas do not change while a process runs)."""
    return load_standard(root)
