"""A tiny, self-contained data standard for unit tests of the spec loader, renderers and rule engine."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from jianguan.settings import PROJECT_ROOT

TABLE = {
    "name": "penalties",
    "library": "actions",
    "label_zh": "行政处罚行为",
    "description": "Administrative penalties.",
    "grain": "one row per penalty decision per delivery",
    "provenance": "seen",
    "business_key": ["penalty_code"],
    "order_by": "updated_at",
    "fields": [
        {"name": "penalty_code", "label_zh": "处罚行为编号", "description": "Penalty id.", "type": "string",
         "length": 10, "required": True, "pii": "none", "provenance": "seen"},
        {"name": "party_code", "label_zh": "行政相对人编码", "description": "USCC of the party.", "type": "string",
         "format": "uscc", "required": True, "pii": "none", "provenance": "seen"},
        {"name": "punishment_type", "label_zh": "处罚种类", "description": "Codes.", "type": "string",
         "code_list": "punishment_type", "multi_value": True, "required": True, "pii": "none",
         "provenance": "seen"},
        {"name": "fine_amount", "label_zh": "罚款金额", "description": "Yuan.", "type": "decimal(18,2)",
         "min": 0, "max": 1000000, "pii": "none", "provenance": "seen"},
        {"name": "decision_date", "label_zh": "处罚决定日期", "description": "Date.", "type": "date",
         "required": True, "pii": "none", "provenance": "seen"},
        {"name": "officer_count", "label_zh": "执法人数", "description": "Count.", "type": "integer",
         "pii": "none", "provenance": "inferred", "severity": "warn", "min": 1},
        {"name": "contact_phone", "label_zh": "联系电话", "description": "Phone.", "type": "string",
         "format": "phone", "pii": "phone", "provenance": "seen", "severity": "warn"},
        {"name": "updated_at", "label_zh": "更新时间", "description": "Source update time.", "type": "timestamp",
         "pii": "none", "provenance": "inferred"},
    ],
}  # fmt: skip

CODES = {
    "name": "punishment_type",
    "label_zh": "处罚种类",
    "provenance": "seen",
    "codes": [{"code": "01", "label_zh": "警告"}, {"code": "02", "label_zh": "罚款"}],
}

FEED = {
    "name": "samr_penalties",
    "source": "dept_samr",
    "label_zh": "市场监管局行政处罚",
    "system": "行政处罚办案系统",
    "table": "penalties",
    "format": "csv",
    "encoding": "gbk",
    "file_pattern": "xzcf_*.csv",
    "columns": [
        {"header": "处罚行为编号", "field": "penalty_code"},
        {"header": "行政相对人编码", "field": "party_code"},
        {"header": "处罚种类", "field": "punishment_type"},
        {"header": "罚款金额", "field": "fine_amount"},
        {"header": "处罚决定日期", "field": "decision_date"},
    ],
}

EXPORT = {
    "name": "penalties",
    "label_zh": "行政处罚行为",
    "table": "penalties",
    "record_id": "penalty_code",
    "fields": [
        {"code": "punish_action_code", "label_zh": "处罚行为编号", "from": "penalty_code", "required": True},
        {
            "code": "punish_type",
            "label_zh": "处罚种类",
            "from": "punishment_type",
            "code_list": "punishment_type",
        },
    ],
}


def write_mini_standard(root: Path, *, table: dict | None = None, feed: dict | None = None) -> Path:
    """Write the mini standard under ``root`` (shared files copied from the real schemas/)."""
    root.mkdir(parents=True, exist_ok=True)
    for name in ("libraries.yaml", "pii.yaml", "lineage.yaml"):
        shutil.copy(PROJECT_ROOT / "schemas" / name, root / name)
    files = {
        root / "tables" / "actions" / "penalties.yaml": table or TABLE,
        root / "codes" / "punishment_type.yaml": CODES,
        root / "feeds" / "dept_samr" / "samr_penalties.yaml": feed or FEED,
        root / "exports" / "penalties.yaml": EXPORT,
    }
    for path, content in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(content, allow_unicode=True, sort_keys=False), encoding="utf-8")
    (root / "glossary.yaml").write_text("- {zh: 行政处罚, en: administrative_penalty}\n", encoding="utf-8")
    return root
