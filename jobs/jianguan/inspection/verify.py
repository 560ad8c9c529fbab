"""Re-derive a published draw from its recorded snapshot and seed, and compare it with what was published.

Anyone holding the gold tables (or their public export) can do what this module does: read the ``plan`` row of
the snapshot (plan, configuration, seed), the entity and officer rows, check the snapshot hash recorded with the
draw, recompute the seed from the plan id and the published value, run :func:`~jianguan.inspection.draw.draw`
again and compare objects, order, classes, items and inspectors with the published rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pyarrow.compute as pc

from jianguan.errors import JianguanError
from jianguan.inspection.draw import DrawResult, EntityCandidate, OfficerCandidate, draw
from jianguan.inspection.plans import config_from_dict, plan_from_dict
from jianguan.inspection.publish import (
    DRAWS,
    INSPECTORS,
    KIND_ENTITY,
    KIND_OFFICER,
    KIND_PLAN,
    LAYER,
    SNAPSHOTS,
    SnapshotRow,
    snapshot_hash,
)
from jianguan.inspection.seed import derive_seed
from jianguan.lake import LakeTable
from jianguan.settings import Settings


class DrawNotFoundError(JianguanError):
    """No published draw with this id."""


@dataclass
class VerifyReport:
    draw_id: str
    drawn_count: int = 0
    snapshot_ok: bool = False
    seed_ok: bool = False
    objects_ok: bool = False
    inspectors_ok: bool = False
    differences: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.snapshot_ok and self.seed_ok and self.objects_ok and self.inspectors_ok

    def to_dict(self) -> dict[str, object]:
        return {
            "draw_id": self.draw_id,
            "ok": self.ok,
            "drawn_count": self.drawn_count,
            "snapshot_ok": self.snapshot_ok,
            "seed_ok": self.seed_ok,
            "objects_ok": self.objects_ok,
            "inspectors_ok": self.inspectors_ok,
            "differences": self.differences[:20],
        }


def _rows(settings: Settings, name: str, draw_id: str) -> list[dict[str, Any]]:
    lake = LakeTable(settings.table_path(LAYER, name))
    if not lake.exists():
        return []
    return lake.read(filter=pc.field("draw_id") == draw_id).to_pylist()


def rederive(snapshot: list[SnapshotRow]) -> tuple[DrawResult, str]:
    """The draw recomputed from snapshot rows, and the seed recorded in the snapshot."""
    plans = [r for r in snapshot if r.kind == KIND_PLAN]
    if len(plans) != 1:
        raise DrawNotFoundError(f"the snapshot holds {len(plans)} plan rows instead of one")
    header = json.loads(plans[0].payload)
    plan = plan_from_dict(header["plan"])
    config = config_from_dict(header["config"])
    entities = [EntityCandidate.from_dict(json.loads(r.payload)) for r in snapshot if r.kind == KIND_ENTITY]
    officers = [OfficerCandidate.from_dict(json.loads(r.payload)) for r in snapshot if r.kind == KIND_OFFICER]
    return draw(plan, config, entities, officers), str(header["seed"])


def verify_draw(settings: Settings, draw_id: str) -> VerifyReport:
    """Compare the published draw ``draw_id`` with its re-derivation; every difference is listed."""
    snapshot = [
        SnapshotRow(str(r["row_kind"]), str(r["candidate_key"]), r["region_code"], str(r["payload"]))
        for r in _rows(settings, SNAPSHOTS, draw_id)
    ]
    if not snapshot:
        raise DrawNotFoundError(f"no published draw {draw_id!r} (no candidate snapshot)")
    published = sorted(_rows(settings, DRAWS, draw_id), key=lambda r: int(r["draw_rank"]))
    report = VerifyReport(draw_id=draw_id, drawn_count=len(published))
    recorded_hash = {r["snapshot_sha256"] for r in published}
    digest = snapshot_hash(snapshot)
    report.snapshot_ok = not published or recorded_hash == {digest}
    if not report.snapshot_ok:
        report.differences.append(
            f"snapshot hash {digest} differs from the recorded {sorted(map(str, recorded_hash))}"
        )

    result, recorded_seed = rederive(snapshot)
    seed = derive_seed(result.plan.plan_id, result.plan.published_value)
    report.seed_ok = seed == recorded_seed and result.draw_id == draw_id
    if not report.seed_ok:
        report.differences.append("the seed recomputed from the plan id and published value differs")

    expected = [(o.uscc, o.risk_class, ",".join(o.item_codes), o.selection_key, o.rank) for o in result.drawn]
    got = [
        (r["uscc"], r["risk_class"], r["item_codes"], r["selection_key"], int(r["draw_rank"]))
        for r in published
    ]
    report.objects_ok = expected == got
    if not report.objects_ok:
        missing = {e[0] for e in expected} - {g[0] for g in got}
        extra = {g[0] for g in got} - {e[0] for e in expected}
        report.differences.append(
            f"objects differ: {len(expected)} re-derived vs {len(got)} published; "
            f"{len(missing)} missing, {len(extra)} not re-derived"
        )
    expected_inspectors = sorted(
        (a.uscc, a.department_code, a.certificate_no, a.seat) for a in result.assignments()
    )
    got_inspectors = sorted(
        (r["uscc"], r["department_code"], r["officer_certificate_no"], r["seat"])
        for r in _rows(settings, INSPECTORS, draw_id)
    )
    report.inspectors_ok = expected_inspectors == got_inspectors
    if not report.inspectors_ok:
        report.differences.append(
            f"inspectors differ: {len(expected_inspectors)} re-derived vs {len(got_inspectors)} published"
        )
    return report
