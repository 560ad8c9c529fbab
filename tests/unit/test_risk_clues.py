"""The clue lifecycle: issue, stages from disposal feedback, working-day deadlines and overdue tracking."""

from __future__ import annotations

from datetime import date, datetime

from jianguan.calendar import WorkCalendar
from jianguan.risk.clues import SHANGHAI, FeedbackEvent, issue_clue, lifecycle
from jianguan.risk.config import load_config
from jianguan.risk.warnings import Candidate, merge_warnings

CONFIG = load_config()
CAL = WorkCalendar.load()
ISSUE_DAY = date(2026, 9, 28)  # a Monday just before the National Day holiday (Oct 1–7 2026 in the calendar)


def warning(level: str = "3", score: float = 80):  # type: ignore[no-untyped-def]
    cand = Candidate(
        "91420100MA4K00001X", "illegal_device_sales", score, level, "[]", "某某器械有限公司", "420102"
    )
    (w,) = merge_warnings([], [cand], CONFIG.models, ISSUE_DAY)
    return w


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def event(clue_id: str, stage: str, when: datetime, n: int = 0, **kw: str) -> FeedbackEvent:
    return FeedbackEvent(f"FK{stage}{n}", clue_id, stage, when, **kw)


def test_only_warnings_at_the_clue_level_issue_clues() -> None:
    assert issue_clue(warning(level="1", score=40), ISSUE_DAY, CONFIG.clues, CAL) is None
    clue = issue_clue(warning(), ISSUE_DAY, CONFIG.clues, CAL)
    assert clue is not None and clue.status == "issued" and clue.department_code == "YPJG"
    assert clue.issued_at == datetime(2026, 9, 28, 18, 0, tzinfo=SHANGHAI)


def test_due_date_counts_working_days_over_the_holiday() -> None:
    clue = issue_clue(warning(level="3"), ISSUE_DAY, CONFIG.clues, CAL)
    assert clue is not None
    days = CONFIG.clues.stage_deadlines_working_days["3"].fed_back
    expected = CAL.add_working_days(ISSUE_DAY, days)
    assert clue.due_at.date() == expected
    # 15 working days from Sep 28 2026 jump the whole Golden Week: far more than 15 calendar days
    assert (expected - ISSUE_DAY).days > days + 4


def test_stages_follow_feedback_and_status_is_the_furthest_reached() -> None:
    w = warning()
    (clue,) = lifecycle([], [w], [], ISSUE_DAY, CONFIG.clues, CAL)
    events = [
        event(clue.clue_id, "1", at(date(2026, 9, 29)), department_code="SCJG"),
        event(clue.clue_id, "2", at(date(2026, 9, 30)), judgement_code="1"),
    ]
    (after,) = lifecycle([clue], [], events, date(2026, 9, 30), CONFIG.clues, CAL)
    assert after.status == "judged"
    assert after.assigned_at == at(date(2026, 9, 29)) and after.judged_at == at(date(2026, 9, 30))
    assert after.department_code == "SCJG" and after.judgement_code == "1"
    assert not after.overdue
    # an event after the logical date is not seen yet
    late = [*events, event(clue.clue_id, "4", at(date(2026, 10, 9)))]
    (same,) = lifecycle([clue], [], late, date(2026, 9, 30), CONFIG.clues, CAL)
    assert same.status == "judged" and same.fed_back_at is None


def test_overdue_when_a_stage_is_not_reached_by_its_deadline() -> None:
    (clue,) = lifecycle([], [warning(level="4", score=95)], [], ISSUE_DAY, CONFIG.clues, CAL)
    assigned_by = CAL.add_working_days(ISSUE_DAY, CONFIG.clues.stage_deadlines_working_days["4"].assigned)
    (on_deadline,) = lifecycle([clue], [], [], assigned_by, CONFIG.clues, CAL)
    assert not on_deadline.overdue
    (next_day,) = lifecycle([clue], [], [], CAL.add_working_days(assigned_by, 1), CONFIG.clues, CAL)
    assert next_day.overdue and next_day.overdue_stage == "assigned"


def test_fed_back_in_time_is_closed_and_not_overdue_later() -> None:
    (clue,) = lifecycle([], [warning()], [], ISSUE_DAY, CONFIG.clues, CAL)
    events = [event(clue.clue_id, s, at(date(2026, 9, 29), 9 + int(s))) for s in "1234"]
    (done,) = lifecycle([clue], [], events, date(2026, 12, 31), CONFIG.clues, CAL)
    assert done.status == "fed_back" and not done.overdue
    assert done.working_days_open == 1


def test_late_feedback_is_overdue_on_the_late_stage() -> None:
    (clue,) = lifecycle([], [warning()], [], ISSUE_DAY, CONFIG.clues, CAL)
    judged_late = CAL.add_working_days(ISSUE_DAY, CONFIG.clues.stage_deadlines_working_days["3"].judged + 1)
    events = [event(clue.clue_id, "1", at(date(2026, 9, 29))), event(clue.clue_id, "2", at(judged_late))]
    (after,) = lifecycle([clue], [], events, judged_late, CONFIG.clues, CAL)
    assert after.overdue and after.overdue_stage == "judged"


def test_rerun_is_idempotent_and_order_independent() -> None:
    (clue,) = lifecycle([], [warning()], [], ISSUE_DAY, CONFIG.clues, CAL)
    events = [
        event(clue.clue_id, "2", at(date(2026, 9, 30))),
        event(clue.clue_id, "1", at(date(2026, 9, 29))),
    ]
    first = lifecycle([clue], [], events, date(2026, 10, 9), CONFIG.clues, CAL)
    again = lifecycle(first, [], list(reversed(events)), date(2026, 10, 9), CONFIG.clues, CAL)
    assert first == again
