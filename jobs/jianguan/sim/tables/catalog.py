"""监管事项目录 and 检查实施清单 (catalog library), and the 执法人员 register (officers library)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from jianguan.sim.emission import Emission
from jianguan.sim.tables.base import TableGenerator
from jianguan.sim.world import Checklist, Item, Officer


class CatalogGenerator(TableGenerator):
    tables = ("supervision_items", "inspection_checklists")

    def load(self, delivery: date) -> Iterator[Emission]:
        for item in self.world.items:
            emission = self._item(item, delivery, version=1)
            if emission:
                yield emission
        for checklist in self.world.checklists:
            emission = self._checklist(checklist, delivery, version=1)
            if emission:
                yield emission

    def events(self, business: date, delivery: date) -> Iterator[Emission]:
        if business == delivery == self.world.start or business < self.world.start:
            return
        rng = self.rng("catalog", "updates", business)
        # a few catalogue entries are revised every day (new version, same code)
        for item in rng.sample(self.world.items, min(len(self.world.items), rng.randint(0, 2))):
            emission = self._item(item, business, version=2 + self.world.day_number(business))
            if emission:
                yield emission

    def _item(self, item: Item, day: date, version: int) -> Emission | None:
        rng = self.rng("item", item.code, version)
        department = item.department
        province_agency = self.world.agency_for(department, self.world.province_region)
        levels = sorted({a.exercise_level_code for a in self.world.agencies if a.department is department})
        updated = datetime.combine(day, time(9, 0)) + timedelta(minutes=rng.randint(0, 480))
        record = {
            "item_code": item.code,
            "item_name": item.name,
            "main_item_code": item.main_code,
            "main_item_name": item.main_name,
            "sub_item_code": item.sub_code,
            "sub_item_name": item.sub_name,
            "item_type_code": item.type_code,
            "legal_basis": item.legal_basis,
            "supervised_object": "辖区内" + item.subject.replace("许可", "") + "相关市场主体",
            "object_type_codes": ",".join(
                c for c in (self.code("object_type", "企业法人"), self.code("object_type", "个体工商户")) if c
            ),
            "supervision_process": "制定计划→实施检查→结果处理→信息公示",
            "supervision_measures": "现场检查、书面检查、抽样检验",
            "implementing_agency_name": province_agency.name,
            "implementing_agency_uscc": province_agency.uscc,
            "department_code": department.code,
            "exercise_level_codes": ",".join(levels),
            "region_code": self.world.province_region.code,
            "claim_status_code": self.code("claim_status", "已认领"),
            "publish_status_code": self.code("publish_status", "已发布"),
            "version": f"V{version}.0",
            "effective_date": self.world.start - timedelta(days=400) if version == 1 else day,
            "repealed_date": None,
            "updated_at": updated,
        }
        return self.emit("supervision_items", record, rng, day)

    def _checklist(self, checklist: Checklist, day: date, version: int) -> Emission | None:
        rng = self.rng("checklist", checklist.code, version)
        agency = checklist.agency
        item = checklist.item
        record = {
            "checklist_code": checklist.code,
            "checklist_name": checklist.name,
            "item_code": item.code,
            "item_name": item.name,
            "implementing_agency_name": agency.name,
            "implementing_agency_uscc": agency.uscc,
            "exercise_level_code": agency.exercise_level_code,
            "department_code": agency.department.code,
            "region_code": agency.region.code,
            "check_object": item.subject + "相关市场主体",
            "object_type_codes": self.code("object_type", "企业法人"),
            "check_type_code": self.pick(rng, "check_type"),
            "check_content": f"检查{item.subject}相关规定的执行情况",
            "check_mode_codes": self.code("check_mode", "现场检查"),
            "check_basis": item.legal_basis,
            "sampling_ratio_frequency": f"抽查比例{rng.choice((3, 5, 10))}%，每年{rng.choice((1, 2))}次",
            "organising_level": {"province": "省级", "prefecture": "市级", "county": "县级"}[agency.level],
            "is_random_inspection": rng.random() < 0.7,
            "claim_status_code": self.code("claim_status", "已认领"),
            "publish_status_code": self.code("publish_status", "已发布"),
            "version": f"V{version}.0",
            "effective_date": self.world.start - timedelta(days=300),
            "updated_at": datetime.combine(day, time(8, 0)) + timedelta(minutes=rng.randint(0, 600)),
        }
        return self.emit("inspection_checklists", record, rng, day)


class OfficerGenerator(TableGenerator):
    tables = ("officers",)

    def load(self, delivery: date) -> Iterator[Emission]:
        for officer in self.world.officers:
            emission = self._officer(officer, delivery, revision=0)
            if emission:
                yield emission

    def events(self, business: date, delivery: date) -> Iterator[Emission]:
        if business <= self.world.start:
            return
        rng = self.rng("officers", "updates", business)
        for officer in rng.sample(self.world.officers, min(len(self.world.officers), rng.randint(0, 3))):
            emission = self._officer(officer, business, revision=self.world.day_number(business))
            if emission:
                yield emission

    def _officer(self, officer: Officer, day: date, revision: int) -> Emission | None:
        rng = self.rng("officer", officer.index)
        person = self.world.persons.person(officer.person_index)
        agency = officer.agency
        valid_to = officer.issue_date + timedelta(days=5 * 365)
        status = "有效" if revision == 0 or rng.random() < 0.8 else "暂扣"
        record = {
            "officer_certificate_no": officer.certificate_no,
            "officer_name": person.name,
            "organisation_name": agency.name,
            "organisation_uscc": agency.uscc,
            "id_number": person.id_number,
            "gender_code": self.gender_code(person),
            "political_status_code": self.pick(rng, "political_status"),
            "rank_name": rng.choice(("一级科员", "二级主任科员", "四级调研员", "科长", "副科长")),
            "ethnicity_code": self.code("ethnicity", "汉族")
            if rng.random() < 0.9
            else self.pick(rng, "ethnicity"),
            "education_code": self.pick(rng, "education"),
            "officer_nature_code": self.code("officer_nature", "行政编制"),
            "is_supervisor": rng.random() < 0.1,
            "has_legal_qualification": rng.random() < 0.3,
            "contact_phone": person.phone,
            "major": rng.choice(("法学", "食品科学", "药学", "环境工程", "行政管理", "计算机科学")),
            "issuing_authority_name": f"{self.world.province_name}人民政府",
            "enforcement_area": agency.region.name,
            "enforcement_category": agency.department.short_name + "执法",
            "certificate_issue_date": officer.issue_date,
            "certificate_valid_to_date": valid_to,
            "certificate_status_code": self.code("certificate_status", status),
            "region_code": agency.region.code,
            "department_code": agency.department.code,
            "updated_at": datetime.combine(day, time(9, 0))
            + timedelta(minutes=rng.randint(0, 480) + revision),
        }
        return self.emit("officers", record, rng, day)
