"""监管行为信息库: 双随机 plans and draws, inspections, and what follows from them.

An inspection is a pure function of (business day, sequence number). Its outcome decides what follows:
立案查处 queues a penalty decided some working days later (and a 双公示 publication within 7 working days of
the decision, and a closing update), some cases also a coercive measure, and 责令改正 may queue a follow-up
"other action". The queues hold only (day, sequence) pairs; the follow-ups regenerate the inspection to name
the same party, bureau and officers. A configurable share of follow-ups points at an inspection code that
never existed (an orphan reference), recorded in the ground truth.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from jianguan.sim.emission import Emission, Record
from jianguan.sim.fields import money
from jianguan.sim.rng import unit
from jianguan.sim.tables.base import SimContext, TableGenerator
from jianguan.sim.world import Agency, Checklist, Department, Officer, Party

RESULT_WEIGHTS = (
    ("未发现问题", 0.58),
    ("发现问题已责令改正", 0.16),
    ("发现问题待后续处理", 0.05),
    ("发现问题已立案查处", 0.12),
    ("通过登记的住所", 0.03),
    ("未按规定公示应当公示", 0.03),
    ("不配合检查", 0.01),
    ("未发现开展本次检查涉及的经营活动", 0.02),
)
DEPARTMENT_INDUSTRIES = {
    "dept_ecology": ("chemical", "mining", "fuel", "food"),
    "dept_health": ("hospital", "clinic"),
    "dept_nmpa": ("pharmacy", "drug_maker", "device", "device_maker", "cosmetic_maker"),
    "dept_transport": ("transport",),
    "dept_housing": ("construction",),
    "dept_emergency": ("chemical", "fuel", "mining", "equipment_maker"),
}
PLANS_PER_PREFECTURE = 2


@dataclass(frozen=True)
class Inspection:
    day: date
    seq: int
    code: str
    department: Department
    agency: Agency
    party: Party
    checklist: Checklist | None
    result: str
    checked_at: datetime
    plan: tuple[str, int] | None
    officers: tuple[Officer, ...]


class ActionGenerator(TableGenerator):
    tables = (
        "random_inspection_plans", "random_inspection_draws", "inspections", "penalties", "coercive_measures",
        "other_actions", "public_penalties",
    )  # fmt: skip

    def __init__(self, ctx: SimContext) -> None:
        super().__init__(ctx)
        world = self.world
        self.departments = [
            world.department_by_code[c]
            for c in world.router.allowed("inspections", "department_code")
            if c in world.department_by_code
        ] or world.field_departments
        sources = {code: source for source, code in world.router.source_department.items()}
        self.source_of = {d.code: sources.get(d.code, "") for d in self.departments}
        samr = world.department_for("dept_samr")
        self.department_weights = [4.0 if d is samr else 1.0 for d in self.departments]
        self.samr = samr
        self.coercive_departments = set(world.router.allowed("coercive_measures", "department_code"))
        self.other_departments = set(world.router.allowed("other_actions", "department_code"))
        self.penalty_departments = set(world.router.allowed("penalties", "department_code"))
        result_codes = [(self.code("check_result", label), weight) for label, weight in RESULT_WEIGHTS]
        self.results = [c for c, _ in result_codes if c]
        self.result_weights = [w for c, w in result_codes if c]
        self.result_case = self.code("check_result", "立案查处")
        self.result_corrected = self.code("check_result", "责令改正")
        self.per_day = world.config.scale.daily("inspections", minimum=5)
        self.plans = self._plans()
        self._draw_cache: dict[int, list[int]] = {}
        self.orphan_stream = self.stream("orphans")

    # -- 双随机 plans -------------------------------------------------------------------------------------------
    def _plans(self) -> list[tuple[str, Agency, int, Decimal]]:
        plans = []
        year = self.world.start.year
        agencies = [self.world.agency_for(self.samr, p) for p in self.world.prefectures]
        for agency in agencies:
            for number in range(1, PLANS_PER_PREFECTURE + 1):
                rng = self.rng("plan", agency.index, number)
                pool = max(10, self.world.initial_counts["enterprise"] // max(1, len(agencies)))
                ratio = Decimal(rng.choice(("0.0300", "0.0500", "0.1000")))
                count = max(3, int(pool * ratio))
                plan_id = f"SJJH{year}{agency.region.code}{number:03d}"
                plans.append((plan_id, agency, count, ratio))
        return plans

    def _draw(self, plan_index: int, number: int) -> Party:
        return self.world.party("enterprise", self._draws(plan_index)[number])

    def _draws(self, plan_index: int) -> list[int]:
        """The enterprises drawn by a plan: distinct, preferably in the plan's prefecture (computed once)."""
        drawn = self._draw_cache.get(plan_index)
        if drawn is not None:
            return drawn
        plan_id, agency, count, _ = self.plans[plan_index]
        rng = self.rng("draws", plan_id)
        initial = self.world.initial_counts["enterprise"]
        chosen: dict[int, None] = {}
        while len(chosen) < min(count, initial):
            candidate = rng.randrange(initial)
            for _ in range(3):
                if candidate not in chosen and (
                    self.world.party("enterprise", candidate).region.prefecture_code
                    == agency.region.prefecture_code
                ):
                    break
                candidate = rng.randrange(initial)
            chosen.setdefault(candidate, None)
        drawn = list(chosen)
        self._draw_cache[plan_index] = drawn
        return drawn

    def day(self, delivery: date) -> Iterator[Emission]:
        """Plans (day one), the day's inspections and follow-ups, then each touched 抽查对象 once.

        Draw updates are collected per delivery and written last, so one file never carries the same
        (plan, object) twice; on day one the full list of draws goes out in its state after the history.
        """
        self._touched_draws: dict[tuple[int, int], Inspection] = {}
        if delivery == self.world.start:
            yield from self._plan_records(delivery)
        yield from super().day(delivery)
        if delivery == self.world.start:
            for plan_index in range(len(self.plans)):
                for number in range(len(self._draws(plan_index))):
                    emission = self._draw_record(
                        plan_index, number, delivery, self._touched_draws.get((plan_index, number))
                    )
                    if emission:
                        yield emission
        else:
            for (plan_index, number), inspection in sorted(self._touched_draws.items()):
                emission = self._draw_record(plan_index, number, delivery, inspection)
                if emission:
                    yield emission

    def _plan_records(self, delivery: date) -> Iterator[Emission]:
        year = self.world.start.year
        for plan_index, (plan_id, agency, count, ratio) in enumerate(self.plans):
            rng = self.rng("plan-record", plan_id)
            checklists = self.world.checklists_of(agency)
            record: Record = {
                "plan_id": plan_id,
                "plan_name": f"{year}年{agency.region.name}市场监管领域双随机一公开抽查计划（第{plan_index % PLANS_PER_PREFECTURE + 1}批）",
                "plan_year": year,
                "region_name": agency.region.name,
                "region_code": agency.region.code,
                "department_uscc": agency.uscc,
                "department_code": agency.department.code,
                "sampling_ratio": ratio,
                "plan_type_code": self.code("random_plan_type", "不定向"),
                "is_cross_department": rng.random() < 0.3,
                "checklist_codes": ",".join(c.code for c in checklists[:3]) or None,
                "object_scope": f"{agency.region.name}辖区内登记的企业",
                "object_pool_count": max(10, int(count / float(ratio))),
                "planned_object_count": count,
                "plan_start_date": self.world.history_start - timedelta(days=10),
                "plan_end_date": date(year, 12, 31),
                "plan_status_code": self.code("random_plan_status", "执行中"),
                "updated_at": datetime.combine(self.world.history_start - timedelta(days=10), time(9, 30)),
            }
            emission = self.emit("random_inspection_plans", record, rng, delivery)
            if emission:
                yield emission

    def _draw_record(
        self, plan_index: int, number: int, day: date, inspection: Inspection | None
    ) -> Emission | None:
        plan_id, agency, _, _ = self.plans[plan_index]
        party = self._draw(plan_index, number)
        rng = self.rng("draw-record", plan_id, number)
        drawn_at = datetime.combine(self.world.history_start - timedelta(days=9), time(10, 0)) + timedelta(
            seconds=number
        )
        officers = self.world.officers_of(agency)
        chosen = rng.sample(officers, min(2, len(officers))) if officers else []
        record: Record = {
            "plan_id": plan_id,
            "object_id": party.pripid,
            "party_name": party.name,
            "uscc": party.uscc,
            "region_code": party.region.code,
            "credit_risk_class_code": self.credit_class(party),
            "drawn_at": drawn_at,
            "officer_certificate_nos": ",".join(o.certificate_no for o in chosen) or None,
            "inspection_code": inspection.code if inspection else None,
            "is_inspected": inspection is not None,
            "updated_at": inspection.checked_at + timedelta(hours=2) if inspection else drawn_at,
        }
        return self.emit(
            "random_inspection_draws", record, rng, day, party_uscc=party.uscc, party_name=party.name,
            business_day=inspection.day if inspection else None,
        )  # fmt: skip

    def credit_class(self, party: Party) -> str | None:
        return self.codes.find("credit_risk_class", self.world.credit_class_label(party))

    # -- inspections ---------------------------------------------------------------------------------------------
    def inspection(self, day: date, seq: int) -> Inspection:
        rng = self.rng("inspection", day, seq)
        department = rng.choices(self.departments, weights=self.department_weights)[0]
        plan: tuple[str, int] | None = None
        party: Party | None = None
        if department is self.samr and self.plans and rng.random() < 0.35:
            plan_index = rng.randrange(len(self.plans))
            number = rng.randrange(len(self._draws(plan_index)))
            party = self._draw(plan_index, number)
            plan = (self.plans[plan_index][0], number)
        if party is None:
            kinds = DEPARTMENT_INDUSTRIES.get(self.source_of.get(department.code, ""), ())
            party = self.world.parties_of_industry_kind(rng, day, kinds, tries=8) if kinds else None
            if party is None:
                party = self.world.random_party(rng, day)
        agency = self.world.agency_for(department, party.region)
        checklists = self.world.checklists_of(agency) or self.world.checklists_of(
            self.world.agency_for(department, self.world.province_region)
        )
        checklist = rng.choice(checklists) if checklists else None
        result = rng.choices(self.results, weights=self.result_weights)[0] if self.results else ""
        officers = self.world.officers_of(agency)
        chosen = tuple(rng.sample(officers, min(2, len(officers)))) if officers else ()
        code = f"{department.code}JC{day:%Y%m%d}{seq:06d}"
        return Inspection(day, seq, code, department, agency, party, checklist, result,
                          self.office_time(rng, day), plan, chosen)  # fmt: skip

    def events(self, business: date, delivery: date) -> Iterator[Emission]:
        for seq in range(self.per_day):
            yield from self._inspection_emissions(business, seq, delivery)
        for day_text, seq in self.ctx.queues.take("penalty", business):
            emission = self._penalty(self.inspection(date.fromisoformat(day_text), seq), business, delivery)
            if emission:
                yield emission
        for day_text, seq in self.ctx.queues.take("penalty_close", business):
            emission = self._penalty(
                self.inspection(date.fromisoformat(day_text), seq), business, delivery, closing=True
            )
            if emission:
                yield emission
        for day_text, seq in self.ctx.queues.take("public_penalty", business):
            emission = self._public_penalty(self.inspection(date.fromisoformat(day_text), seq), business)
            if emission:
                yield emission
        for day_text, seq in self.ctx.queues.take("coercive", business):
            emission = self._coercive(self.inspection(date.fromisoformat(day_text), seq), business)
            if emission:
                yield emission
        for day_text, seq in self.ctx.queues.take("other_action", business):
            emission = self._other_action(self.inspection(date.fromisoformat(day_text), seq), business)
            if emission:
                yield emission

    def _inspection_emissions(self, day: date, seq: int, delivery: date) -> Iterator[Emission]:
        inspection = self.inspection(day, seq)
        rng = self.rng("inspection-record", day, seq)
        party = inspection.party
        checklist = inspection.checklist
        record: Record = {
            "inspection_code": inspection.code,
            "inspection_name": f"对{party.name}的{checklist.item.subject if checklist else '日常'}检查",
            "plan_id": inspection.plan[0] if inspection.plan else None,
            "checklist_code": checklist.code if checklist else None,
            "item_code": checklist.item.code if checklist else None,
            **self.agency_fields(inspection.agency),
            "entrusted_agency_name": None,
            "entrusted_agency_code": None,
            **self.party_fields(party),
            "check_form_code": self.code(
                "check_form",
                "双随机"
                if inspection.plan
                else rng.choice(("日常巡查", "专项检查", "重点检查", "投诉举报核查")),
            ),
            "check_type_code": self.pick(rng, "check_type"),
            "check_mode_code": self.code("check_mode", "现场检查")
            if rng.random() < 0.8
            else self.pick(rng, "check_mode"),
            "check_result_code": inspection.result,
            "check_date": day,
            "officer_names": ",".join(self.world.persons.name(o.person_index) for o in inspection.officers)
            or None,
            "officer_certificate_nos": ",".join(o.certificate_no for o in inspection.officers) or None,
            "check_content": f"检查{checklist.item.subject if checklist else '经营'}情况",
            "problems_found": None
            if inspection.result == self.code("check_result", "未发现问题")
            else rng.choice(self.vocab.words("problems")),
            "rectification_due_date": self.calendar.add_working_days(day, 10)
            if inspection.result == self.result_corrected
            else None,
            "industry_category_code": party.industry.code[:3],
            "industry_category_name": party.industry.name,
            "is_planned": inspection.plan is not None,
            "is_duplicate_check": False,
            "credit_risk_class_code": self.credit_class(party),
            "is_joint_inspection": rng.random() < 0.05,
            **self.submitted(rng, inspection.checked_at),
        }
        emission = self.emit(
            "inspections", record, rng, day, business_day=day, party_uscc=party.uscc, party_name=party.name,
        )  # fmt: skip
        if emission:
            yield emission
        if inspection.plan is not None:
            plan_index = next(i for i, p in enumerate(self.plans) if p[0] == inspection.plan[0])
            self._touched_draws[(plan_index, inspection.plan[1])] = inspection
        self._queue_follow_ups(inspection, rng, delivery)

    def _queue_follow_ups(self, inspection: Inspection, rng: random.Random, delivery: date) -> None:
        key = (inspection.day.isoformat(), inspection.seq)
        department = inspection.department.code
        queues = self.ctx.queues
        if inspection.result == self.result_case and department in self.penalty_departments:
            decided = self._decision_day(inspection)
            queues.put("penalty", decided, key)
            queues.put("public_penalty", self.calendar.add_working_days(decided, rng.randint(1, 7)), key)
            closed = self._closing_day(inspection)
            if closed > delivery:  # closed within the same delivery: the penalty row already says so
                queues.put("penalty_close", closed, key)
            if department in self.coercive_departments and rng.random() < 0.35:
                queues.put("coercive", self.calendar.add_working_days(inspection.day, rng.randint(0, 3)), key)
        elif (
            inspection.result == self.result_corrected
            and department in self.other_departments
            and rng.random() < 0.4
        ):
            queues.put(
                "other_action", self.calendar.add_working_days(inspection.day, rng.randint(5, 15)), key
            )

    def _inspection_reference(self, inspection: Inspection, table: str) -> tuple[str, str | None]:
        """The inspection code a follow-up names, or a code that never existed (a planted orphan)."""
        roll = unit(self.orphan_stream, inspection.day.toordinal(), inspection.seq, len(table))
        if roll < self.ctx.dirt.orphan_reference:
            ghost_day = self.world.history_start - timedelta(days=400 + inspection.seq % 300)
            return f"{inspection.department.code}JC{ghost_day:%Y%m%d}{inspection.seq:06d}", inspection.code
        return inspection.code, None

    # -- penalties ----------------------------------------------------------------------------------------------
    def _penalty(
        self, inspection: Inspection, day: date, delivery: date, closing: bool = False
    ) -> Emission | None:
        rng = self.rng("penalty", inspection.day, inspection.seq)
        party = inspection.party
        department = inspection.department
        decided = self._decision_day(inspection)
        types_text, fine, confiscated = self._sanction(inspection)
        filed = min(decided, self.calendar.add_working_days(inspection.day, rng.randint(1, 3)))
        legal_rep = self.world.persons.person(party.legal_rep_index)
        reference, orphan_of = self._inspection_reference(inspection, "penalties")
        closing_day = self._closing_day(inspection)
        closing = closing or closing_day <= delivery
        closed_on: date | None = closing_day if closing else None
        record: Record = {
            "penalty_action_code": f"{department.code}CF{inspection.day:%Y%m%d}{inspection.seq:06d}",
            "penalty_action_name": f"对{party.name}{rng.choice(self.vocab.words('problems'))}的行政处罚",
            "item_code": self._item_code(department, "penalty", rng),
            **self.agency_fields(inspection.agency),
            **self.party_fields(party),
            "inspection_code": reference,
            "case_source_code": self.code("case_source", "监督检查发现"),
            "illegal_facts": f"经查，当事人{rng.choice(self.vocab.words('problems'))}，违反了相关法律法规规定。",
            "penalty_basis": inspection.checklist.item.legal_basis
            if inspection.checklist
            else rng.choice(self.vocab.words("penalty_bases")),
            "punishment_procedure_code": self.code("punishment_procedure", "一般程序"),
            "is_hearing_held": fine is not None and fine > 50_000 and rng.random() < 0.5,
            "case_filing_date": filed,
            "is_criminal_case": False,
            "is_major_case": fine is not None and fine > 100_000,
            "has_legal_review": True,
            "legal_review_date": decided - timedelta(days=1) if decided > filed else decided,
            "legal_review_opinion": "同意",
            "has_collective_discussion": fine is not None and fine > 100_000,
            "collective_discussion_date": decided - timedelta(days=2)
            if fine is not None and fine > 100_000
            else None,
            "collective_discussion_conclusion": "同意按拟处罚意见作出决定"
            if fine is not None and fine > 100_000
            else None,
            "penalty_decision_no": self._decision_no(inspection, decided),
            "penalty_decision_date": decided,
            "punishment_type_codes": types_text,
            "fine_amount": fine,
            "confiscated_income_amount": confiscated,
            "confiscated_property_amount": None,
            "revoked_licence_name": None,
            "penalty_result": ("罚款人民币" + format(fine, "f") + "元") if fine else "警告",
            "administrative_review_code": self.code("administrative_review", "未申请"),
            "administrative_litigation_code": self.code("administrative_litigation", "未提起"),
            "execution_mode_code": self.code("execution_mode", "自觉履行") if closing else None,
            "execution_result_code": self.code("execution_result", "全部执行") if closing else None,
            "paid_fine_amount": fine if closing else None,
            "is_not_punished": False,
            "case_closed_date": closed_on,
            "other_handling_code": self.code("punishment_other_handling", "无"),
            "transfer_date": None,
            "transfer_department_name": None,
            "is_entrusted": False,
            "officer_names": ",".join(self.world.persons.name(o.person_index) for o in inspection.officers)
            or None,
            "officer_certificate_nos": ",".join(o.certificate_no for o in inspection.officers) or None,
            "legal_representative_name": legal_rep.name,
            "legal_representative_certificate_type": self.code("certificate_type", "居民身份证"),
            "legal_representative_id_number": legal_rep.id_number,
            **self.submitted(rng, self.office_time(self.rng("penalty-time", day, inspection.seq), day)),
        }
        return self.emit(
            "penalties", record, rng, day, business_day=day, party_uscc=party.uscc, party_name=party.name,
            orphan_of=orphan_of, reference_checked=True,
        )  # fmt: skip

    def _decision_day(self, inspection: Inspection) -> date:
        """When the penalty is decided: its own stream, so every follow-up recomputes the same date."""
        stream = self.rng("decision", inspection.day, inspection.seq)
        return self.calendar.add_working_days(inspection.day, stream.randint(1, 12))

    def _closing_day(self, inspection: Inspection) -> date:
        stream = self.rng("closing", inspection.day, inspection.seq)
        return self.calendar.add_working_days(self._decision_day(inspection), stream.randint(5, 30))

    def _sanction(self, inspection: Inspection) -> tuple[str, Decimal | None, Decimal | None]:
        """(处罚种类 codes, fine, confiscated income): shared by the penalty and its 双公示 publication."""
        rng = self.rng("sanction", inspection.day, inspection.seq)
        fine_code = self.code("punishment_type", "罚款")
        types = [fine_code] if rng.random() < 0.75 else [self.code("punishment_type", "警告")]
        if rng.random() < 0.2:
            types.append(self.code("punishment_type", "没收违法所得"))
        fine = money(rng, 500, 200_000) if fine_code in types else None
        confiscated = money(rng, 200, 50_000) if len(types) > 1 else None
        return ",".join(sorted({t for t in types if t})), fine, confiscated

    def _decision_no(self, inspection: Inspection, decided: date) -> str:
        abbreviation = inspection.department.abbreviation
        region = inspection.agency.region.name[:2]
        return f"{region}{abbreviation}罚〔{decided.year}〕{inspection.day:%m%d}{inspection.seq:04d}号"

    def _item_code(self, department: Department, kind: str, rng: random.Random) -> str | None:
        items = self.world.items_of(department, kind)
        return rng.choice(items).code if items else None

    def _public_penalty(self, inspection: Inspection, day: date) -> Emission | None:
        rng = self.rng("penalty", inspection.day, inspection.seq)
        party = inspection.party
        decided = self._decision_day(inspection)
        types_text, fine, confiscated = self._sanction(inspection)
        legal_rep = self.world.persons.person(party.legal_rep_index)
        category = {
            "enterprise": "法人及非法人组织",
            "individual": "个体工商户",
            "social": "法人及非法人组织",
        }[party.kind]
        record: Record = {
            "party_name": party.name,
            "party_category_code": self.code("credit_party_category", category),
            "uscc": party.uscc,
            "registration_no": None,
            "party_certificate_type": self.code("certificate_type", "统一社会信用代码"),
            "party_certificate_no": party.uscc,
            "legal_representative_name": legal_rep.name,
            "legal_representative_certificate_type": self.code("certificate_type", "居民身份证"),
            "legal_representative_id_number": legal_rep.id_number,
            "penalty_action_code": f"{inspection.department.code}CF{inspection.day:%Y%m%d}{inspection.seq:06d}",
            "penalty_decision_no": self._decision_no(inspection, decided),
            "violation_type": rng.choice(self.vocab.words("problems")),
            "illegal_facts": "当事人存在违法行为，事实清楚，证据确凿。",
            "penalty_basis": rng.choice(self.vocab.words("penalty_bases")),
            "punishment_type_codes": types_text,
            "penalty_content": ("罚款人民币" + format(fine, "f") + "元") if fine else "警告",
            "fine_amount": fine,
            "confiscated_income_amount": confiscated,
            "confiscated_property_amount": None,
            "revoked_licence_name": None,
            "decision_date": decided,
            "penalty_valid_until_date": decided + timedelta(days=365 * 3),
            "public_date": day,
            "public_end_date": day + timedelta(days=365),
            "authority_name": inspection.agency.name,
            "authority_uscc": inspection.agency.uscc,
            "region_code": inspection.agency.region.code,
            "data_source_unit_name": inspection.agency.name,
            "data_source_unit_uscc": inspection.agency.uscc,
            "department_code": inspection.department.code,
            "is_public": True,
            "public_content": f"{party.name}因违法行为被{inspection.agency.name}处罚",
            "is_sensitive": False,
            "public_status_code": self.code("public_status", "正常"),
            "cancel_reason": None,
            "updated_at": self.office_time(self.rng("public-time", day, inspection.seq), day),
        }
        return self.emit(
            "public_penalties", record, rng, day, business_day=day, party_uscc=party.uscc, party_name=party.name,
        )  # fmt: skip

    # -- coercive measures and other actions -----------------------------------------------------------------
    def _coercive(self, inspection: Inspection, day: date) -> Emission | None:
        rng = self.rng("coercive", inspection.day, inspection.seq)
        party = inspection.party
        department = inspection.department
        reference, orphan_of = self._inspection_reference(inspection, "coercive_measures")
        measure = rng.choice(("查封场所、设施或者财物", "扣押财物"))
        record: Record = {
            "coercive_action_code": f"{department.code}QZ{inspection.day:%Y%m%d}{inspection.seq:06d}",
            "coercive_action_name": f"对{party.name}采取{measure[:2]}措施",
            "item_code": self._item_code(department, "coercive", rng),
            **self.agency_fields(inspection.agency),
            **self.party_fields(party),
            "inspection_code": reference,
            "illegal_facts": f"当事人涉嫌{rng.choice(self.vocab.words('problems'))}。",
            "coercive_basis": "《中华人民共和国行政强制法》第九条",
            "coercive_decision_no": f"{inspection.agency.region.name[:2]}{department.abbreviation}强〔{day.year}〕{inspection.day:%m%d}{inspection.seq:04d}号",
            "coercive_category_code": self.code("coercive_category", "行政强制措施"),
            "coercive_measure_type_code": self.code("coercive_measure_type", measure),
            "coercive_execution_type_code": None,
            "coercive_result": "已解除" if rng.random() < 0.3 else "实施中",
            "measure_start_date": day,
            "measure_end_date": day + timedelta(days=30),
            "extension_period": None,
            "officer_names": ",".join(self.world.persons.name(o.person_index) for o in inspection.officers)
            or None,
            "officer_certificate_nos": ",".join(o.certificate_no for o in inspection.officers) or None,
            **self.submitted(rng, self.office_time(rng, day)),
        }
        return self.emit(
            "coercive_measures", record, rng, day, business_day=day, party_uscc=party.uscc, party_name=party.name,
            orphan_of=orphan_of, reference_checked=True,
        )  # fmt: skip

    def _other_action(self, inspection: Inspection, day: date) -> Emission | None:
        rng = self.rng("other-action", inspection.day, inspection.seq)
        party = inspection.party
        department = inspection.department
        reference, orphan_of = self._inspection_reference(inspection, "other_actions")
        measure = rng.choice(("责令整改复查", "行政约谈", "行政指导", "警示告诫"))
        record: Record = {
            "other_action_code": f"{department.code}QT{inspection.day:%Y%m%d}{inspection.seq:06d}",
            "other_action_name": f"对{party.name}的{measure}",
            "item_code": self._item_code(department, "other", rng),
            **self.agency_fields(inspection.agency),
            **self.party_fields(party),
            "inspection_code": reference,
            "item_source": "日常监管",
            "supervision_measure": measure,
            "closing_status": "已整改完毕" if rng.random() < 0.8 else "整改中",
            "start_date": day,
            "end_date": day + timedelta(days=rng.randint(0, 10)),
            "officer_names": ",".join(self.world.persons.name(o.person_index) for o in inspection.officers)
            or None,
            "officer_certificate_nos": ",".join(o.certificate_no for o in inspection.officers) or None,
            **self.submitted(rng, self.office_time(rng, day)),
        }
        return self.emit(
            "other_actions", record, rng, day, business_day=day, party_uscc=party.uscc, party_name=party.name,
            orphan_of=orphan_of, reference_checked=True,
        )  # fmt: skip
