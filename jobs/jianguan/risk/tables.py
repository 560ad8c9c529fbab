"""The five gold tables of the risk job: their columns (with Chinese comments), partitioning and creation.

All are partitioned by ``as_of_date`` (the logical date the job ran for) and each run replaces exactly its date's
partition in one commit, so a rerun for a date changes nothing else. ``risk_warnings`` and ``risk_clues`` hold a
snapshot per date (every open warning / every clue issued so far, with its state on that date); the three others
hold that date's computation. Every table is labelled with the library ``risk`` (``jianguan tables``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa

from jianguan.lake import LakeTable
from jianguan.lake.catalog import LIBRARY_PROPERTY

LIBRARY = "risk"
PARTITION = "as_of_date"
TIMESTAMP = pa.timestamp("us", tz="UTC")

Column = tuple[str, pa.DataType, str]


def _schema(columns: Sequence[Column]) -> pa.Schema:
    return pa.schema(
        [pa.field(n, t, nullable=True, metadata={"comment": c, "label_zh": c}) for n, t, c in columns]
    )


_COMPUTED = ("computed_at", TIMESTAMP, "计算时间")
_AS_OF = (PARTITION, pa.date32(), "数据日期")

COLUMNS: dict[str, tuple[str, list[Column]]] = {
    "risk_indicators": (
        "Risk indicators (风险指标): one row per entity, indicator and as_of_date; zero counts are implied.",
        [
            ("uscc", pa.string(), "统一社会信用代码"),
            ("indicator_code", pa.string(), "指标编码"),
            ("indicator_value", pa.float64(), "指标值"),
            ("library", pa.string(), "来源信息库"),
            ("indicator_version", pa.string(), "指标配置版本"),
            _COMPUTED,
            _AS_OF,
        ],
    ),
    "risk_scores": (
        "Model scores (模型风险分): one row per entity, model and as_of_date with a non-zero score.",
        [
            ("uscc", pa.string(), "统一社会信用代码"),
            ("model", pa.string(), "风险模型"),
            ("model_label_zh", pa.string(), "风险模型名称"),
            ("risk_score", pa.float64(), "风险分"),
            ("risk_level", pa.string(), "风险等级"),
            ("is_warning", pa.bool_(), "是否预警"),
            ("fired_rules", pa.string(), "命中规则"),
            ("model_version", pa.string(), "模型版本"),
            _COMPUTED,
            _AS_OF,
        ],
    ),
    "risk_warnings": (
        "Risk warnings (风险预警): every warning open on as_of_date, and those closed that day.",
        [
            ("warning_id", pa.string(), "预警编号"),
            ("model", pa.string(), "风险模型"),
            ("model_label_zh", pa.string(), "风险模型名称"),
            ("model_version", pa.string(), "模型版本"),
            ("uscc", pa.string(), "统一社会信用代码"),
            ("entity_name", pa.string(), "主体名称"),
            ("region_code", pa.string(), "行政区划代码"),
            ("department_code", pa.string(), "责任部门编码"),
            ("risk_score", pa.float64(), "风险分"),
            ("risk_level", pa.string(), "风险等级"),
            ("risk_level_name", pa.string(), "风险等级名称"),
            ("triggering_indicators", pa.string(), "触发指标"),
            ("reason_zh", pa.string(), "预警理由"),
            ("status", pa.string(), "预警状态"),
            ("first_raised_date", pa.date32(), "首次预警日期"),
            ("last_triggered_date", pa.date32(), "最近触发日期"),
            ("is_new", pa.bool_(), "是否新增"),
            ("closed_date", pa.date32(), "关闭日期"),
            ("clue_id", pa.string(), "风险线索编号"),
            _COMPUTED,
            _AS_OF,
        ],
    ),
    "risk_clues": (
        "Risk clues (风险线索): every clue issued up to as_of_date with its lifecycle state that day.",
        [
            ("clue_id", pa.string(), "风险线索编号"),
            ("warning_id", pa.string(), "预警编号"),
            ("model", pa.string(), "风险模型"),
            ("model_label_zh", pa.string(), "风险模型名称"),
            ("uscc", pa.string(), "统一社会信用代码"),
            ("entity_name", pa.string(), "主体名称"),
            ("department_code", pa.string(), "承办部门编码"),
            ("region_code", pa.string(), "行政区划代码"),
            ("level", pa.string(), "风险等级"),
            ("issued_at", TIMESTAMP, "下发时间"),
            ("status", pa.string(), "线索状态"),
            ("assigned_at", TIMESTAMP, "分派签收时间"),
            ("judged_at", TIMESTAMP, "研判时间"),
            ("disposed_at", TIMESTAMP, "处置时间"),
            ("fed_back_at", TIMESTAMP, "反馈时间"),
            ("due_at", TIMESTAMP, "反馈期限"),
            ("overdue", pa.bool_(), "是否超期"),
            ("overdue_stage", pa.string(), "超期环节"),
            ("judgement_code", pa.string(), "研判结论"),
            ("inspection_code", pa.string(), "检查行为编号"),
            ("working_days_open", pa.int32(), "办理工作日数"),
            ("clues_version", pa.string(), "线索配置版本"),
            _COMPUTED,
            _AS_OF,
        ],
    ),
    "credit_risk_classes": (
        "Enterprise credit-risk classes (企业信用风险分类 A–D): one row per uscc and as_of_date.",
        [
            ("uscc", pa.string(), "统一社会信用代码"),
            ("entity_name", pa.string(), "主体名称"),
            ("region_code", pa.string(), "行政区划代码"),
            ("risk_class", pa.string(), "信用风险分类"),
            ("risk_score", pa.float64(), "信用风险分"),
            ("fired_rules", pa.string(), "命中规则"),
            ("model_version", pa.string(), "模型版本"),
            _AS_OF,
            _COMPUTED,
        ],
    ),
}
"""Table name → (description, columns)."""


def schema(name: str) -> pa.Schema:
    return _schema(COLUMNS[name][1])


def column_names(name: str) -> list[str]:
    return [c[0] for c in COLUMNS[name][1]]


def ensure(path: Path, name: str) -> LakeTable:
    """Create the table (partitioned by ``as_of_date``, labelled ``risk``) unless it exists with this schema."""
    description, _ = COLUMNS[name]
    return LakeTable.create(
        path,
        schema(name),
        partition_by=[PARTITION],
        properties={LIBRARY_PROPERTY: LIBRARY},
        name=name,
        description=description,
        exist_ok=True,
    )
