"""信用信息库: 经营异常名录, 严重违法失信名单, 失信被执行人, credit ratings, 双公示 licences, 联合惩戒.

(双公示 penalties are published by :mod:`jianguan.sim.tables.actions`, from the penalties themselves.)
Lists have a stock on day one and daily inclusions; removals are delivered as updates of the same list entry.
Parties planted as high-risk are over-represented on the lists, as they would be in a real province.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from jianguan.sim.emission import Emission, Record
from jianguan.sim.tables.base import SimContext, TableGenerator, sample_indices
from jianguan.sim.world import Party


class CreditGenerator(TableGenerator):
    tables = (
        "abnormal_operations", "serious_violations", "dishonest_debtors", "credit_ratings", "public_licences",
        "joint_punishments",
    )  # fmt: skip

    def __init__(self, ctx: SimContext) -> None:
        super().__init__(ctx)
        scale = self.world.config.scale
        self.stock = {
            "abnormal_operations": scale.population("abnormal_listed"),
            "serious_violations": scale.population("serious_violations"),
            "dishonest_debtors": scale.population("dishonest_debtors"),
        }
        self.daily = {
            "abnormal_operations": scale.daily("abnormal_inclusions"),
            "serious_violations": scale.daily("serious_violations"),
            "dishonest_debtors": scale.daily("dishonest_debtors"),
            "credit_ratings": scale.daily("rating_updates"),
            "public_licences": scale.daily("public_licences"),
            "joint_punishments": scale.daily("joint_punishments"),
        }
        self.removals = scale.daily("abnormal_removals")
        self.planted = sorted(self.world.planted)
        self.debtor_types = self.world.router.allowed(
            "dishonest_debtors", "debtor_type_code"
        ) or self.codes.codes("debtor_type")
        self.person_debtor = self.codes.find("debtor_type", "自然人")

    def _list_party(self, table: str, number: int, rng: random.Random, day: date) -> Party:
        """List entry ``number``'s party; the first entries of the stock are the planted high-risk parties."""
        if number < len(self.planted) and table == "abnormal_operations":
            return self.world.party("enterprise", self.planted[number])
        return self.world.random_party(rng, day)

    def _daily_number(self, table: str, day: date, seq: int) -> int:
        return self.stock[table] + max(0, self.world.day_number(day)) * self.daily[table] + seq

    def load(self, delivery: date) -> Iterator[Emission]:
        for table in ("abnormal_operations", "serious_violations", "dishonest_debtors"):
            if self.ctx.table(table) is None:
                continue
            for number in range(self.stock[table]):
                emission = self._entry(table, number, delivery, included=None, removed=None)
                if emission:
                    yield emission
        if self.ctx.table("credit_ratings") is not None:
            rated = self.world.start - timedelta(days=self.world.start.day)  # last month's classification
            for index in range(self.world.initial_counts["enterprise"]):
                emission = self._rating(self.world.party("enterprise", index), rated, delivery)
                if emission:
                    yield emission

    def events(self, business: date, delivery: date) -> Iterator[Emission]:
        if business < self.world.start:
            return
        for table in ("abnormal_operations", "serious_violations", "dishonest_debtors"):
            if self.ctx.table(table) is None:
                continue
            for seq in range(self.daily[table]):
                number = self._daily_number(table, business, seq)
                emission = self._entry(table, number, business, included=business, removed=None)
                if emission:
                    yield emission
        if self.ctx.table("abnormal_operations") is not None and business > self.world.start:
            rng = self.rng("abnormal-removals", business)
            first = len(self.planted)  # planted parties stay listed
            removable = max(0, self.stock["abnormal_operations"] - first)
            for offset in sample_indices(rng, removable, self.removals):
                number = first + offset
                emission = self._entry(
                    "abnormal_operations", number, business, included=None, removed=business
                )
                if emission:
                    yield emission
        rng = self.rng("ratings", business)
        rated_today = self.daily["credit_ratings"] if business > self.world.start else 0
        population = self.world.party_count("enterprise", business)
        for index in sample_indices(rng, population, rated_today):
            party = self.world.party("enterprise", index)
            emission = self._rating(party, business, business)
            if emission:
                yield emission
        for seq in range(self.daily["public_licences"]):
            emission = self._licence(business, seq)
            if emission:
                yield emission
        for seq in range(self.daily["joint_punishments"]):
            emission = self._joint_punishment(business, seq)
            if emission:
                yield emission

    # -- lists ------------------------------------------------------------------------------------------------
    def _entry(
        self, table: str, number: int, day: date, included: date | None, removed: date | None
    ) -> Emission | None:
        rng = self.rng("list", table, number)
        included_on = included or self.world.start - timedelta(days=rng.randint(1, 1200))
        if table == "dishonest_debtors":
            return self._debtor(number, rng, included_on, day)
        party = self._list_party(table, number, rng, included_on)
        agency = party.registration_agency
        updated = self.office_time(self.rng("list-time", table, number, day), removed or included_on)
        if table == "abnormal_operations":
            reason = (
                self.code("abnormal_reason", "无法联系")
                if party.risk_model
                else self.pick(rng, "abnormal_reason")
            )
            removal_reason = self.pick(rng, "abnormal_removal_reason") if removed else None
            record: Record = {
                "abnormal_id": f"JYYC{number:012d}",
                "entity_pripid": party.pripid,
                "uscc": party.uscc,
                "registration_no": None,
                "party_name": party.name,
                "region_code": party.region.code,
                "inclusion_reason_code": reason,
                "inclusion_reason_name": self.codes.label("abnormal_reason", reason) if reason else "其他",
                "inclusion_date": included_on,
                "inclusion_authority_name": agency.name,
                "inclusion_document_no": f"{agency.region.name[:2]}市监异列字〔{included_on.year}〕{number % 100000:05d}号",
                "removal_reason_code": removal_reason,
                "removal_reason_name": self.codes.label("abnormal_removal_reason", removal_reason)
                if removal_reason
                else None,
                "removal_date": removed,
                "removal_authority_name": agency.name if removed else None,
                "is_listed": removed is None,
                "updated_at": updated,
            }
        else:
            reason = self.pick(rng, "serious_violation_reason")
            record = {
                "serious_violation_id": f"YZWF{number:012d}",
                "entity_pripid": party.pripid,
                "uscc": party.uscc,
                "registration_no": None,
                "party_name": party.name,
                "prefecture_name": party.region.prefecture_name,
                "county_name": party.region.name,
                "region_code": party.region.code,
                "inclusion_reason_code": reason,
                "inclusion_reason_name": self.codes.label("serious_violation_reason", reason)
                if reason
                else "其他",
                "inclusion_date": included_on,
                "inclusion_authority_name": agency.name,
                "inclusion_document_no": f"{agency.region.name[:2]}市监严列字〔{included_on.year}〕{number % 100000:05d}号",
                "removal_reason_name": None,
                "removal_date": None,
                "removal_authority_name": None,
                "legal_representative_name": self.world.persons.name(party.legal_rep_index),
                "updated_at": updated,
            }
        return self.emit(
            table, record, rng, day, business_day=included or removed, party_uscc=party.uscc, party_name=party.name,
        )  # fmt: skip

    def _debtor(self, number: int, rng: random.Random, included_on: date, day: date) -> Emission | None:
        debtor_type = rng.choice(self.debtor_types) if self.debtor_types else None
        court = rng.choice(self.vocab.words("courts"))
        filed = included_on - timedelta(days=rng.randint(60, 700))
        record: Record = {
            "dishonest_id": f"SXBZXR{number:012d}",
            "enforcement_case_no": f"（{filed.year}）鄂{rng.randint(1, 99):02d}执{rng.randint(1, 9999)}号",
            "court_code": f"J{rng.randint(100, 999)}",
            "court_name": court,
            "debtor_type_code": debtor_type,
            "filing_date": filed,
            "enforcement_basis_no": f"（{filed.year - 1}）鄂{rng.randint(1, 99):02d}民初{rng.randint(1, 9999)}号",
            "enforcement_basis_authority": court,
            "obligation": f"支付欠款人民币{rng.randint(1, 500)}万元及利息",
            "performance_status_code": self.code("performance_status", "全部未履行"),
            "performed_part": None,
            "unperformed_part": "全部",
            "dishonest_behaviour_codes": self.pick(rng, "dishonest_behaviour"),
            "publish_date": included_on,
            "removal_date": None,
            "updated_at": self.office_time(rng, included_on),
        }
        meta: dict[str, object] = {}
        if debtor_type == self.person_debtor:
            person = self.person("debtor", number)
            record.update(
                person_name=person.name, id_number=person.id_number, gender_code=self.gender_code(person),
                birth_date=person.birth_date, region_code=person.region_code,
                party_name=None, uscc=None, org_code=None, legal_representative_name=None,
            )  # fmt: skip
        else:
            party = self.world.random_party(rng, included_on, ("enterprise",))
            record.update(
                party_name=party.name, uscc=party.uscc, org_code=party.org_code, region_code=party.region.code,
                legal_representative_name=self.world.persons.name(party.legal_rep_index),
                person_name=None, id_number=None, gender_code=None, birth_date=None,
            )  # fmt: skip
            meta = {"party_uscc": party.uscc, "party_name": party.name}
        emission = self.emit(
            "dishonest_debtors",
            record,
            rng,
            day,
            business_day=included_on if included_on >= self.world.start else None,
        )
        if emission and meta:
            emission.party_uscc = str(meta["party_uscc"])
            emission.party_name = str(meta["party_name"])
        return emission

    # -- ratings, licences, joint punishments ---------------------------------------------------------------
    def _rating(self, party: Party, rated: date, day: date) -> Emission | None:
        rng = self.rng("rating", party.index, rated)
        label = self.world.credit_class_label(party)
        risk_class = self.codes.find("credit_risk_class", label)
        score = {"信用风险低": 880, "信用风险一般": 760, "信用风险较高": 620, "信用风险高": 480}.get(
            label, 700
        )
        record: Record = {
            "uscc": party.uscc,
            "party_name": party.name,
            "rating_source_code": self.code("rating_source", "企业信用风险分类"),
            "risk_class_code": risk_class,
            "credit_grade": risk_class,
            "credit_score": Decimal(score + rng.randint(-40, 40)).quantize(Decimal("0.01")),
            "rated_date": rated,
            "rating_year": rated.year,
            "valid_to_date": rated + timedelta(days=31),
            "model_version": "SAMR-2022-6",
            "rating_authority_name": party.registration_agency.name,
            "department_code": party.registration_agency.department.code,
            "region_code": party.region.code,
            "updated_at": datetime.combine(rated, time(2, 0)) + timedelta(seconds=party.index % 3600),
        }
        return self.emit(
            "credit_ratings", record, rng, day, business_day=rated if rated >= self.world.start else None,
            party_uscc=party.uscc, party_name=party.name,
        )  # fmt: skip

    def _licence(self, day: date, seq: int) -> Emission | None:
        rng = self.rng("licence", day, seq)
        party = self.world.random_party(rng, day)
        kind = rng.choice(self.vocab.entries("licence_kinds"))
        department = rng.choice(self.world.field_departments)
        agency = self.world.agency_for(department, party.region)
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
            "legal_representative_name": legal_rep.name,
            "legal_representative_id_number": legal_rep.id_number,
            "party_certificate_type": self.code("certificate_type", "统一社会信用代码"),
            "party_certificate_no": party.uscc,
            "licence_decision_document_name": kind["document"],
            "licence_decision_no": f"{agency.region.name[:2]}{department.abbreviation}许〔{day.year}〕{day:%m%d}{seq:04d}号",
            "licence_category_code": self.code("licence_category", "普通"),
            "licence_certificate_name": kind["name"],
            "licence_no": f"XK{day:%Y%m%d}{seq:06d}",
            "licence_content": kind["content"],
            "decision_date": day,
            "valid_from_date": day,
            "valid_to_date": day + timedelta(days=5 * 365),
            "licensing_authority_name": agency.name,
            "licensing_authority_uscc": agency.uscc,
            "licence_status_code": self.code("licence_status", "有效"),
            "data_source_unit_name": agency.name,
            "data_source_unit_uscc": agency.uscc,
            "department_code": department.code,
            "region_code": agency.region.code,
            "public_status_code": self.code("public_status", "正常"),
            "updated_at": self.office_time(rng, day),
        }
        return self.emit(
            "public_licences", record, rng, day, business_day=day, party_uscc=party.uscc, party_name=party.name,
        )  # fmt: skip

    def _joint_punishment(self, day: date, seq: int) -> Emission | None:
        rng = self.rng("joint-punishment", day, seq)
        party = self.world.random_party(rng, day, ("enterprise",))
        list_type = self.pick(rng, "credit_list_type")
        record: Record = {
            "punishment_record_id": f"GJLHCJ{day:%Y%m%d}{seq:06d}",
            "list_type_code": list_type,
            "memorandum_name": "关于对失信主体实施联合惩戒的合作备忘录",
            "party_type_code": self.code("debtor_type", "法人"),
            "party_name": party.name,
            "uscc": party.uscc,
            "party_certificate_type": self.code("certificate_type", "统一社会信用代码"),
            "party_certificate_no": party.uscc,
            "legal_representative_name": self.world.persons.name(party.legal_rep_index),
            "list_reason": self.codes.label("credit_list_type", list_type) if list_type else "严重失信",
            "listing_authority_name": "国家市场监督管理总局",
            "list_inclusion_date": day - timedelta(days=rng.randint(1, 60)),
            "punishment_measures": "限制参与政府采购；限制取得政府供应土地；从严审核行政许可",
            "item_code": rng.choice(self.world.items).code,
            "start_date": day,
            "end_date": day + timedelta(days=3 * 365),
            "dispatched_at": datetime.combine(day, time(1, 0)) + timedelta(minutes=seq),
            "department_code": self.world.department_for("dept_samr").code,
            "region_code": party.region.code,
            "feedback_status": "待反馈",
            "feedback_content": None,
            "feedback_at": None,
            "updated_at": datetime.combine(day, time(1, 0)) + timedelta(minutes=seq),
        }
        return self.emit(
            "joint_punishments", record, rng, day, business_day=day, party_uscc=party.uscc, party_name=party.name,
        )  # fmt: skip
