"""监管对象信息库: registered parties, practitioners, special equipment, products, premises and projects.

Day one delivers each register in full; later days deliver newly registered parties and revisions of existing
records (same business key, later ``updated_at``). Every record is regenerated from its index, so a revision
differs from the first delivery only in what the revision changes.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from jianguan.sim.emission import Emission, Record
from jianguan.sim.fields import money
from jianguan.sim.tables.base import SimContext, TableGenerator, sample_indices
from jianguan.sim.world import Party

UPDATE_SHARE = 0.004
"""Share of a register revised per day (address moves, status changes, renewals)."""


class PartyRegisterGenerator(TableGenerator):
    """enterprises, individual_businesses and other_legal_persons."""

    tables = ("enterprises", "individual_businesses", "other_legal_persons")
    kinds = (
        ("enterprise", "enterprises"),
        ("individual", "individual_businesses"),
        ("social", "other_legal_persons"),
    )

    def load(self, delivery: date) -> Iterator[Emission]:
        for kind, table in self.kinds:
            if self.ctx.table(table) is None:
                continue
            for index in range(self.world.initial_counts[kind]):
                emission = self._register(kind, table, index, delivery, revision=0)
                if emission:
                    yield emission

    def events(self, business: date, delivery: date) -> Iterator[Emission]:
        if business < self.world.start:
            return
        for kind, table in self.kinds:
            if self.ctx.table(table) is None:
                continue
            for index in self.world.births_on(kind, business):
                emission = self._register(kind, table, index, business, revision=0)
                if emission:
                    yield emission
            if business == self.world.start:
                continue
            rng = self.rng("register-updates", kind, business)
            population = self.world.party_count(kind, business - timedelta(days=1))
            count = max(1, round(population * UPDATE_SHARE * self.world.config.scale.intensity / 3))
            for index in sample_indices(rng, population, count):
                emission = self._register(
                    kind, table, index, business, revision=self.world.day_number(business)
                )
                if emission:
                    yield emission

    def _register(self, kind: str, table: str, index: int, day: date, revision: int) -> Emission | None:
        party = self.world.party(kind, index)
        rng = self.rng("register", kind, index, revision)
        if revision == 0 and index < self.world.initial_counts[kind]:
            updated = datetime.combine(party.established, time(10, 0)) + timedelta(
                days=rng.randint(0, max(0, (self.world.history_start - party.established).days)),
                minutes=rng.randint(0, 420),
            )
        else:
            updated = self.office_time(rng, day)
        if kind == "enterprise":
            record = self._enterprise(party, rng, revision)
        elif kind == "individual":
            record = self._individual(party, rng, revision)
        else:
            record = self._social(party, rng)
        record["updated_at"] = updated
        return self.emit(table, record, rng, day)

    def _status(self, rng: random.Random, revision: int) -> tuple[str | None, date | None]:
        roll = rng.random()
        if revision and roll < 0.15:
            return self.code("registration_status", "注销"), None
        if roll < 0.04:
            return self.code("registration_status", "吊销"), self.world.start - timedelta(
                days=rng.randint(30, 900)
            )
        return self.code("registration_status", "存续"), None

    def _enterprise(self, party: Party, rng: random.Random, revision: int) -> Record:
        legal_rep = self.world.persons.person(party.legal_rep_index)
        liaison = self.person("liaison", party.index)
        status, revoked = self._status(rng, revision)
        address = (
            party.address if not revision or rng.random() < 0.5 else self.world.address(rng, party.region)
        )
        return {
            "entity_pripid": party.pripid,
            "registration_no": f"{party.region.code}{600000000 + party.index % 400000000:09d}",
            "uscc": party.uscc,
            "party_name": party.name,
            "industry_code": party.industry.code,
            "organisation_category": "企业",
            "economy_type_code": rng.choice(("110", "150", "159", "171")),
            "enterprise_type_code": rng.choice(("1100", "1130", "1150", "1212")),
            "enterprise_type_name": rng.choice(
                ("有限责任公司（自然人独资）", "有限责任公司（自然人投资或控股）", "股份有限公司（非上市）")
            ),
            "legal_representative_name": legal_rep.name,
            "registered_capital": Decimal(rng.choice((10, 50, 100, 200, 500, 1000, 3000, 5000))).quantize(
                Decimal("0.000001")
            ),
            "capital_currency_code": "156",
            "capital_currency_name": "人民币",
            "domicile": address,
            "operating_address": address,
            "region_code": party.region.code,
            "operating_region_code": party.region.code,
            "operating_from_date": party.established,
            "operating_to_date": date(9999, 12, 31)
            if rng.random() < 0.6
            else party.established + timedelta(days=30 * 365),
            "business_scope": party.industry.scope
            + "。（依法须经批准的项目，经相关部门批准后方可开展经营活动）",
            "scope_type_code": None,
            "scope_type_name": None,
            "registration_authority_code": party.registration_agency.uscc,
            "registration_authority_name": party.registration_agency.name,
            "registration_status_code": status,
            "registration_status_name": self.codes.label("registration_status", status) if status else None,
            "established_date": party.established,
            "approved_date": party.established + timedelta(days=rng.randint(0, 400)),
            "revoked_date": revoked,
            "revoke_reason": "未按规定参加年检" if revoked else None,
            "liaison_name": liaison.name,
            "liaison_id_number": liaison.id_number,
            "liaison_phone": liaison.phone,
            "longitude": party.longitude,
            "latitude": party.latitude,
            "is_key_supervision": party.risk_model is not None or rng.random() < 0.05,
        }

    def _individual(self, party: Party, rng: random.Random, revision: int) -> Record:
        operator = self.world.persons.person(party.legal_rep_index)
        status, revoked = self._status(rng, revision)
        return {
            "entity_pripid": party.pripid,
            "registration_no": f"{party.region.code}{600000000 + party.index % 400000000:09d}",
            "uscc": party.uscc,
            "party_name": party.name,
            "business_type_code": "9600",
            "business_type_name": "个体工商户",
            "operator_name": operator.name,
            "operator_id_number": operator.id_number,
            "operating_address": party.address,
            "region_code": party.region.code,
            "business_scope": party.industry.scope,
            "composition_form_code": "1" if rng.random() < 0.9 else "2",
            "composition_form_name": "个人经营" if rng.random() < 0.9 else "家庭经营",
            "registration_authority_code": party.registration_agency.uscc,
            "registration_authority_name": party.registration_agency.name,
            "registration_status_code": status,
            "registration_status_name": self.codes.label("registration_status", status) if status else None,
            "registered_date": party.established,
            "approved_date": party.established + timedelta(days=rng.randint(0, 200)),
            "revoked_date": revoked,
            "revoke_reason": "未按规定报送年度报告" if revoked else None,
            "longitude": party.longitude,
            "latitude": party.latitude,
            "liaison_name": operator.name,
            "liaison_id_number": operator.id_number,
            "liaison_phone": operator.phone,
        }

    def _social(self, party: Party, rng: random.Random) -> Record:
        legal_rep = self.world.persons.person(party.legal_rep_index)
        type_label = {"3": "基金会", "2": "社会服务机构"}.get(party.uscc[1], "社会团体法人")
        return {
            "party_name": party.name,
            "uscc": party.uscc,
            "is_key_supervision": rng.random() < 0.05,
            "legal_person_name": party.name,
            "legal_person_type_code": self.code("legal_person_type", type_label),
            "approval_authority_name": party.registration_agency.name[:20],
            "approved_date": party.established,
            "legal_representative_name": legal_rep.name,
            "legal_representative_certificate_type": self.code("certificate_type", "居民身份证"),
            "legal_representative_certificate_no": legal_rep.id_number,
            "industry_code": "S9421",
            "organisation_category": type_label,
            "economy_type_code": "400",
            "business_scope": "开展行业交流、培训、咨询服务",
            "registered_address": party.address,
            "region_code": party.region.code,
            "operating_address": party.address[:100],
            "longitude": party.longitude,
            "latitude": party.latitude,
            "contact_phone": legal_rep.phone,
        }


class ObjectRegisterGenerator(TableGenerator):
    """Registers keyed by their own index: practitioners, equipment, products, licences, premises, projects."""

    tables = (
        "natural_persons", "special_equipment", "food_products", "drug_manufacturing_licences",
        "medical_device_registrations", "cosmetic_manufacturing_licences", "premises", "construction_projects",
    )  # fmt: skip

    def __init__(self, ctx: SimContext) -> None:
        super().__init__(ctx)
        scale = self.world.config.scale
        self.populations = {table: scale.population(table) for table in self.tables}
        self.makers = {
            "natural_persons": self._practitioner,
            "special_equipment": self._equipment,
            "food_products": self._food,
            "drug_manufacturing_licences": self._drug_licence,
            "medical_device_registrations": self._device,
            "cosmetic_manufacturing_licences": self._cosmetic,
            "premises": self._premises,
            "construction_projects": self._project,
        }

    def load(self, delivery: date) -> Iterator[Emission]:
        for table in self.tables:
            if self.ctx.table(table) is None:
                continue
            for index in range(self.populations[table]):
                emission = self._make(table, index, delivery, 0)
                if emission:
                    yield emission

    def events(self, business: date, delivery: date) -> Iterator[Emission]:
        if business <= self.world.start:
            return
        for table in self.tables:
            if self.ctx.table(table) is None:
                continue
            rng = self.rng("object-updates", table, business)
            population = self.populations[table]
            count = max(1, round(population * UPDATE_SHARE * self.world.config.scale.intensity / 3))
            for index in sample_indices(rng, population, count):
                emission = self._make(table, index, business, self.world.day_number(business))
                if emission:
                    yield emission

    def _make(self, table: str, index: int, day: date, revision: int) -> Emission | None:
        rng = self.rng("object", table, index)
        record, party = self.makers[table](rng, index)
        revision_rng = self.rng("object-revision", table, index, revision)
        if revision:
            record["updated_at"] = self.office_time(revision_rng, day)
        else:
            record["updated_at"] = datetime.combine(
                self.world.history_start - timedelta(days=rng.randint(1, 700)), time(9, 0)
            ) + timedelta(minutes=rng.randint(0, 480))
        if party is not None and record.get("party_name") == party.name:
            code_field = "uscc" if record.get("uscc") == party.uscc else "party_code"
            return self.emit(
                table, record, rng, day,
                party_uscc=party.uscc, party_name=party.name, party_fields=("party_name", code_field),
            )  # fmt: skip
        return self.emit(table, record, rng, day)

    def _owner(self, rng: random.Random, kinds: tuple[str, ...]) -> Party:
        """An initial enterprise of a suitable industry (fallback: any enterprise)."""
        for _ in range(30):
            party = self.world.party("enterprise", rng.randrange(self.world.initial_counts["enterprise"]))
            if party.industry.kind in kinds:
                return party
        return self.world.party("enterprise", rng.randrange(self.world.initial_counts["enterprise"]))

    def _practitioner(self, rng: random.Random, index: int) -> tuple[Record, Party | None]:
        person = self.person("practitioner", index)
        employer = self._owner(rng, ("hospital", "clinic", "pharmacy"))
        certificate = rng.choice(("医师执业证书", "护士执业证书", "执业药师注册证"))
        return (
            {
                "party_name": person.name,
                "party_code": person.id_number,
                "gender_code": self.gender_code(person),
                "ethnicity_code": self.code("ethnicity", "汉族"),
                "political_status_code": self.pick(rng, "political_status"),
                "birth_date": person.birth_date,
                "household_address": self.world.address(
                    rng, self.world.region_by_code.get(person.region_code, employer.region)
                ),
                "residence_address": employer.region.full_name + rng.choice(self.vocab.words("streets")),
                "region_code": person.region_code,
                "contact_phone": person.phone,
                "practice_certificate_type_code": self.code("practice_certificate_type", certificate),
                "practice_certificate_name": certificate,
                "practice_certificate_no": f"{rng.randrange(10**14, 10**15)}",
                "employer_name": employer.name,
                "employer_uscc": employer.uscc,
                "department_code": self.world.department_for("dept_health").code,
            },
            None,
        )

    def _equipment(self, rng: random.Random, index: int) -> tuple[Record, Party | None]:
        owner = self._owner(rng, ("general", "hospital", "chemical", "fuel", "construction"))
        maker = self._owner(rng, ("equipment_maker",))
        kind = rng.choice(self.vocab.entries("equipment_kinds"))
        category = self.code("equipment_category", str(kind["label"]))
        inspected = self.world.start - timedelta(days=rng.randint(10, 360))
        factory = inspected - timedelta(days=rng.randint(200, 4000))
        return (
            {
                "equipment_code": f"{category or '0000'}{owner.region.code}{factory.year}{index:07d}",
                "equipment_category_code": category,
                "equipment_name": rng.choice(kind["names"]),
                "registration_certificate_no": f"{str(kind['label'])[:1]}{owner.region.code[2:4]}鄂{index:06d}",
                "brand_name": rng.choice(kind["brands"]),
                "manufacturer_name": maker.name[:50],
                "manufacturer_uscc": maker.uscc,
                "factory_date": factory,
                "party_name": owner.name,
                "uscc": owner.uscc,
                "area_name": owner.region.name,
                "region_code": owner.region.code,
                "installation_address": owner.address[:200],
                "last_inspection_date": inspected,
                "next_inspection_date": inspected + timedelta(days=365),
                "valid_to_date": inspected + timedelta(days=365),
                "inspection_org_name": rng.choice(self.vocab.words("inspection_orgs")),
            },
            owner,
        )

    def _food(self, rng: random.Random, index: int) -> tuple[Record, Party | None]:
        owner = self._owner(rng, ("food",))
        allowed = self.world.router.allowed("food_products", "product_category_code") or self.codes.codes(
            "product_category"
        )
        ordinary = self.codes.find_all("product_category", ["普通食品", "食品添加剂"])
        weights = [6.0 if code in ordinary else 1.0 for code in allowed]
        category = rng.choices(list(allowed), weights=weights)[0] if allowed else None
        special = category is not None and category not in ordinary
        product = rng.choice(self.vocab.words("special_foods" if special else "food_products"))
        licence = f"SC{rng.choice((1, 2))}{rng.randint(10, 33)}{owner.region.code}{index:05d}"[:16]
        return (
            {
                "product_category_code": category,
                "product_name": product,
                "food_category_code": f"{rng.randint(1, 32):02d}{rng.randint(1, 9):02d}",
                "food_category_name": "乳制品"
                if special
                else rng.choice(("肉制品", "糕点", "酒类", "调味品")),
                "party_name": owner.name[:50],
                "uscc": owner.uscc,
                "region_code": owner.region.code,
                "specification": f"{rng.choice((100, 250, 400, 500, 800))}g/袋",
                "net_content": f"{rng.choice((100, 250, 400, 500, 800))}g",
                "production_date": self.world.start - timedelta(days=rng.randint(1, 180)),
                "ingredients": "小麦粉、白砂糖、植物油、食用盐",
                "shelf_life": f"{rng.choice((6, 9, 12, 18))}个月",
                "product_standard_code": rng.choice(("GB 7099", "GB 2726", "GB 10765", "Q/WHS 0001S")),
                "storage_conditions": "置于阴凉干燥处",
                "additive_names": rng.choice(self.vocab.words("food_additives")),
                "production_licence_no": licence,
                "registration_or_filing_no": f"国食注字TY{20200000 + index:08d}" if special else None,
            },
            owner if owner.name[:50] == owner.name else None,
        )

    def _drug_licence(self, rng: random.Random, index: int) -> tuple[Record, Party | None]:
        owner = self._owner(rng, ("drug_maker",))
        issued = self.world.start - timedelta(days=rng.randint(30, 1800))
        return (
            {
                "production_licence_no": f"鄂{issued.year}{index:04d}",
                "uscc": owner.uscc,
                "party_name": owner.name[:50],
                "registered_address": owner.address[:200],
                "production_address": owner.address,
                "legal_representative_name": self.world.persons.name(owner.legal_rep_index),
                "production_scope": rng.choice(
                    ("片剂、胶囊剂、颗粒剂", "原料药", "小容量注射剂", "中药饮片")
                ),
                "classification_code": rng.choice(("AhCz", "Bh", "Dh", "Ah")),
                "issue_date": issued,
                "valid_to_date": issued + timedelta(days=5 * 365),
                "province_name": self.world.province_name,
                "issuing_authority_name": self.world.department_for("dept_nmpa").name.replace(
                    "省", self.world.province_name, 1
                ),
                "region_code": owner.region.code,
            },
            owner if owner.name[:50] == owner.name else None,
        )

    def _device(self, rng: random.Random, index: int) -> tuple[Record, Party | None]:
        owner = self._owner(rng, ("device_maker",))
        device_class = rng.choice(("第一类", "第二类", "第三类"))
        approved = self.world.start - timedelta(days=rng.randint(30, 1800))
        product = rng.choice(self.vocab.words("device_products"))
        class_digit = {"第一类": "1", "第二类": "2", "第三类": "3"}[device_class]
        return (
            {
                "device_registration_no": f"鄂械注准{approved.year}{class_digit}{index % 100:02d}{index:05d}"[
                    :40
                ],
                "party_name": owner.name[:50],
                "uscc": owner.uscc,
                "registrant_address": owner.address[:200],
                "production_address": owner.address,
                "agent_name": None,
                "agent_address": None,
                "product_name": product,
                "model_specification": f"{rng.choice(('A', 'B', 'YX', 'HM'))}-{rng.randint(100, 999)}",
                "device_class_code": self.code("device_class", device_class),
                "structure_composition": "由主机、传感器和配件组成",
                "intended_use": "供医疗机构或家庭使用",
                "approval_date": approved,
                "valid_to_date": approved + timedelta(days=5 * 365),
                "product_standard": f"YZB/鄂 {rng.randint(1000, 9999)}-{approved.year}",
                "issuing_authority_name": self.world.department_for("dept_nmpa").name.replace(
                    "省", self.world.province_name, 1
                ),
                "region_code": owner.region.code,
            },
            owner if owner.name[:50] == owner.name else None,
        )

    def _cosmetic(self, rng: random.Random, index: int) -> tuple[Record, Party | None]:
        owner = self._owner(rng, ("cosmetic_maker",))
        issued = self.world.start - timedelta(days=rng.randint(30, 1800))
        return (
            {
                "production_licence_no": f"鄂妆{issued.year}{index:04d}"[:20],
                "party_name": owner.name[:50],
                "uscc": owner.uscc,
                "licensed_items": "、".join(rng.sample(self.vocab.words("cosmetic_items"), 2)),
                "production_address": owner.address,
                "domicile": owner.address[:200],
                "province_name": self.world.province_name,
                "city_name": owner.region.prefecture_name,
                "legal_representative_name": self.world.persons.name(owner.legal_rep_index),
                "issuing_authority_name": self.world.department_for("dept_nmpa").name.replace(
                    "省", self.world.province_name, 1
                ),
                "issue_date": issued,
                "valid_to_date": issued + timedelta(days=5 * 365),
                "region_code": owner.region.code,
            },
            owner if owner.name[:50] == owner.name else None,
        )

    def _premises(self, rng: random.Random, index: int) -> tuple[Record, Party | None]:
        owner = self._owner(rng, ("general", "chemical", "fuel", "mining", "construction"))
        responsible = self.person("responsible", index)
        use = rng.choice(("仓储", "生产车间", "商场", "加油站", "危险化学品库房", "人员密集场所"))
        return (
            {
                "premises_name": f"{owner.name[:30]}{use}",
                "area_name": owner.region.name,
                "region_code": owner.region.code,
                "premises_address": owner.address[:200],
                "party_name": owner.name[:50],
                "uscc": owner.uscc,
                "responsible_person_name": responsible.name,
                "responsible_person_certificate_type": self.code("certificate_type", "居民身份证"),
                "responsible_person_certificate_no": responsible.id_number,
                "contact_phone": responsible.phone,
                "premises_use": use,
                "premises_scale": f"建筑面积{rng.randint(200, 20000)}平方米",
                "in_use_since_date": self.world.start - timedelta(days=rng.randint(100, 6000)),
                "service_life": f"{rng.choice((20, 30, 50))}年",
                "longitude": owner.longitude,
                "latitude": owner.latitude,
                "department_code": self.world.department_for("dept_emergency").code,
            },
            owner if owner.name[:50] == owner.name else None,
        )

    def _project(self, rng: random.Random, index: int) -> tuple[Record, Party | None]:
        owner = self._owner(rng, ("construction", "general"))
        principal = self.person("principal", index)
        start_year = self.world.start.year - rng.randint(0, 2)
        assigned = datetime.combine(date(start_year, 1, 1) + timedelta(days=rng.randint(0, 300)), time(10, 0))
        return (
            {
                "project_code": f"{start_year}-{owner.region.code}-{rng.choice(('47', '48', '70', '78'))}-{rng.choice(('01', '02', '03'))}-{index:06d}",
                "project_name": f"{owner.region.name}{rng.choice(self.vocab.words('brand_words'))}{rng.choice(('综合体', '产业园', '安置房', '物流中心', '道路改造工程'))}项目",
                "region_code": owner.region.code,
                "project_type_code": self.pick(rng, "project_type"),
                "construction_nature_code": self.code("construction_nature", "新建"),
                "start_year": start_year,
                "end_year": start_year + rng.randint(1, 4),
                "total_investment_amount": money(rng, 1_000_000, 2_000_000_000),
                "place_code": owner.region.code,
                "place_detail": owner.address,
                "industry_code": "E4710",
                "industry_name": "房屋建筑业",
                "scale_content": f"总建筑面积约{rng.randint(1, 50)}万平方米",
                "land_area": round(rng.uniform(1000, 200000), 2),
                "built_area": round(rng.uniform(1000, 500000), 2),
                "party_name": owner.name,
                "party_certificate_type": self.code("certificate_type", "统一社会信用代码"),
                "party_code": owner.uscc,
                "principal_name": principal.name,
                "principal_phone": principal.phone,
                "contact_name": principal.name,
                "contact_phone": principal.phone,
                "is_sub_project": False,
                "parent_project_code": None,
                "code_assigned_at": assigned,
                "is_valid": True,
                "approval_stage_name": rng.choice(
                    ("立项用地规划许可", "工程建设许可", "施工许可", "竣工验收")
                ),
                "construction_permit_no": f"{owner.region.code}{start_year}{index:06d}",
                "department_code": self.world.department_for("dept_housing").code,
            },
            owner,
        )
