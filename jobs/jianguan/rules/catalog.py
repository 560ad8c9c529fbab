"""The rule list of a table, derived from its schema file — documentation, tests and the engine share it.

Rule ids are stable English identifiers (they land in ``reject_reasons`` and analysts filter on them); the
Chinese message is what a department's data clerk reads in the rejection report.
"""

from __future__ import annotations

from dataclasses import dataclass

from jianguan.spec.model import FieldSpec, TableSpec

MESSAGES_ZH: dict[str, str] = {
    "required": "必填项为空",
    "type_integer": "不是整数",
    "type_long": "不是整数",
    "type_double": "不是数字",
    "type_decimal": "不是金额/数值",
    "type_boolean": "不是是/否值",
    "type_date": "日期格式无法识别",
    "type_timestamp": "时间格式无法识别",
    "max_length": "超过最大长度",
    "code_list": "不在代码表中",
    "range": "数值超出范围",
    "duplicate_key": "批次内重复记录（业务主键与内容均相同）",
    "format_uscc": "统一社会信用代码错误",
    "format_org_code": "组织机构代码错误",
    "format_id_number": "公民身份号码错误",
    "format_party_code": "行政相对人编码错误",
    "format_region_code": "行政区划代码错误",
    "format_item_code": "监管事项目录编码错误",
    "format_checklist_code": "检查实施清单编码错误",
    "format_phone": "电话号码格式错误",
    "format_url": "网址格式错误",
    "format_ratio": "比例应在0到1之间",
}


@dataclass(frozen=True)
class Rule:
    """One check of one column (or of the business key, for ``duplicate_key``)."""

    rule_id: str
    column: str
    severity: str
    message_zh: str
    detail: str = ""


def type_rule_id(spec: FieldSpec) -> str | None:
    if spec.type == "string":
        return None
    return "type_decimal" if spec.type.startswith("decimal") else f"type_{spec.type}"


def rules_for_field(spec: FieldSpec) -> list[Rule]:
    """The rules of one field, in the order the engine applies them."""
    rules: list[Rule] = []

    def add(rule_id: str, detail: str = "", severity: str | None = None) -> None:
        rules.append(Rule(rule_id, spec.name, severity or spec.severity, MESSAGES_ZH[rule_id], detail))

    if spec.required:
        add("required", severity="error")
    type_id = type_rule_id(spec)
    if type_id:
        add(type_id, spec.type)
    if spec.length is not None:
        add("max_length", f"≤ {spec.length}")
    if spec.format:
        add(f"format_{spec.format}")
    if spec.code_list:
        add("code_list", spec.code_list + (" (多值, 逗号分隔)" if spec.multi_value else ""))
    if spec.min is not None or spec.max is not None:
        add("range", f"[{spec.min}, {spec.max}]")
    return rules


def rules_for_table(table: TableSpec) -> list[Rule]:
    rules = [rule for spec in table.fields for rule in rules_for_field(spec)]
    rules.append(
        Rule(
            "duplicate_key", ",".join(table.business_key), "error", MESSAGES_ZH["duplicate_key"], "同一批次内"
        )
    )
    return rules
