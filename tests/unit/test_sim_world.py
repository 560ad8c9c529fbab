"""The simulated world is coherent: valid codes wherever the ground truth says no dirt was planted, parties whose
credit codes agree with their address, and complaint lifecycles in order on the working-day calendar.

One tiny run (default dirt) is made for the module and read back through the ingestion readers, so the checks
see the values exactly as the pipeline will. The code checks are the pipeline's own (``jianguan.validate``); a
value that fails one without a matching entry in ``dirty_rows.jsonl`` is unplanned dirt, i.e. a simulator bug.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from jianguan.calendar import WORK_END, WORK_START, WorkCalendar
from jianguan.ingest.readers import FeedFileReader
from jianguan.rules.context import region_catalog
from jianguan.settings import PROJECT_ROOT
from jianguan.sim import SCALES, DirtConfig, SimConfig, simulate
from jianguan.spec.loader import Standard, cached_standard
from jianguan.validate.codes import (
    RegionCatalog,
    check_id_number,
    check_uscc,
    id_number_gender,
    make_format_checks,
)

START = date(2026, 11, 2)
DAYS = 3
TIMESTAMP = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class Row:
    file: str
    number: int
    values: dict[str, str | None]
    dirty: frozenset[str]
    """Fields the ground truth says were spoiled on purpose ("*" when the whole row is a planted copy)."""

    def clean(self, field: str) -> str | None:
        """The value when it is present and not planted dirt, else None."""
        value = self.values.get(field)
        return value if value not in (None, "") and field not in self.dirty else None


@dataclass
class World:
    root: Path
    standard: Standard
    rows: dict[str, list[Row]]
    manifest: dict[str, Any]

    def table(self, name: str) -> list[Row]:
        return self.rows.get(name, [])


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            yield json.loads(line)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    standard = cached_standard(PROJECT_ROOT / "schemas")
    root = tmp_path_factory.mktemp("sim-world")
    config = SimConfig(
        scale=SCALES["tiny"], seed=4242, days=DAYS, start=START, province_code="420000",
        landing_root=root / "landing", truth_root=root / "truth", schemas_root=standard.root, dirt=DirtConfig(),
    )  # fmt: skip
    simulate(config, standard)
    manifest = json.loads((root / "truth" / "manifest.json").read_text(encoding="utf-8"))
    dirty: dict[tuple[str, int], set[str]] = defaultdict(set)
    for entry in read_jsonl(root / "truth" / "dirty_rows.jsonl"):
        if entry["field"]:
            dirty[(entry["file"], entry["row"])].add(entry["field"])
    for entry in read_jsonl(root / "truth" / "duplicates.jsonl"):
        # a duplicate repeats the original row, including whatever dirt the original carries
        dirty[(entry["file"], entry["row"])] |= dirty.get((entry["file"], entry["duplicate_of_row"]), set())
    rows: dict[str, list[Row]] = defaultdict(list)
    for entry in manifest["files"]:
        feed = standard.feeds[entry["feed"]]
        reader = FeedFileReader(root / "landing" / entry["path"], feed, set())
        for batch in reader.batches():
            for number, values in zip(batch.row_numbers.tolist(), batch.table.to_pylist(), strict=True):
                fields = frozenset(dirty.get((entry["path"], number), set()))
                rows[feed.table].append(Row(entry["path"], number, values, fields))
    return World(root, standard, dict(rows), manifest)


@pytest.fixture(scope="module")
def regions(world: World) -> RegionCatalog:
    return region_catalog(world.standard)


@pytest.fixture(scope="module")
def calendar() -> WorkCalendar:
    return WorkCalendar.load()


def timestamp(text: str | None) -> datetime | None:
    return datetime.strptime(text, TIMESTAMP) if text else None


def first_failures(failures: list[str], limit: int = 10) -> str:
    return f"{len(failures)} failures, e.g.:\n" + "\n".join(failures[:limit])


# -- codes ------------------------------------------------------------------------------------------------
def test_every_clean_formatted_value_passes_the_pipeline_checks(world: World, regions: RegionCatalog) -> None:
    checks = make_format_checks(regions, today=date.fromisoformat(world.manifest["run"]["end"]))
    failures = []
    checked = defaultdict(int)
    for table_name, rows in world.rows.items():
        table = world.standard.tables[table_name]
        formatted = [f for f in table.fields if f.format in checks]
        for row in rows:
            for spec in formatted:
                value = row.clean(spec.name)
                if value is None:
                    continue
                values = value.split(",") if spec.multi_value else [value]
                for single in values:
                    checked[spec.format] += 1
                    problem = checks[str(spec.format)](single)
                    if problem:
                        failures.append(f"{row.file}:{row.number} {spec.name}={single!r}: {problem}")
    assert not failures, first_failures(failures)
    # the tiny world is big enough to exercise every code kind that matters
    for kind in ("uscc", "id_number", "region_code", "party_code", "item_code", "checklist_code", "phone"):
        assert checked[kind] > 20, (kind, dict(checked))


def test_clean_coded_values_are_in_their_code_lists(world: World) -> None:
    failures = []
    for table_name, rows in world.rows.items():
        table = world.standard.tables[table_name]
        coded = [f for f in table.fields if f.code_list and f.code_list in world.standard.codes]
        for row in rows:
            for spec in coded:
                value = row.clean(spec.name)
                if value is None:
                    continue
                allowed = world.standard.codes[str(spec.code_list)].values
                values = value.split(",") if spec.multi_value else [value]
                failures += [f"{row.file}:{row.number} {spec.name}={v!r}" for v in values if v not in allowed]
    assert not failures, first_failures(failures)


def test_clean_dates_are_in_the_agreed_format(world: World) -> None:
    failures = []
    for table_name, rows in world.rows.items():
        table = world.standard.tables[table_name]
        temporal = [f for f in table.fields if f.type in ("date", "timestamp")]
        for row in rows:
            for spec in temporal:
                value = row.clean(spec.name)
                if value is None:
                    continue
                try:
                    if spec.type == "date":
                        date.fromisoformat(value)
                    else:
                        datetime.strptime(value, TIMESTAMP)
                except ValueError:
                    failures.append(f"{row.file}:{row.number} {spec.name}={value!r}")
    assert not failures, first_failures(failures)


def test_registered_parties_have_credit_codes_matching_their_address(
    world: World, regions: RegionCatalog
) -> None:
    """GB 32100: position 1 is the registering authority (9 市场监管, 5 民政), 3–8 the registration region."""
    expected_prefix = {"enterprises": "91", "individual_businesses": "92", "other_legal_persons": "5"}
    address_field = {"enterprises": "domicile", "individual_businesses": "operating_address",
                     "other_legal_persons": "registered_address"}  # fmt: skip
    labels = {c.code: c.label_zh for c in world.standard.codes["regions"].codes}
    checked = 0
    for table_name, prefix in expected_prefix.items():
        for row in world.table(table_name):
            uscc, region, address = (
                row.clean("uscc"),
                row.clean("region_code"),
                row.clean(address_field[table_name]),
            )
            if uscc is None or region is None:
                continue
            checked += 1
            assert check_uscc(uscc) is None, (row.file, row.number, uscc)
            assert uscc.startswith(prefix), (row.file, row.number, uscc)
            assert uscc[2:8] == region, (row.file, row.number, uscc, region)
            assert regions.level(region) == "county", (row.file, row.number, region)
            prefecture = regions.prefecture_of(region)
            assert regions.province_of(region) == "420000"
            if address is not None and "address" not in row.dirty:
                assert labels[region] in address, (row.file, row.number, address, labels[region])
                assert prefecture is not None and labels[prefecture] in address, (
                    row.file,
                    row.number,
                    address,
                )
    assert checked > 150


def test_id_numbers_are_valid_and_agree_with_gender_and_birth_date(
    world: World, regions: RegionCatalog
) -> None:
    failures = []
    persons = 0
    for row in world.table("natural_persons"):
        number = row.clean("party_code")
        if number is None:
            continue
        persons += 1
        problem = check_id_number(number, known_regions=regions)
        if problem:
            failures.append(f"{row.file}:{row.number} {number}: {problem}")
            continue
        gender = world.standard.codes["gender"].label(row.values["gender_code"] or "")
        assert ("男" in gender) == (id_number_gender(number) == "1"), (row.file, row.number, gender, number)
        birth = row.clean("birth_date")
        if birth is not None:
            assert birth.replace("-", "") == number[6:14], (row.file, row.number, birth, number)
    for row in world.table("consumer_complaints"):
        number = row.clean("consumer_id_number")
        if number is not None:
            persons += 1
            problem = check_id_number(number, known_regions=regions)
            if problem:
                failures.append(f"{row.file}:{row.number} {number}: {problem}")
    assert not failures, first_failures(failures)
    assert persons > 20


# -- lifecycles on the working-day calendar ---------------------------------------------------------------
def office_hours(calendar: WorkCalendar, moment: datetime) -> bool:
    return calendar.is_working_day(moment.date()) and WORK_START <= moment.time() <= WORK_END


def test_hotline_work_orders_move_forward_within_working_day_limits(
    world: World, calendar: WorkCalendar
) -> None:
    orders = world.table("hotline_work_orders")
    dispatched_count = 0
    for row in orders:
        accepted = timestamp(row.clean("accepted_at"))
        dispatched = timestamp(row.clean("dispatched_at"))
        solved = timestamp(row.clean("solved_at"))
        closed = timestamp(row.clean("closed_at"))
        callback = timestamp(row.clean("callback_at"))
        sequence = [t for t in (accepted, dispatched, solved, closed, callback) if t is not None]
        assert sequence == sorted(sequence), (row.file, row.number, sequence)
        if closed is not None and dispatched is not None:
            assert solved is not None or "solved_at" in row.dirty, (row.file, row.number)  # 答复 before 办结
        due = timestamp(row.clean("due_at"))
        if dispatched is None or due is None or accepted is None:
            continue
        dispatched_count += 1
        assert office_hours(calendar, dispatched), (row.file, row.number, dispatched)
        assert calendar.is_working_day(due.date()), (row.file, row.number, due)
        # 办理时限: 3, 5 or 7 working days by request type, 8 more for complex cases
        limit = calendar.working_days_between(dispatched.date(), due.date())
        assert limit in {3, 5, 7, 11, 13, 15}, (row.file, row.number, dispatched, due, limit)
        extended = timestamp(row.clean("extended_due_at"))
        if extended is not None:
            assert calendar.working_days_between(due.date(), extended.date()) == 5, (row.file, row.number)
    assert dispatched_count > 30


def test_work_order_events_are_numbered_in_time_order(world: World, calendar: WorkCalendar) -> None:
    events: dict[str, list[tuple[int, datetime, str]]] = defaultdict(list)
    labels = {c.code: c.label_zh for c in world.standard.codes["complaint_event_type"].codes}
    for row in world.table("complaint_events"):
        at = timestamp(row.clean("event_at"))
        order, seq = row.values["source_order_no"], row.values["event_seq"]
        if at is None or order is None or seq is None:
            continue
        events[order].append((int(seq), at, labels.get(row.values["event_type_code"] or "", "")))
    assert len(events) > 30
    for order, steps in events.items():
        steps = sorted(set(steps))
        numbers = [s for s, _, _ in steps]
        assert len(numbers) == len(set(numbers)), (order, steps)  # one state per step number
        moments = [at for _, at, _ in steps]
        assert moments == sorted(moments), (order, steps)
        if numbers[0] == 1:
            assert "登记" in steps[0][2], (order, steps)
        for _, at, label in steps:
            if any(word in label for word in ("派单", "签收", "退单", "改派", "延期", "回访", "归档")):
                assert office_hours(calendar, at), (order, label, at)


def test_12315_decisions_and_national_deadlines_keep_the_statutory_working_days(
    world: World, calendar: WorkCalendar
) -> None:
    category = {c.code: c.label_zh for c in world.standard.codes["complaint_category"].codes}
    decided = 0
    for row in world.table("consumer_complaints"):
        accepted = timestamp(row.clean("accepted_at"))
        decision = row.clean("acceptance_decision_date")
        if accepted is None or decision is None:
            continue
        decided += 1
        decision_day = date.fromisoformat(decision)
        assert 1 <= calendar.working_days_between(accepted.date(), decision_day) <= 7, (row.file, row.number)
        limit = 15 if "举报" in category.get(row.values["complaint_category_code"] or "", "") else 45
        for field in ("mediation_end_date", "report_decision_date"):
            ended = row.clean(field)
            if ended is not None:
                assert 0 < calendar.working_days_between(decision_day, date.fromisoformat(ended)) <= limit
        closed = timestamp(row.clean("closed_at"))
        if closed is not None:
            assert closed.date() >= decision_day, (row.file, row.number)
    assert decided > 10
    dispatches = 0
    for row in world.table("national_dispatches"):
        sent, deadline = timestamp(row.clean("dispatched_at")), row.clean("deadline_date")
        if sent is None or deadline is None:
            continue
        dispatches += 1
        assert calendar.working_days_between(sent.date(), date.fromisoformat(deadline)) == 15
        signed, feedback = timestamp(row.clean("signed_at")), timestamp(row.clean("feedback_at"))
        sequence = [t for t in (sent, signed, feedback) if t is not None]
        assert sequence == sorted(sequence), (row.file, row.number, sequence)
    assert dispatches > 5


# -- the calendar itself ----------------------------------------------------------------------------------
def test_calendar_knows_holidays_and_adjusted_working_weekends(calendar: WorkCalendar) -> None:
    assert 2026 in calendar.covered_years
    assert not calendar.is_working_day(date(2026, 10, 1))  # 国庆节
    assert not calendar.is_working_day(date(2026, 1, 1))  # 元旦
    assert not calendar.is_working_day(date(2026, 11, 7))  # an ordinary Saturday
    assert calendar.adjusted_workdays, "调休 working weekends must be listed"
    for day in calendar.adjusted_workdays:
        assert day.weekday() >= 5 and calendar.is_working_day(day)
    # seven working days from the eve of 国庆: the whole holiday week is skipped
    eve = date(2026, 9, 30)
    due = calendar.add_working_days(eve, 7)
    assert calendar.working_days_between(eve, due) == 7
    assert due - eve > timedelta(days=9)
