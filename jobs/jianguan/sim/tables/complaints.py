"""投诉举报信息库: real complaints, the channel records they produce, and their lifecycles in working time.

A *real event* (someone's problem with a shop, a clinic, a smell) is a pure function of (day, sequence). It is
filed on a primary channel (12345 or 12315); some are transferred from 12345 to 12315 on purpose (the 12315
record then names the 12345 order), and a configurable share is filed again, independently, on the other
channel a little later and in other words, and some of those also reach the province as a national dispatch.
Those unlinked copies are what entity resolution must find; the ground truth lists them by event.

Each channel record has a lifecycle computed once, in office hours on the working-day calendar: 12345
登记 → 派单 → (退单 → 改派) → 签收 → 办理 → (延期, 催办, 督办) → 答复 → 办结 → 回访 → 归档, within the 办理时限
of its request type; 12315 登记 → 受理决定 within 7 working days → 调解 within 45 working days (投诉) or
核查处理 within 15 working days (举报) → 办结; national 转办 → 签收 → 反馈 before the deadline. A record is
delivered when it is created (its state as of that day) and again on every later day a step happens.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from jianguan.sim.emission import Emission, Record
from jianguan.sim.fields import money
from jianguan.sim.tables.base import SimContext, TableGenerator
from jianguan.sim.world import Department, Party, Region

CHANNEL_12345 = "12345"
CHANNEL_12315 = "12315"
CHANNEL_NATIONAL = "national"
DUE_WORKING_DAYS = {"咨询": 3, "求助": 3, "表扬": 3, "建议": 5, "投诉": 7, "举报": 7}
RISK_COMPLAINT_SHARE = 0.06
TRANSFER_TO_12315_SHARE = 0.12


@dataclass(frozen=True)
class RealEvent:
    day: date
    seq: int
    event_id: str
    request: str
    topic: dict[str, Any]
    target: Party | None
    region: Region
    address: str
    title: str
    text: str
    amount: int
    accepted_at: datetime
    complainant_index: int
    department: Department
    channels: tuple[tuple[str, int], ...]
    """(channel, delay in days) for every channel record the event produces, the primary first."""
    linked_transfer: bool
    risk_model: str | None


@dataclass
class Step:
    kind: str
    """An event-type label fragment (登记, 派单, 签收 …) resolved against complaint_event_type."""
    at: datetime
    department: Department | None = None
    target_department: Department | None = None
    due: datetime | None = None
    note: str | None = None
    satisfaction: str | None = None


@dataclass
class Lifecycle:
    steps: list[Step] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    def as_of(self, day: date) -> list[Step]:
        return [s for s in self.steps if s.at.date() <= day]

    def next_day_after(self, day: date) -> date | None:
        later = [s.at.date() for s in self.steps if s.at.date() > day]
        return min(later) if later else None


class ComplaintGenerator(TableGenerator):
    tables = ("hotline_work_orders", "complaint_events", "consumer_complaints", "national_dispatches")

    def __init__(self, ctx: SimContext) -> None:
        super().__init__(ctx)
        scale = self.world.config.scale
        self.per_day = scale.daily("complaint_events", minimum=5)
        self.national_per_day = scale.daily("national_dispatches")
        self.topics = self.vocab.entries("complaint_topics")
        self.consumer_issues = self.vocab.entries("consumer_issues")
        self.rewordings = [tuple(pair) for pair in self.vocab.raw.get("rewordings", [])]
        self.source_12345 = self.codes.find("complaint_source_channel", "12345")
        self.samr = self.world.department_for("dept_samr")
        self.departments_by_fragment: dict[str, Department] = {}
        for entry in self.topics:
            fragment = str(entry["dept"])
            match = next((d for d in self.world.departments if fragment in d.name), self.samr)
            self.departments_by_fragment[fragment] = match
        self.event_types: dict[str, str | None] = {
            kind: self.codes.find("complaint_event_type", kind)
            for kind in (
                "登记",
                "派单",
                "签收",
                "办理中",
                "延期",
                "退单",
                "改派",
                "催办",
                "答复",
                "督办",
                "办结",
                "回访",
                "归档",
            )
        }

    # -- real events ------------------------------------------------------------------------------------------
    def real_event(self, day: date, seq: int) -> RealEvent:
        rng = self.rng("complaint-event", day, seq)
        risk_model: str | None = None
        target: Party | None = None
        if self.world.planted and rng.random() < RISK_COMPLAINT_SHARE:
            model = rng.choice(self.world.risk_models)
            indices = self.world.planted_by_model.get(model.id)
            if indices:
                target = self.world.party("enterprise", rng.choice(indices))
                risk_model = model.id
        primary = CHANNEL_12345 if risk_model or rng.random() < 0.7 else CHANNEL_12315
        if risk_model is not None:
            model = self.world.risk_model(risk_model)
            keyword = rng.choice(model.keywords)
            template = rng.choice(model.spec.get("complaint_texts") or ["{name}{keyword}"])
            assert target is not None
            text = template.format(name=target.name, keyword=keyword)
            request = "举报"
            topic: dict[str, Any] = {
                "level1": "市场监管",
                "level2": model.label_zh,
                "level3": "网络违法",
                "dept": "市场监督",
            }
            if (
                "medical" in risk_model
                or "drug" in risk_model
                or "prescription" in risk_model
                or "device" in risk_model
            ):
                topic["dept"] = "药品监督" if "medical" not in risk_model else "市场监督"
            title = f"举报{target.name}{model.label_zh}"
        elif primary == CHANNEL_12345:
            topic = rng.choice(self.topics)
            request = str(topic["request"])
            title = str(topic["title"])
            text = str(topic["text"])
        else:
            issue = rng.choice(self.consumer_issues)
            topic = {"level1": "市场监管", "level2": "消费维权", "level3": issue["commodity"], "dept": "市场监督",
                     "commodity": issue["commodity"], "issue": issue["issue"]}  # fmt: skip
            request = "投诉" if rng.random() < 0.8 else "举报"
            title = f"{issue['commodity']}{issue['issue']}{request}"
            text = str(issue["text"])
        needs_target = "{target}" in text or "{target}" in title
        if target is None and needs_target:
            target = self.world.random_party(rng, day)
        region = target.region if target else self.world.random_county(rng)
        address = target.address if target else self.world.address(rng, region)
        amount = rng.choice((68, 199, 300, 580, 1200, 2000, 3680, 5000, 12800))
        values = {"target": target.name if target else "", "address": address, "amount": amount}
        title = title.format(**values)
        text = text.format(**values)
        accepted_at = self._accept_time(rng, day)
        channels: list[tuple[str, int]] = [(primary, 0)]
        dirt = self.ctx.dirt
        linked = False
        if (
            risk_model is None
            and primary == CHANNEL_12345
            and topic.get("dept") == "市场监督"
            and request in ("投诉", "举报")
        ):
            linked = rng.random() < TRANSFER_TO_12315_SHARE
            if linked:
                channels.append((CHANNEL_12315, 0))
        if not linked and request in ("投诉", "举报") and rng.random() < dirt.cross_channel:
            other = CHANNEL_12315 if primary == CHANNEL_12345 else CHANNEL_12345
            channels.append((other, rng.randint(0, 2)))
            if rng.random() < dirt.national_share:
                channels.append((CHANNEL_NATIONAL, rng.randint(1, 4)))
        department = self.departments_by_fragment.get(str(topic.get("dept")), self.samr)
        return RealEvent(
            day, seq, f"EV{day:%Y%m%d}{seq:07d}", request, topic, target, region, address, title, text, amount,
            accepted_at, self.world.persons.index("complainant", day.toordinal() * 10_000 + seq % 10_000),
            department, tuple(channels), linked, risk_model,
        )  # fmt: skip

    def _accept_time(self, rng: random.Random, day: date) -> datetime:
        # the hotline answers around the clock; most calls come in office hours
        if rng.random() < 0.8:
            return self.office_time(rng, day)
        return datetime.combine(day, datetime.min.time()) + timedelta(minutes=rng.randint(0, 1439))

    # -- the day ------------------------------------------------------------------------------------------------
    def events(self, business: date, delivery: date) -> Iterator[Emission]:
        for seq in range(self.per_day):
            event = self.real_event(business, seq)
            for position, (channel, delay) in enumerate(event.channels):
                created = business + timedelta(days=delay)
                if created == business:
                    marked = position > 0
                    for emission in self._create(event, channel, position, delivery):
                        if not marked and emission.table != "complaint_events":
                            # the primary record carries the event-level dirt decision, counted once
                            emission.notes["cross_channel"] = self._cross_channel_facts(event)
                            marked = True
                        yield emission
                else:
                    self.ctx.queues.put("complaint_create", created, (business.isoformat(), seq, position))
        for day_text, seq, position in self.ctx.queues.take("complaint_create", business):
            event = self.real_event(date.fromisoformat(day_text), seq)
            yield from self._create(event, event.channels[position][0], position, delivery)
        for seq in range(self.national_per_day):
            yield from self._native_dispatch(business, seq, delivery)
        for item in self.ctx.queues.take("complaint_update", business):
            yield from self._update(item, business)

    @staticmethod
    def _cross_channel_facts(event: RealEvent) -> tuple[bool, bool, bool]:
        """(eligible, planted, also national) for the cross-channel dirt of one real event."""
        eligible = not event.linked_transfer and event.request in ("投诉", "举报")
        planted = eligible and len(event.channels) > 1
        national = planted and any(channel == CHANNEL_NATIONAL for channel, _ in event.channels)
        return eligible, planted, national

    def _create(self, event: RealEvent, channel: str, position: int, delivery: date) -> Iterator[Emission]:
        multi = len(event.channels) > 1
        emissions = list(self._channel_record(event, channel, position, delivery, created=True))
        for emission in emissions:
            if multi and emission.table != "complaint_events":
                emission.event_id = event.event_id
                emission.notes["linked_transfer"] = event.linked_transfer
                emission.notes["channel"] = channel
            yield emission

    def _update(self, item: tuple[Any, ...], day: date) -> Iterator[Emission]:
        kind = item[0]
        if kind == "native":
            _, day_text, seq = item
            yield from self._native_dispatch(date.fromisoformat(day_text), seq, day, update=True)
            return
        _, day_text, seq, position = item
        event = self.real_event(date.fromisoformat(day_text), seq)
        yield from self._channel_record(event, event.channels[position][0], position, day, created=False)

    def _channel_record(
        self, event: RealEvent, channel: str, position: int, as_of: date, *, created: bool
    ) -> Iterator[Emission]:
        if channel == CHANNEL_12345:
            yield from self._hotline(event, position, as_of, created)
        elif channel == CHANNEL_12315:
            emission = self._consumer(event, position, as_of, created)
            if emission:
                yield emission
        else:
            emission = self._dispatch(event, position, as_of)
            if emission:
                yield emission
        lifecycle = self._lifecycle(event, channel, position)
        next_day = lifecycle.next_day_after(as_of)
        if next_day is not None and next_day <= self.world.end:
            self.ctx.queues.put(
                "complaint_update", next_day, ("event", event.day.isoformat(), event.seq, position)
            )

    def _created_at(self, event: RealEvent, position: int, rng: random.Random) -> datetime:
        """When the channel record was created: always on its creation day (event day + delay)."""
        channel, delay = event.channels[position]
        if position == 0:
            return event.accepted_at
        day = event.day + timedelta(days=delay)
        last_minute = datetime.combine(day, datetime.min.time()) + timedelta(hours=23, minutes=59)
        if event.linked_transfer and channel == CHANNEL_12315:
            return min(event.accepted_at + timedelta(minutes=rng.randint(30, 240)), last_minute)
        shifted = event.accepted_at + timedelta(days=delay, minutes=rng.randint(-180, 300))
        first_minute = datetime.combine(day, datetime.min.time())
        return min(max(shifted, first_minute, event.accepted_at + timedelta(minutes=5)), last_minute)

    def _reword(self, text: str, rng: random.Random) -> str:
        for old, new in self.rewordings:
            if old in text and rng.random() < 0.6:
                text = text.replace(old, new, 1)
        return text

    def _text_for(self, event: RealEvent, position: int, rng: random.Random) -> tuple[str, str]:
        if position == 0 or event.linked_transfer:
            return event.title, event.text
        return self._reword(event.title, rng), self._reword(event.text, rng)

    # -- lifecycles -----------------------------------------------------------------------------------------------
    def _lifecycle(self, event: RealEvent, channel: str, position: int) -> Lifecycle:
        rng = self.rng("lifecycle", channel, event.day, event.seq, position)
        created = self._created_at(
            event, position, self.rng("created", channel, event.day, event.seq, position)
        )
        if channel == CHANNEL_12345:
            return self._hotline_lifecycle(event, created, rng)
        if channel == CHANNEL_12315:
            return self._consumer_lifecycle(event, created, rng)
        return self._dispatch_lifecycle(created, rng)

    def _hotline_lifecycle(self, event: RealEvent, created: datetime, rng: random.Random) -> Lifecycle:
        cal = self.calendar
        life = Lifecycle()
        steps = life.steps
        steps.append(Step("登记", created))
        due_days = DUE_WORKING_DAYS.get(event.request, 7) + (8 if rng.random() < 0.1 else 0)
        if event.request == "咨询" and rng.random() < 0.5:
            # answered on the call by the hotline itself (直接办结)
            answered = created + timedelta(minutes=rng.randint(3, 20))
            steps.append(Step("答复", answered, note=rng.choice(self.vocab.words("replies"))))
            steps.append(Step("办结", answered + timedelta(minutes=1)))
            life.facts.update(due=cal.add_working_days(created.date(), due_days), department=None)
        else:
            department = event.department
            dispatched = cal.add_office_minutes(created, rng.randint(10, 240))
            due_date = cal.add_working_days(dispatched.date(), due_days)
            due = datetime.combine(due_date, datetime.min.time()).replace(hour=17, minute=30)
            steps.append(Step("派单", dispatched, department=None, target_department=department, due=due))
            current = dispatched
            returns = 0
            if rng.random() < 0.1:
                current = cal.add_office_minutes(current, rng.randint(60, 480))
                steps.append(Step("退单", current, department=department, note="非本单位职责，申请退单"))
                other = rng.choice(
                    [d for d in self.world.field_departments if d is not department] or [department]
                )
                current = cal.add_office_minutes(current, rng.randint(30, 120))
                steps.append(Step("改派", current, target_department=other, due=due))
                department = other
                returns = 1
            current = cal.add_office_minutes(current, rng.randint(30, 480))
            steps.append(Step("签收", current, department=department))
            current = cal.add_office_minutes(current, rng.randint(60, 960))
            steps.append(Step("办理中", current, department=department))
            if rng.random() < 0.08:
                due = datetime.combine(cal.add_working_days(due.date(), 5), due.time())
                current = cal.add_office_minutes(current, rng.randint(60, 960))
                steps.append(
                    Step("延期", current, department=department, due=due, note="情况复杂，申请延期5个工作日")
                )
            overdue = rng.random() < 0.1
            if overdue:
                replied = cal.add_office_minutes(due, rng.randint(60, 3 * 540))
                urged = cal.clamp_to_office_hours(due - timedelta(days=1))
                if urged > current:
                    steps.append(Step("催办", urged, target_department=department))
                steps.append(Step("督办", cal.add_office_minutes(due, 30), target_department=department))
            else:
                span = max(60, int((due - current).total_seconds() // 60 // 3))
                replied = cal.add_office_minutes(current, rng.randint(30, span))
                replied = min(replied, due - timedelta(minutes=1))
                replied = max(replied, current + timedelta(minutes=1))
            steps.append(
                Step("答复", replied, department=department, note=rng.choice(self.vocab.words("replies")))
            )
            steps.append(Step("办结", cal.add_office_minutes(replied, rng.randint(30, 480))))
            life.facts.update(due=due, department=department, returns=returns, overdue=overdue)
        closed = steps[-1].at
        satisfaction = rng.choices(("不满意", "理解", "满意", "非常满意"), (0.08, 0.12, 0.5, 0.3))[0]
        callback = cal.add_office_minutes(closed, rng.randint(60, 3 * 540))
        steps.append(
            Step("回访", callback, satisfaction=self.code("satisfaction", satisfaction), note=satisfaction)
        )
        steps.append(Step("归档", cal.add_office_minutes(callback, rng.randint(60, 540))))
        steps.sort(key=lambda s: s.at)
        return life

    def _consumer_lifecycle(self, event: RealEvent, created: datetime, rng: random.Random) -> Lifecycle:
        cal = self.calendar
        life = Lifecycle()
        life.steps.append(Step("登记", created))
        decided_day = cal.add_working_days(created.date(), rng.randint(1, 7))
        decided = cal.clamp_to_office_hours(
            datetime.combine(decided_day, datetime.min.time()).replace(hour=9)
        )
        decided += timedelta(minutes=rng.randint(0, 480))
        accepted = rng.random() < 0.9
        life.steps.append(Step("受理", decided, note="予以受理" if accepted else "不予受理"))
        if accepted:
            limit = 45 if event.request == "投诉" else 15
            ended_day = cal.add_working_days(decided.date(), rng.randint(2, min(limit, 20)))
            ended = datetime.combine(ended_day, decided.time())
            life.steps.append(Step("处理", ended))
            life.steps.append(Step("办结", cal.add_office_minutes(ended, rng.randint(30, 240))))
        else:
            life.steps.append(Step("办结", cal.add_office_minutes(decided, rng.randint(30, 240))))
        life.facts.update(accepted=accepted, outcome=rng.random())
        return life

    def _dispatch_lifecycle(self, created: datetime, rng: random.Random) -> Lifecycle:
        cal = self.calendar
        life = Lifecycle()
        life.steps.append(Step("转办", created))
        deadline = cal.add_working_days(created.date(), 15)
        signed = cal.add_office_minutes(created, rng.randint(30, 540))
        life.steps.append(Step("签收", signed))
        working = cal.add_office_minutes(signed, rng.randint(60, 540))
        life.steps.append(Step("办理", working))
        feedback_day = cal.add_working_days(signed.date(), rng.randint(3, 16))
        feedback = cal.clamp_to_office_hours(datetime.combine(feedback_day, signed.time()))
        life.steps.append(Step("反馈", max(feedback, working + timedelta(minutes=1))))
        life.steps.append(Step("办结", cal.add_office_minutes(life.steps[-1].at, rng.randint(60, 540))))
        life.facts.update(deadline=deadline)
        return life

    # -- 12345 ----------------------------------------------------------------------------------------------------
    def _order_no(self, event: RealEvent, position: int, created: datetime) -> str:
        if position == 0:
            return f"GD{created:%Y%m%d}{event.seq:07d}"
        delay = event.channels[position][1]
        return f"GD{created:%Y%m%d}{5_000_000 + delay * 1_000_000 + event.seq:07d}"

    def _hotline(self, event: RealEvent, position: int, as_of: date, created_now: bool) -> Iterator[Emission]:
        rng = self.rng("hotline", event.day, event.seq, position)
        life = self._lifecycle(event, CHANNEL_12345, position)
        created = life.steps[0].at
        order_no = self._order_no(event, position, created)
        done = life.as_of(as_of)
        kinds = {s.kind: s for s in done}
        title, text = self._text_for(event, position, rng)
        complainant = self.world.persons.person(event.complainant_index)
        anonymous = rng.random() < 0.1
        department = life.facts.get("department")
        reply = kinds.get("答复")
        closed = kinds.get("办结")
        callback = kinds.get("回访")
        dispatch = kinds.get("派单")
        extension = kinds.get("延期")
        satisfaction_label = callback.note if callback else None
        due = life.facts.get("due")
        last = done[-1]
        record: Record = {
            "work_order_no": order_no,
            "parent_work_order_no": None,
            "channel_code": self.code("complaint_channel", "电话")
            if rng.random() < 0.65
            else self.pick(rng, "complaint_channel"),
            "accepted_at": created,
            "caller_phone": complainant.phone,
            "contact_phone": complainant.phone,
            "reporter_name": None if anonymous else complainant.name,
            "is_anonymous": anonymous,
            "is_confidential": rng.random() < 0.2,
            "request_type_code": self.code("complaint_request_type", event.request),
            "category_level1_name": event.topic.get("level1"),
            "category_level2_name": event.topic.get("level2"),
            "category_level3_name": event.topic.get("level3"),
            "category_level4_name": None,
            "category_code": f"{abs(hash_text(str(event.topic.get('level3')))) % 100000:05d}",
            "address": event.address,
            "region_code": event.region.code,
            "longitude": event.target.longitude if event.target else None,
            "latitude": event.target.latitude if event.target else None,
            "title": title,
            "content": text,
            "target_name": event.target.name if event.target else None,
            "target_uscc": event.target.uscc if event.target and rng.random() < 0.5 else None,
            "is_enterprise_related": event.target is not None,
            "urgency_code": self.code("urgency", "一般")
            if rng.random() < 0.9
            else self.code("urgency", "紧急"),
            "dispatched_at": dispatch.at if dispatch else None,
            "department_code": department.code if department and dispatch else None,
            "department_name": department.name if department and dispatch else None,
            "co_department_codes": None,
            "handle_approach_code": self.code("handle_approach", "转办") if dispatch else None,
            "due_at": dispatch.due if dispatch else None,
            "is_extended": extension is not None,
            "extended_due_at": extension.due if extension else None,
            "is_returned": "退单" in kinds,
            "return_count": 1 if "退单" in kinds else 0,
            "urge_count": 1 if "催办" in kinds else 0,
            "is_supervised": "督办" in kinds,
            "leader_supervision_count": 0,
            "solved_at": reply.at if reply else None,
            "handle_result_code": self.code("handle_result", "解决") if reply else None,
            "reply_content": reply.note if reply else None,
            "callback_at": callback.at if callback else None,
            "callback_method": rng.choice(self.vocab.words("callback_methods")) if callback else None,
            "callback_result": f"市民表示{satisfaction_label}" if callback else None,
            "is_callback_successful": True if callback else None,
            "satisfaction_code": callback.satisfaction if callback else None,
            "is_resolved": (satisfaction_label != "不满意") if callback else None,
            "dissatisfaction_reason": rng.choice(self.vocab.words("dissatisfaction_reasons"))
            if satisfaction_label == "不满意"
            else None,
            "is_overdue": bool(life.facts.get("overdue")) and due is not None and last.at > due,
            "closed_at": closed.at if closed else None,
            "current_stage_code": self.event_types.get(last.kind),
            "inspection_code": None,
            "item_code": None,
            "updated_at": last.at,
        }
        risk = (event.target.uscc, event.risk_model) if event.risk_model and event.target else None
        emission = self.emit(
            "hotline_work_orders", record, rng, as_of, business_day=as_of,
            party_uscc=event.target.uscc if event.target else None,
            party_name=event.target.name if event.target else None, party_fields=("target_name", "target_uscc"),
            risk=risk if created_now else None, risk_signal="complaint" if risk and created_now else None,
        )  # fmt: skip
        if emission:
            yield emission
        if self.source_12345 is None:
            return
        new_steps = done if created_now else [s for s in done if s.at.date() == as_of]
        for step in new_steps:
            number = life.steps.index(step) + 1
            yield from self._event_record(order_no, number, step, rng, as_of)

    def _event_record(
        self, order_no: str, number: int, step: Step, rng: random.Random, day: date
    ) -> Iterator[Emission]:
        department = step.department
        officer_no = None
        operator = self.world.persons.name(
            self.world.persons.index("operator_staff", number * 7919 + len(order_no))
        )
        if department is not None:
            agency = self.world.agency_for(department, self.world.province_region)
            officers = self.world.officers_of(agency)
            if officers:
                officer_no = officers[number % len(officers)].certificate_no
        record: Record = {
            "source_channel_code": self.source_12345,
            "event_id": f"{order_no}-{number:02d}",
            "source_order_no": order_no,
            "event_seq": number,
            "event_type_code": self.event_types.get(step.kind),
            "event_at": step.at,
            "department_code": department.code if department else None,
            "unit_name": department.name if department else "12345热线工作机构",
            "target_department_code": step.target_department.code if step.target_department else None,
            "operator_name": operator,
            "officer_certificate_no": officer_no,
            "due_at": step.due,
            "satisfaction_code": step.satisfaction,
            "note": step.note,
            "recorded_at": step.at + timedelta(seconds=5 + number),
        }
        emission = self.emit("complaint_events", record, rng, day, business_day=day)
        if emission:
            yield emission

    # -- 12315 ----------------------------------------------------------------------------------------------------
    def _complaint_no(self, event: RealEvent, position: int, created: datetime) -> str:
        prefix = "JB" if event.request == "举报" else "TS"
        if position == 0:
            return f"{prefix}{created:%Y%m%d}{event.seq:07d}"
        delay = event.channels[position][1]
        return f"{prefix}{created:%Y%m%d}{5_000_000 + delay * 1_000_000 + event.seq:07d}"

    def _consumer(self, event: RealEvent, position: int, as_of: date, created_now: bool) -> Emission | None:
        rng = self.rng("consumer", event.day, event.seq, position)
        life = self._lifecycle(event, CHANNEL_12315, position)
        created = life.steps[0].at
        done = {s.kind: s for s in life.as_of(as_of)}
        _title, text = self._text_for(event, position, rng)
        consumer = self.world.persons.person(event.complainant_index)
        is_report = event.request == "举报"
        decision = done.get("受理")
        handled = done.get("处理")
        closed = done.get("办结")
        accepted = bool(life.facts.get("accepted"))
        agency = self.world.agency_for(self.samr, event.region)
        hotline_no = None
        if event.linked_transfer:
            hotline_no = self._order_no(event, 0, event.accepted_at)
        mediation = None
        if handled and not is_report:
            mediation = "调解成功" if life.facts["outcome"] < 0.7 else "调解不成功"
        record: Record = {
            "complaint_no": self._complaint_no(event, position, created),
            "complaint_category_code": self.code("complaint_category", "举报" if is_report else "投诉"),
            "channel_code": self.code("complaint_channel", "上级转办")
            if hotline_no
            else self.pick(rng, "complaint_channel"),
            "hotline_work_order_no": hotline_no,
            "accepted_at": created,
            "consumer_name": consumer.name,
            "consumer_phone": consumer.phone,
            "consumer_certificate_type": self.code("certificate_type", "居民身份证"),
            "consumer_id_number": consumer.id_number,
            "consumer_address": self.world.address(
                rng, self.world.region_by_code.get(consumer.region_code, event.region)
            ),
            "is_anonymous": False,
            "target_name": event.target.name if event.target else "未知商家",
            "target_uscc": event.target.uscc if event.target and rng.random() < 0.6 else None,
            "target_address": event.address,
            "region_code": event.region.code,
            "commodity_category_name": str(event.topic.get("commodity") or event.topic.get("level3")),
            "issue_category_name": str(event.topic.get("issue") or event.topic.get("level2")),
            "is_online_purchase": rng.random() < 0.3,
            "platform_name": None,
            "content": text,
            "amount_involved": money(rng, 50, 20_000) if not is_report else None,
            "department_code": self.samr.code,
            "handling_unit_name": agency.name,
            "acceptance_decision_code": self.code(
                "acceptance_decision", "予以受理" if accepted else "不予受理"
            )
            if decision
            else None,
            "acceptance_decision_date": decision.at.date() if decision else None,
            "mediation_result_code": self.code("mediation_result", mediation) if mediation else None,
            "mediation_end_date": handled.at.date() if handled and not is_report else None,
            "recovered_amount": money(rng, 10, 2000) if mediation == "调解成功" else None,
            "report_outcome_code": self.code(
                "report_outcome", "立案" if life.facts["outcome"] < 0.3 else "不予立案"
            )
            if handled and is_report
            else None,
            "report_decision_date": handled.at.date() if handled and is_report else None,
            "reply_content": rng.choice(self.vocab.words("replies")) if closed else None,
            "closed_at": closed.at if closed else None,
            "inspection_code": None,
            "item_code": None,
            "updated_at": life.as_of(as_of)[-1].at,
        }
        risk = (
            (event.target.uscc, event.risk_model)
            if event.risk_model and event.target and created_now
            else None
        )
        return self.emit(
            "consumer_complaints", record, rng, as_of, business_day=as_of,
            party_uscc=event.target.uscc if event.target else None,
            party_name=event.target.name if event.target else None, party_fields=("target_name", "target_uscc"),
            risk=risk, risk_signal="complaint" if risk else None,
        )  # fmt: skip

    # -- national dispatches ----------------------------------------------------------------------------------------
    def _dispatch(self, event: RealEvent, position: int, as_of: date) -> Emission | None:
        rng = self.rng("dispatch", event.day, event.seq, position)
        life = self._lifecycle(event, CHANNEL_NATIONAL, position)
        created = life.steps[0].at
        title, text = self._text_for(event, position, rng)
        complainant = self.world.persons.person(event.complainant_index)
        delay = event.channels[position][1]
        record = self._dispatch_record(
            rng, life, as_of, f"GJZB{created:%Y%m%d}{5_000_000 + delay * 1_000_000 + event.seq:07d}",
            self.code("dispatch_origin", "投诉举报"), title, text, complainant.name, complainant.phone,
            event.target, event.region, event.department,
        )  # fmt: skip
        return self.emit(
            "national_dispatches", record, rng, as_of, business_day=as_of,
            party_uscc=event.target.uscc if event.target else None,
            party_name=event.target.name if event.target else None, party_fields=("target_name", "target_uscc"),
        )  # fmt: skip

    def _native_dispatch(self, day: date, seq: int, as_of: date, update: bool = False) -> Iterator[Emission]:
        """A dispatch that did not start as a local complaint (a risk clue or 督办 from the national system)."""
        rng = self.rng("native-dispatch", day, seq)
        created = self.office_time(rng, day)
        life = self._dispatch_lifecycle(created, self.rng("native-life", day, seq))
        target = self.world.random_party(rng, day)
        origin = rng.choice(("风险线索", "督办事项", "协查请求"))
        title = f"关于核查{target.name}有关问题的{origin}"
        text = f"国家平台{origin}：请核查{target.name}（{target.address}）是否存在违法经营行为，并按期反馈。"
        record = self._dispatch_record(
            rng, life, as_of, f"GJZB{created:%Y%m%d}{seq:07d}", self.code("dispatch_origin", origin), title, text,
            None, None, target, target.region, self.samr,
        )  # fmt: skip
        emission = self.emit(
            "national_dispatches", record, rng, as_of, business_day=as_of, party_uscc=target.uscc,
            party_name=target.name, party_fields=("target_name", "target_uscc"),
        )  # fmt: skip
        if emission:
            yield emission
        next_day = life.next_day_after(as_of)
        if next_day is not None and next_day <= self.world.end:
            self.ctx.queues.put("complaint_update", next_day, ("native", day.isoformat(), seq))

    def _dispatch_record(
        self, rng: random.Random, life: Lifecycle, as_of: date, dispatch_id: str, origin: str | None, title: str,
        text: str, name: str | None, phone: str | None, target: Party | None, region: Region, department: Department,
    ) -> Record:  # fmt: skip
        done = {s.kind: s for s in life.as_of(as_of)}
        status_label = "待签收"
        for kind, label in (("签收", "已签收"), ("办理", "办理中"), ("反馈", "已反馈"), ("办结", "已办结")):
            if kind in done:
                status_label = label
        feedback = done.get("反馈")
        return {
            "dispatch_id": dispatch_id,
            "national_clue_no": f"XS{dispatch_id[4:]}",
            "origin_type_code": origin,
            "sender_unit_name": "国家“互联网+监管”系统",
            "title": title,
            "content": text,
            "complainant_name": name,
            "complainant_phone": phone,
            "target_name": target.name if target else None,
            "target_uscc": target.uscc if target else None,
            "item_code": rng.choice(self.world.items_of(department, "inspection")).code
            if self.world.items_of(department, "inspection")
            else None,
            "region_code": region.code,
            "department_code": department.code,
            "dispatched_at": life.steps[0].at,
            "deadline_date": life.facts["deadline"],
            "signed_at": done["签收"].at if "签收" in done else None,
            "status_code": self.code("dispatch_status", status_label),
            "feedback_at": feedback.at if feedback else None,
            "feedback_content": rng.choice(self.vocab.words("replies")) if feedback else None,
            "inspection_code": None,
            "updated_at": life.as_of(as_of)[-1].at,
        }


def hash_text(text: str) -> int:
    """A stable small hash of a text (Python's ``hash`` changes between processes)."""
    value = 0
    for char in text:
        value = (value * 131 + ord(char)) % 1_000_003
    return value
