"""质检: the national layout's field rules, checked on exactly the values that would be sent.

Rules (stable ids): ``required``, ``max_length``, ``format_<format>`` (14-digit item code, checklist prefix,
USCC / ID check characters, region codes, ratios in 0..1 … through :mod:`jianguan.validate.codes`),
``code_list`` (dictionary membership, multi-value lists split on commas), ``encoding`` (the layout's file
encoding can represent the value) and each layout's ``order_checks`` (报送时间 after 检查时间, 结案 after 立案 …).

Personal fields arrive masked (``420102********1234``): their check characters were verified on the real value
at the bronze boundary and cannot be verified again here, so a masked value is checked for length only.
Checks run column at a time; Python sees each distinct value once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from jianguan.export.layouts import Dataset
from jianguan.spec.loader import Standard
from jianguan.spec.model import ExportField

MASK_CHAR = "*"


@dataclass(frozen=True)
class Finding:
    rule_id: str
    field: str
    message_zh: str


Findings = dict[int, list[Finding]]
"""Row index → findings of that row (rows without findings pass)."""


def _same(finding: Finding) -> Callable[[int], Finding]:
    """The same finding for every failing row."""
    return lambda _index: finding


def _add(findings: Findings, rows: pa.Array, finding: Callable[[int], Finding]) -> None:
    for index in pc.indices_nonzero(pc.fill_null(rows, False)).to_pylist():
        findings.setdefault(index, []).append(finding(index))


def _distinct_problems(column: pa.Array, check: Callable[[str], str | None]) -> dict[str, str]:
    """Problem message per distinct failing value."""
    problems: dict[str, str] = {}
    for value in pc.unique(column.drop_null()).to_pylist():
        message = check(value)
        if message:
            problems[value] = message
    return problems


def _flag_values(
    findings: Findings, column: pa.Array, problems: Mapping[str, str], rule: str, code: str
) -> None:
    if not problems:
        return
    values = column.to_pylist()
    mask = pc.is_in(column, value_set=pa.array(list(problems), pa.string()))
    _add(findings, mask, lambda i: Finding(rule, code, problems[values[i]]))


def _code_check(std: Standard, spec: ExportField, multi_value: bool) -> Callable[[str], str | None]:
    allowed = std.code_list(spec.code_list or "").values

    def check(value: str) -> str | None:
        parts = [p.strip() for p in value.split(",")] if multi_value else [value]
        bad = [p for p in parts if p not in allowed]
        return f"{spec.label_zh}不在代码表{spec.code_list}中：{','.join(bad)[:40]}" if bad else None

    return check


def check_records(
    std: Standard,
    dataset: Dataset,
    records: pa.Table,
    format_checks: Mapping[str, Callable[[str], str | None]],
) -> Findings:
    """Findings per row of ``records`` (projected national records to be sent as inserts/updates)."""
    findings: Findings = {}
    layout = dataset.layout
    for spec in layout.fields:
        column = records.column(spec.code).combine_chunks()
        code = spec.code
        if spec.required:
            _add(
                findings,
                pc.is_null(column),
                _same(Finding("required", code, f"{spec.label_zh}为空")),
            )
        if spec.length is not None:
            too_long = pc.greater(pc.utf8_length(column), spec.length)
            _add(
                findings,
                too_long,
                _same(Finding("max_length", code, f"{spec.label_zh}超过{spec.length}个字符")),
            )
        personal = dataset.is_personal(spec)
        if spec.format is not None and spec.format in format_checks:
            check = format_checks[spec.format]
            if personal:
                check = _unless_masked(check)
            _flag_values(findings, column, _distinct_problems(column, check), f"format_{spec.format}", code)
        if spec.code_list is not None:
            source = dataset.table.field(spec.source_field) if spec.source_field else None
            multi = bool(source and source.multi_value)
            problems = _distinct_problems(column, _code_check(std, spec, multi))
            _flag_values(findings, column, problems, "code_list", code)
        if layout.encoding != "utf-8":
            problems = _distinct_problems(column, _encoding_check(layout.encoding, spec))
            _flag_values(findings, column, problems, "encoding", code)
    for rule in layout.order_checks:
        later_spec, earlier_spec = layout.export_field(rule.later), layout.export_field(rule.earlier)
        later = records.column(rule.later).combine_chunks()
        earlier = records.column(rule.earlier).combine_chunks()
        if "date" in (
            later_spec.type,
            earlier_spec.type,
        ):  # compare calendar days: 2026-11-02 vs 2026-11-02 09:00
            later, earlier = pc.utf8_slice_codeunits(later, 0, 10), pc.utf8_slice_codeunits(earlier, 0, 10)
        wrong = pc.less_equal(later, earlier) if rule.strict else pc.less(later, earlier)
        _add(findings, wrong, _same(Finding(rule.rule_id, rule.later, rule.message_zh)))
    return findings


def _unless_masked(check: Callable[[str], str | None]) -> Callable[[str], str | None]:
    def masked_aware(value: str) -> str | None:
        return None if MASK_CHAR in value else check(value)

    return masked_aware


def _encoding_check(encoding: str, spec: ExportField) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        try:
            value.encode(encoding)
        except UnicodeEncodeError:
            return f"{spec.label_zh}含{encoding}无法表示的字符"
        return None

    return check


def reasons_json(findings: list[Finding]) -> str:
    """The ``reasons`` column of ``export_holds``: JSON [{rule_id, field, message_zh}], stable order."""
    ordered = sorted(findings, key=lambda f: (f.field, f.rule_id, f.message_zh))
    return json.dumps(
        [{"rule_id": f.rule_id, "field": f.field, "message_zh": f.message_zh} for f in ordered],
        ensure_ascii=False,
        separators=(",", ":"),
    )
