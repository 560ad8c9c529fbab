"""The clue lifecycle (风险线索 下发 → 分派 → 研判 → 处置 → 反馈) and its overdue tracking in working days.

A warning at or above ``clues.yaml: min_level`` issues one clue to the model's department when it is raised.
Departments report progress through the disposal-feedback feed (``schemas/feeds/warning_platform/`` → silver
``stg_actions__risk_clue_feedback``): each event names the clue, a stage (1 分派签收, 2 研判, 3 处置, 4 反馈办结),
when it happened, and optionally the department that took it, the 研判 conclusion and the inspection it led to.

The status of a clue on day D is the furthest stage reached by an event at or before the end of D; each stage
timestamp is its first event (a stage reported without the earlier ones leaves those null — it is still
reached). Deadlines count working days from the issue date on the holiday calendar kept as data, per risk level;
a clue is overdue when a stage was reached after its deadline, or is still unreached after it. ``overdue_stage``
names the first such stage, ``due_at`` is the feedback deadline.

Pure functions over small rows (clues are few), unit-tested without Spark; times are aware datetimes in
Asia/Shanghai.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, time
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from jianguan.risk.config import CLUE_STATUSES, CluesConfig
from jianguan.risk.warnings import Warning, stable_id

SHANGHAI = ZoneInfo("Asia/Shanghai")
STAGES = CLUE_STATUSES[1:]
"""The stages a clue goes through after it is issued, in order."""
END_OF_DAY = time(23, 59, 59)


class Calendar(Protocol):
    """What the lifecycle needs from the working-day calendar (``jianguan.calendar.WorkCalendar``)."""

    def add_working_days(self, day: date, count: int) -> date: ...

    def working_days_between(self, start: date, end: date) -> int: ...


@dataclass(frozen=True)
class FeedbackEvent:
    feedback_id: str
    clue_id: str
    stage_code: str
    event_at: datetime
    department_code: str | None = None
    judgement_code: str | None = None
    inspection_code: str | None = None


@dataclass(frozen=True)
class Clue:
    clue_id: str
    warning_id: str
    model: str
    model_label_zh: str
    uscc: str
    entity_name: str | None
    department_code: str
    region_code: str | None
    level: str
    issued_at: datetime
    status: str
    due_at: datetime
    assigned_at: datetime | None = None
    judged_at: datetime | None = None
    disposed_at: datetime | None = None
    fed_back_at: datetime | None = None
    overdue: bool = False
    overdue_stage: str | None = None
    judgement_code: str | None = None
    inspection_code: str | None = None
    working_days_open: int = 0

    def as_row(self) -> dict[str, Any]:
        return asdict(self)


def end_of(day: date) -> datetime:
    return datetime.combine(day, END_OF_DAY, tzinfo=SHANGHAI)


def stage_deadlines(
    issued: datetime, level: str, config: CluesConfig, calendar: Calendar
) -> dict[str, datetime]:
    """Each stage's deadline: the end of the N-th working day after the issue date (N per level)."""
    days = config.stage_deadlines_working_days[level].as_dict()
    start = issued.astimezone(SHANGHAI).date()
    return {stage: end_of(calendar.add_working_days(start, days[stage])) for stage in STAGES}


def issue_clue(warning: Warning, as_of: date, config: CluesConfig, calendar: Calendar) -> Clue | None:
    """The clue a newly raised warning issues, or None when its level is below the clue level."""
    if not warning.is_new or warning.risk_level < config.min_level:
        return None
    hour, minute = (int(x) for x in config.issue_time.split(":"))
    issued = datetime.combine(as_of, time(hour, minute), tzinfo=SHANGHAI)
    deadlines = stage_deadlines(issued, warning.risk_level, config, calendar)
    return Clue(
        clue_id=stable_id("XS", warning.warning_id),
        warning_id=warning.warning_id,
        model=warning.model,
        model_label_zh=warning.model_label_zh,
        uscc=warning.uscc,
        entity_name=warning.entity_name,
        department_code=warning.department_code,
        region_code=warning.region_code,
        level=warning.risk_level,
        issued_at=issued,
        status="issued",
        due_at=deadlines["fed_back"],
    )


def advance(
    clue: Clue, events: Iterable[FeedbackEvent], as_of: date, config: CluesConfig, calendar: Calendar
) -> Clue:
    """The clue's state at the end of ``as_of`` from all its feedback events (order-independent, idempotent)."""
    cutoff = end_of(as_of)
    relevant = sorted(
        (
            e
            for e in events
            if e.clue_id == clue.clue_id and e.event_at <= cutoff and e.stage_code in config.stage_status
        ),
        key=lambda e: (e.event_at, e.feedback_id),
    )
    reached: dict[str, datetime] = {}
    department = clue.department_code
    judgement = clue.judgement_code
    inspection = clue.inspection_code
    for event in relevant:
        event_stage: str = config.stage_status[event.stage_code]
        reached.setdefault(event_stage, event.event_at)
        if event_stage == "assigned" and event.department_code:
            department = event.department_code
        if event.judgement_code:
            judgement = event.judgement_code
        if event.inspection_code:
            inspection = event.inspection_code
    status: str = max(reached, key=STAGES.index) if reached else "issued"
    deadlines = stage_deadlines(clue.issued_at, clue.level, config, calendar)
    furthest = STAGES.index(status) if status in STAGES else -1
    overdue_stage = None
    for position, stage in enumerate(STAGES):
        # a later stage implies the earlier ones were done; its own time is the best bound we have
        done_at = reached.get(stage) or next(
            (reached[s] for s in STAGES[position + 1 :] if s in reached), None
        )
        if position > furthest:
            done_at = None
        late = done_at > deadlines[stage] if done_at is not None else cutoff > deadlines[stage]
        if late:
            overdue_stage = stage
            break
    closed_on = reached["fed_back"].astimezone(SHANGHAI).date() if "fed_back" in reached else as_of
    return replace(
        clue,
        status=status,
        assigned_at=reached.get("assigned"),
        judged_at=reached.get("judged"),
        disposed_at=reached.get("disposed"),
        fed_back_at=reached.get("fed_back"),
        department_code=department,
        judgement_code=judgement,
        inspection_code=inspection,
        overdue=overdue_stage is not None,
        overdue_stage=overdue_stage,
        due_at=deadlines["fed_back"],
        working_days_open=calendar.working_days_between(
            clue.issued_at.astimezone(SHANGHAI).date(), closed_on
        ),
    )


def lifecycle(
    previous: Iterable[Clue],
    warnings: Iterable[Warning],
    events: Iterable[FeedbackEvent],
    as_of: date,
    config: CluesConfig,
    calendar: Calendar,
) -> list[Clue]:
    """Every clue issued up to ``as_of`` with its state at the end of the day: the previous snapshot's clues,
    plus one per new warning, all advanced by the feedback events. Sorted by clue id."""
    clues: dict[str, Clue] = {c.clue_id: c for c in previous}
    for warning in warnings:
        clue = issue_clue(warning, as_of, config, calendar)
        if clue is not None:
            clues.setdefault(clue.clue_id, clue)
    by_clue: dict[str, list[FeedbackEvent]] = {}
    for event in events:
        by_clue.setdefault(event.clue_id, []).append(event)
    return [advance(clues[key], by_clue.get(key, []), as_of, config, calendar) for key in sorted(clues)]


def clue_status_by_warning(clues: Iterable[Clue]) -> Mapping[str, str]:
    return {c.warning_id: c.status for c in clues}
