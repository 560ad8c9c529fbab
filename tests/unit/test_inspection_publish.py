"""Publication: append-only gold tables, refused republication, Delta history, and `verify` re-derivation."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from jianguan.errors import StorageError
from jianguan.inspection import synthetic
from jianguan.inspection.draw import DrawResult, draw
from jianguan.inspection.joint import entries_of, merge_visits
from jianguan.inspection.plans import PlanItem, load_config
from jianguan.inspection.publish import (
    DRAWS,
    INSPECTORS,
    LAYER,
    SNAPSHOTS,
    VISITS,
    DrawAlreadyPublishedError,
    publish,
)
from jianguan.inspection.verify import DrawNotFoundError, verify_draw
from jianguan.lake import LakeTable
from jianguan.settings import Settings

CONFIG = load_config()
PUBLISHED_AT = dt.datetime(2026, 6, 1, 2, 0, tzinfo=dt.UTC)


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    return Settings(lakehouse_root=tmp_path / "lakehouse")


def _draws() -> list[DrawResult]:
    prov = synthetic.province(800, seed=9)
    ratios = {"A": 0.05, "B": 0.2, "C": 0.5, "D": 0.9}
    samr = synthetic.plan_for(prov, plan_id="P-SCJG", class_ratios=ratios, items=prov.items[:2])
    health = synthetic.plan_for(prov, plan_id="P-WSJK", class_ratios=ratios, items=prov.items[2:])
    return [draw(plan, CONFIG, prov.entities, prov.officers) for plan in (samr, health)]


def test_publish_then_verify_then_refuse_a_second_publication(settings: Settings) -> None:
    results = _draws()
    visits = merge_visits([e for r in results for e in entries_of(r)])
    summary = publish(settings, results, visits, published_at=PUBLISHED_AT)
    assert summary["rows"][DRAWS] == sum(len(r.drawn) for r in results)
    assert summary["rows"][INSPECTORS] == sum(len(r.assignments()) for r in results)
    assert summary["rows"][VISITS] == len(visits) < summary["rows"][DRAWS]

    for result in results:
        report = verify_draw(settings, result.draw_id)
        assert report.ok, report.differences
        assert report.drawn_count == len(result.drawn)

    with pytest.raises(DrawAlreadyPublishedError):
        publish(settings, results[:1], [], published_at=PUBLISHED_AT + dt.timedelta(days=1))
    # A new draw of the same plan (new published value) is a new draw id and is accepted.
    redrawn = dataclasses.replace(results[0].plan, published_value="another public value")
    again = draw(redrawn, CONFIG, results[0].entities, results[0].officers)
    assert again.draw_id != results[0].draw_id
    publish(settings, [again], [], published_at=PUBLISHED_AT)
    assert verify_draw(settings, again.draw_id).ok


def test_published_tables_refuse_rewrites_and_history_shows_only_appends(settings: Settings) -> None:
    results = _draws()
    publish(
        settings,
        results,
        merge_visits([e for r in results for e in entries_of(r)]),
        published_at=PUBLISHED_AT,
    )
    draws = LakeTable(settings.table_path(LAYER, DRAWS))
    before = draws.read()
    with pytest.raises(StorageError):
        draws.overwrite(before.slice(0, 1))
    with pytest.raises(StorageError):
        draws.delete(f"draw_id = '{results[0].draw_id}'")
    assert draws.read().num_rows == before.num_rows
    for name in (DRAWS, INSPECTORS, SNAPSHOTS, VISITS):
        operations = {c.operation for c in LakeTable(settings.table_path(LAYER, name)).history()}
        assert operations <= {"CREATE TABLE", "WRITE"}, (name, operations)
        assert LakeTable(settings.table_path(LAYER, name)).properties().get("delta.appendOnly") == "true"


def test_verify_detects_a_tampered_snapshot(settings: Settings) -> None:
    results = _draws()
    publish(settings, results, [], published_at=PUBLISHED_AT)
    snapshots = LakeTable(settings.table_path(LAYER, SNAPSHOTS))
    rows = snapshots.read(filter=pc.field("draw_id") == results[0].draw_id)
    entity = rows.filter(pc.equal(rows["row_kind"], "entity")).slice(0, 1).to_pylist()[0]
    # Append-only does not stop someone appending a forged candidate; the recorded hash does.
    forged = {
        **entity,
        "candidate_key": "91999999999999999X",
        "payload": entity["payload"].replace(entity["candidate_key"], "91999999999999999X"),
    }
    snapshots.append(pa.Table.from_pylist([forged], schema=snapshots.schema()))
    report = verify_draw(settings, results[0].draw_id)
    assert not report.ok and not report.snapshot_ok
    assert verify_draw(settings, results[1].draw_id).ok
    with pytest.raises(DrawNotFoundError):
        verify_draw(settings, "P-NOPE-000000000000")


def test_a_draw_with_shortfalls_is_published_and_verified(settings: Settings) -> None:
    """No officer at all for a department: objects are still drawn, the shortfall is published, verify holds."""
    prov = synthetic.province(200, seed=4)
    plan = synthetic.plan_for(prov, items=(PlanItem("30000000000001", "STHJ"),), class_ratios={"D": 1.0})
    result = draw(plan, CONFIG, prov.entities, prov.officers)
    assert result.drawn and all(o.shortfall_departments == ("STHJ",) for o in result.drawn)
    publish(settings, [result], [], published_at=PUBLISHED_AT)
    assert verify_draw(settings, result.draw_id).ok
