"""Publication of draws (一公开 of the draw itself): four append-only gold tables, never rewritten.

* ``gold/inspection_draws`` — one row per drawn object per draw (class, items, ratio, selection key, inspectors,
  visit, seed, published value, snapshot hash);
* ``gold/inspection_draw_inspectors`` — one row per drawn object × department × inspector seat;
* ``gold/inspection_joint_visits`` — one row per visit (several plans' entries merged, with the saving);
* ``gold/inspection_candidate_snapshots`` — one row per candidate (entity or officer) plus one ``plan`` row per
  draw: the exact inputs, as canonical JSON, from which :mod:`.verify` re-derives the draw.

Immutability has two locks. The tables are created with ``delta.appendOnly = true``, so Delta itself refuses any
commit that removes or rewrites a file (an overwrite, a delete, a merge): the history can only grow, and
``LakeTable.history()`` shows nothing but appends. And :func:`publish` refuses a draw id that is already
published (:class:`DrawAlreadyPublishedError`). Each table's append carries the application transaction
``inspection_publish:<draw id>``, so a publication interrupted between tables is completed — never duplicated —
by running it again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from jianguan.errors import JianguanError
from jianguan.inspection.draw import DrawResult
from jianguan.inspection.joint import JointVisit, visit_of
from jianguan.inspection.seed import SEED_ALGORITHM
from jianguan.lake import AppTransaction, LakeTable
from jianguan.lake.tables import LIBRARY_PROPERTY
from jianguan.settings import Settings

log = logging.getLogger(__name__)

LIBRARY = "inspection"
LAYER = "gold"
DRAWS = "inspection_draws"
INSPECTORS = "inspection_draw_inspectors"
VISITS = "inspection_joint_visits"
SNAPSHOTS = "inspection_candidate_snapshots"
TABLE_PROPERTIES = {LIBRARY_PROPERTY: LIBRARY, "delta.appendOnly": "true"}
PUBLISH_WRITER = "inspection_publish"
KIND_PLAN, KIND_ENTITY, KIND_OFFICER = "plan", "entity", "officer"
TIMESTAMP = pa.timestamp("us", tz="UTC")


class DrawAlreadyPublishedError(JianguanError):
    """A draw id that is already published: published draws are never rewritten."""


def _f(name: str, kind: pa.DataType, comment: str, *, nullable: bool = True) -> pa.Field:
    return pa.field(name, kind, nullable=nullable, metadata={"comment": comment})


S = pa.string()
DRAWS_SCHEMA = pa.schema(
    [
        _f("draw_id", S, "抽取批次ID: plan id + first 12 hex digits of the seed", nullable=False),
        _f("plan_id", S, "计划ID", nullable=False),
        _f("plan_name", S, "计划名称"),
        _f("uscc", S, "统一社会信用代码 of the drawn object", nullable=False),
        _f("entity_name", S, "对象名称 (masked when it is a natural person's name)"),
        _f("region_code", S, "行政区划代码 of the object"),
        _f("risk_class", S, "企业信用风险分类 used for the ratio (A–D)", nullable=False),
        _f("class_source", S, "credit_risk_classes (risk job) or default"),
        _f("class_reason", S, "why the default class was used, when it was"),
        _f("item_codes", S, "监管事项目录编码 drawn for, comma-joined"),
        _f("department_codes", S, "departments of those items, comma-joined"),
        _f("sampling_ratio", pa.float64(), "抽查比例 of the object's stratum"),
        _f("selection_key", S, "sha256(seed|object|uscc): smallest keys are drawn"),
        _f("draw_rank", pa.int32(), "position in the draw by selection key"),
        _f("officer_certificate_nos", S, "执法证号 of the inspectors drawn, comma-joined"),
        _f("inspector_count", pa.int32(), "number of inspectors drawn"),
        _f("shortfall_department_codes", S, "departments lacking enough eligible inspectors"),
        _f("visit_id", S, "joint visit the object's check belongs to"),
        _f("seed", S, "sha256(plan_id\\npublished_value), hex"),
        _f("published_value", S, "public value the seed is derived from"),
        _f("snapshot_sha256", S, "hash of the candidate snapshot the draw was made from"),
        _f("config_version", S, "version of config/ratios.yaml"),
        _f("period_start_date", pa.date32(), "计划开始日期"),
        _f("period_end_date", pa.date32(), "计划结束日期"),
        _f("published_at", TIMESTAMP, "when the draw was published", nullable=False),
    ]
)
INSPECTORS_SCHEMA = pa.schema(
    [
        _f("draw_id", S, "抽取批次ID", nullable=False),
        _f("plan_id", S, "计划ID", nullable=False),
        _f("uscc", S, "统一社会信用代码 of the drawn object", nullable=False),
        _f("department_code", S, "department the inspector checks for", nullable=False),
        _f("officer_certificate_no", S, "执法证号", nullable=False),
        _f("seat", pa.int32(), "1 = lead inspector", nullable=False),
        _f("visit_id", S, "joint visit"),
        _f("published_at", TIMESTAMP, "when the draw was published", nullable=False),
    ]
)
VISITS_SCHEMA = pa.schema(
    [
        _f("visit_id", S, "检查行动ID: one door opened (进一次门)", nullable=False),
        _f("batch_id", S, "the publication batch that merged the visit", nullable=False),
        _f("uscc", S, "统一社会信用代码", nullable=False),
        _f("draw_ids", S, "draws merged into the visit, comma-joined"),
        _f("plan_ids", S, "plans merged into the visit, comma-joined"),
        _f("department_codes", S, "departments checking together, comma-joined"),
        _f("item_codes", S, "every item checked in the visit, comma-joined"),
        _f("officer_certificate_nos", S, "every inspector of the visit, comma-joined"),
        _f("window_start_date", pa.date32(), "start of the common window"),
        _f("window_end_date", pa.date32(), "end of the common window"),
        _f("separate_visit_count", pa.int32(), "visits the plans would have made separately"),
        _f("visits_saved", pa.int32(), "separate visits minus one"),
        _f("is_joint", pa.bool_(), "more than one plan in the visit"),
        _f("published_at", TIMESTAMP, "when the visit was published", nullable=False),
    ]
)
SNAPSHOTS_SCHEMA = pa.schema(
    [
        _f("draw_id", S, "抽取批次ID", nullable=False),
        _f("row_kind", S, "plan | entity | officer", nullable=False),
        _f("candidate_key", S, "plan id, USCC or 执法证号", nullable=False),
        _f("region_code", S, "region of the candidate"),
        _f("payload", S, "the candidate (or plan, configuration and seed) as canonical JSON", nullable=False),
        _f("snapshot_at", TIMESTAMP, "when the snapshot was taken", nullable=False),
    ]
)
SCHEMAS: dict[str, pa.Schema] = {
    DRAWS: DRAWS_SCHEMA,
    INSPECTORS: INSPECTORS_SCHEMA,
    VISITS: VISITS_SCHEMA,
    SNAPSHOTS: SNAPSHOTS_SCHEMA,
}


def canonical_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class SnapshotRow:
    kind: str
    key: str
    region_code: str | None
    payload: str


def snapshot_rows(result: DrawResult) -> list[SnapshotRow]:
    """The plan row, then every entity of the pool (in the plan's region, some item applicable), then every
    officer given to the draw. Entities outside the pool cannot change the draw, so they are left out."""
    plan_payload = {
        "plan": result.plan.to_dict(),
        "config": result.config.to_dict(),
        "seed": result.seed,
        "seed_algorithm": SEED_ALGORITHM,
    }
    in_pool = {row.uscc for row in result.pool}
    rows = [
        SnapshotRow(KIND_PLAN, result.plan.plan_id, result.plan.region_code, canonical_json(plan_payload))
    ]
    rows.extend(
        SnapshotRow(KIND_ENTITY, e.uscc, e.region_code, canonical_json(e.to_dict()))
        for e in result.entities
        if e.uscc in in_pool
    )
    rows.extend(
        SnapshotRow(KIND_OFFICER, o.certificate_no, o.region_code, canonical_json(o.to_dict()))
        for o in result.officers
    )
    return rows


def snapshot_hash(rows: Iterable[SnapshotRow]) -> str:
    """Order-independent hash of a snapshot (rows sorted by kind and key)."""
    digest = hashlib.sha256()
    for row in sorted(rows, key=lambda r: (r.kind, r.key)):
        digest.update(f"{row.kind}\t{row.key}\t{row.payload}\n".encode())
    return digest.hexdigest()


def _join(values: Sequence[str]) -> str:
    return ",".join(values)


def draw_tables(
    result: DrawResult, visits: Sequence[JointVisit], published_at: dt.datetime
) -> dict[str, pa.Table]:
    """The rows of one draw for the draws, inspectors and snapshot tables."""
    snap = snapshot_rows(result)
    digest = snapshot_hash(snap)
    visit_ids = visit_of(visits)
    plan = result.plan
    draws = [
        {
            "draw_id": result.draw_id,
            "plan_id": plan.plan_id,
            "plan_name": plan.plan_name,
            "uscc": obj.uscc,
            "entity_name": obj.entity_name,
            "region_code": obj.region_code,
            "risk_class": obj.risk_class,
            "class_source": obj.class_source,
            "class_reason": obj.class_reason,
            "item_codes": _join(obj.item_codes),
            "department_codes": _join(obj.department_codes),
            "sampling_ratio": obj.ratio,
            "selection_key": obj.selection_key,
            "draw_rank": obj.rank,
            "officer_certificate_nos": _join([a.certificate_no for a in obj.assignments]),
            "inspector_count": len(obj.assignments),
            "shortfall_department_codes": _join(obj.shortfall_departments) or None,
            "visit_id": visit_ids.get((result.draw_id, obj.uscc)),
            "seed": result.seed,
            "published_value": plan.published_value,
            "snapshot_sha256": digest,
            "config_version": result.config.version,
            "period_start_date": plan.period_start,
            "period_end_date": plan.period_end,
            "published_at": published_at,
        }
        for obj in result.drawn
    ]
    inspectors = [
        {
            "draw_id": result.draw_id,
            "plan_id": plan.plan_id,
            "uscc": a.uscc,
            "department_code": a.department_code,
            "officer_certificate_no": a.certificate_no,
            "seat": a.seat,
            "visit_id": visit_ids.get((result.draw_id, a.uscc)),
            "published_at": published_at,
        }
        for a in result.assignments()
    ]
    snapshots = [
        {
            "draw_id": result.draw_id,
            "row_kind": row.kind,
            "candidate_key": row.key,
            "region_code": row.region_code,
            "payload": row.payload,
            "snapshot_at": published_at,
        }
        for row in snap
    ]
    return {
        DRAWS: pa.Table.from_pylist(draws, schema=DRAWS_SCHEMA),
        INSPECTORS: pa.Table.from_pylist(inspectors, schema=INSPECTORS_SCHEMA),
        SNAPSHOTS: pa.Table.from_pylist(snapshots, schema=SNAPSHOTS_SCHEMA),
    }


def visits_table(visits: Sequence[JointVisit], batch_id: str, published_at: dt.datetime) -> pa.Table:
    rows = [
        {
            "visit_id": v.visit_id,
            "batch_id": batch_id,
            "uscc": v.uscc,
            "draw_ids": _join(v.draw_ids),
            "plan_ids": _join(v.plan_ids),
            "department_codes": _join(v.department_codes),
            "item_codes": _join(v.item_codes),
            "officer_certificate_nos": _join(v.certificate_nos),
            "window_start_date": v.window_start,
            "window_end_date": v.window_end,
            "separate_visit_count": len(v.entries),
            "visits_saved": v.visits_saved,
            "is_joint": v.is_joint,
            "published_at": published_at,
        }
        for v in visits
    ]
    return pa.Table.from_pylist(rows, schema=VISITS_SCHEMA)


def table(settings: Settings, name: str) -> LakeTable:
    """The gold table ``name``, created append-only on first use."""
    path: Path = settings.table_path(LAYER, name)
    return LakeTable.create(
        path,
        SCHEMAS[name],
        properties=TABLE_PROPERTIES,
        description=f"双随机、一公开: {name}",
        exist_ok=True,
    )


def batch_id_of(results: Sequence[DrawResult]) -> str:
    """A publication batch is named by the draws it holds."""
    text = "|".join(sorted(r.draw_id for r in results))
    return "B" + hashlib.sha256(text.encode()).hexdigest()[:20]


def is_published(settings: Settings, draw_id: str) -> bool:
    """Whether every table of the draw records its publication transaction."""
    txn = AppTransaction.for_batch(draw_id, writer=PUBLISH_WRITER)
    for name in (SNAPSHOTS, INSPECTORS, DRAWS):
        lake = LakeTable(settings.table_path(LAYER, name))
        if not lake.exists() or not lake.applied(txn):
            return False
    return True


def publish(
    settings: Settings,
    results: Sequence[DrawResult],
    visits: Sequence[JointVisit],
    *,
    published_at: dt.datetime,
) -> dict[str, Any]:
    """Append the draws, their inspectors, snapshots and the batch's joint visits; refuse published draws."""
    already = [r.draw_id for r in results if is_published(settings, r.draw_id)]
    if already:
        raise DrawAlreadyPublishedError(
            f"draw(s) {', '.join(already)} already published; published draws are never rewritten "
            "(publish a new draw with a new published value instead)"
        )
    versions: dict[str, int] = {}
    rows: dict[str, int] = {DRAWS: 0, INSPECTORS: 0, SNAPSHOTS: 0, VISITS: 0}
    for result in results:
        txn = AppTransaction.for_batch(result.draw_id, writer=PUBLISH_WRITER)
        tables = draw_tables(result, visits, published_at)
        # The snapshot first, the draw rows last: a reader who sees a draw can always verify it.
        for name in (SNAPSHOTS, INSPECTORS, DRAWS):
            commit = table(settings, name).append(
                tables[name], txn=txn, metadata={"draw_id": result.draw_id, "plan_id": result.plan.plan_id}
            )
            versions[name] = commit.version
            rows[name] += tables[name].num_rows if commit.committed else 0
        log.info("published draw %s: %d object(s)", result.draw_id, len(result.drawn))
    batch = batch_id_of(results)
    if visits:
        commit = table(settings, VISITS).append(
            visits_table(visits, batch, published_at),
            txn=AppTransaction.for_batch(batch, writer=PUBLISH_WRITER),
            metadata={"batch_id": batch},
        )
        versions[VISITS] = commit.version
        rows[VISITS] = len(visits) if commit.committed else 0
    return {"batch_id": batch, "versions": versions, "rows": rows}
