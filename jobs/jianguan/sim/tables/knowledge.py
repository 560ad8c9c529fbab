"""知识库: laws, standards, cases, risk features and contingency plans.

Mostly a day-one load. The risk-feature library describes the five Hubei risk models with the same cue words
the simulator plants in listings and 舆情, so a rules-based scorer can be configured from the knowledge base.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from jianguan.sim.emission import Emission, Record
from jianguan.sim.tables.base import SimContext, TableGenerator

MODEL_VERSION = "HB-RISK-2026.1"
MODEL_INDICATORS: dict[str, list[tuple[str, str, str, str]]] = {
    # model id → (feature name, indicator, comparison, threshold)
    "false_medical_ads": [("医疗广告含保证治愈用语", "舆情关键词命中数", ">=", "1"),
                          ("医疗机构被投诉虚假宣传", "近30日投诉举报数", ">=", "2")],
    "illegal_fundraising": [("宣传承诺保本高收益", "舆情关键词命中数", ">=", "1"),
                            ("经营异常且参保人数极少", "社保参保人数", "<=", "5")],
    "illegal_drug_sales": [("网售禁售类别药品", "禁售类别商品数", ">=", "1")],
    "illegal_prescription_sales": [("处方药未展示警示语", "未展示警示语处方药商品数", ">=", "1"),
                                   ("处方药未先方后药", "未审方销售处方药商品数", ">=", "1")],
    "illegal_device_sales": [("医疗器械商品无注册证号", "无注册证号器械商品数", ">=", "1")],
}  # fmt: skip


class KnowledgeGenerator(TableGenerator):
    tables = ("laws", "standards", "cases", "risk_features", "contingency_plans")

    def __init__(self, ctx: SimContext) -> None:
        super().__init__(ctx)
        self.case_stock = self.world.config.scale.population("cases")
        self.cases_per_day = self.world.config.scale.daily("cases", minimum=0)

    def load(self, delivery: date) -> Iterator[Emission]:
        for number, entry in enumerate(self.vocab.entries("law_names")):
            emission = self._law(number, entry, delivery)
            if emission:
                yield emission
        for number, entry in enumerate(self.vocab.entries("standards")):
            emission = self._standard(number, entry, delivery)
            if emission:
                yield emission
        for number in range(self.case_stock):
            emission = self._case(number, delivery)
            if emission:
                yield emission
        number = 0
        for model in self.world.risk_models:
            for keyword in model.keywords:
                emission = self._feature(
                    number,
                    model.id,
                    model.label_zh,
                    f"关键词：{keyword}",
                    "舆情/商品文本命中",
                    "contains",
                    keyword,
                    delivery,
                )
                number += 1
                if emission:
                    yield emission
            for name, indicator, operator, threshold in MODEL_INDICATORS.get(model.id, []):
                emission = self._feature(
                    number, model.id, model.label_zh, name, indicator, operator, threshold, delivery
                )
                number += 1
                if emission:
                    yield emission
        for number, entry in enumerate(self.vocab.entries("contingency_plans")):
            emission = self._plan(number, entry, delivery)
            if emission:
                yield emission

    def events(self, business: date, delivery: date) -> Iterator[Emission]:
        if business <= self.world.start:
            return
        first = self.case_stock + (self.world.day_number(business) - 1) * self.cases_per_day
        for number in range(first, first + self.cases_per_day):
            emission = self._case(number, business, published=business)
            if emission:
                yield emission

    def _law(self, number: int, entry: dict[str, Any], day: date) -> Emission | None:
        rng = self.rng("law", number)
        published = (
            entry["date"] if isinstance(entry["date"], date) else date.fromisoformat(str(entry["date"]))
        )
        record: Record = {
            "law_id": f"LAW{number + 1:06d}",
            "law_category_code": self.code("law_category", str(entry["category"])),
            "law_name": entry["name"],
            "issuing_authority_name": entry["authority"],
            "document_no": entry["document"],
            "publish_date": published,
            "effective_date": published + timedelta(days=rng.choice((0, 30, 90, 180))),
            "validity_code": self.code("law_validity", "现行有效"),
            "repealed_date": None,
            "content": f"《{entry['name']}》全文。第一条 为了规范监管行为，制定本法（规）。",
            "keywords": str(entry["name"])[:20],
            "region_code": self.world.province_region.code if "湖北" in str(entry["name"]) else None,
            "updated_at": datetime.combine(published, time(9, 0)),
        }
        return self.emit("laws", record, rng, day)

    def _standard(self, number: int, entry: dict[str, Any], day: date) -> Emission | None:
        rng = self.rng("standard", number)
        published = (
            entry["date"] if isinstance(entry["date"], date) else date.fromisoformat(str(entry["date"]))
        )
        record: Record = {
            "standard_no": entry["code"],
            "standard_name": entry["name"],
            "standard_name_en": None,
            "standard_type_code": self.code("standard_type", str(entry["type"])),
            "issuing_authority_name": entry["authority"],
            "publish_date": published,
            "effective_date": published + timedelta(days=180),
            "status_code": self.code("standard_status", "现行"),
            "repealed_date": None,
            "replaces_standard_no": None,
            "replaced_by_standard_no": None,
            "ics_code": None,
            "ccs_code": None,
            "domain_name": "监管",
            "scope": f"本标准规定了{entry['name']}的要求。",
            "updated_at": datetime.combine(published, time(9, 0)),
        }
        return self.emit("standards", record, rng, day)

    def _case(self, number: int, day: date, published: date | None = None) -> Emission | None:
        rng = self.rng("case", number)
        department = rng.choice(self.world.field_departments)
        party = self.world.party("enterprise", rng.randrange(self.world.initial_counts["enterprise"]))
        problem = rng.choice(self.vocab.words("problems"))
        when = published or self.world.start - timedelta(days=rng.randint(10, 1500))
        record: Record = {
            "case_no": f"AL{number + 1:08d}",
            "department_category": department.short_name,
            "business_category": rng.choice(("行政处罚", "行政检查", "投诉举报处置")),
            "monitored_item_name": problem[:50],
            "case_name": f"{party.region.name}某企业{problem}案",
            "case_summary": f"执法人员在检查中发现当事人{problem}。",
            "domain_name": department.short_name,
            "cause": "日常检查发现",
            "process_description": "立案调查、取证、告知、听取陈述申辩、作出决定",
            "handling_description": "依法作出行政处罚决定",
            "outcome": f"罚款人民币{rng.randint(1, 50)}千元",
            "conclusion": "违法事实清楚，证据确凿",
            "publish_date": when,
            "item_code": rng.choice(self.world.items_of(department, "penalty")).code,
            "penalty_decision_no": None,
            "region_code": party.region.code,
            "keywords": problem[:20],
            "updated_at": datetime.combine(when, time(10, 0)),
        }
        return self.emit("cases", record, rng, day, business_day=published)

    def _feature(
        self, number: int, model_id: str, label: str, name: str, indicator: str, operator: str, threshold: str,
        day: date,
    ) -> Emission | None:  # fmt: skip
        rng = self.rng("feature", number)
        numeric = threshold.replace(".", "").isdigit()
        record: Record = {
            "feature_id": f"RF{number + 1:05d}",
            "feature_name": name[:100],
            "business_category": label,
            "indicator_name": indicator[:50],
            "indicator_code": f"{model_id}.{number + 1}",
            "relationship": "或" if operator == "contains" else "且",
            "keywords": threshold if not numeric else None,
            "comparison_operator": operator,
            "threshold_value": Decimal(threshold) if numeric else None,
            "weight": Decimal("0.3000") if operator == "contains" else Decimal("0.5000"),
            "risk_level_code": self.code("risk_level", "较高风险"),
            "model_version": MODEL_VERSION,
            "is_enabled": True,
            "effective_date": self.world.start - timedelta(days=30),
            "updated_at": datetime.combine(self.world.start - timedelta(days=30), time(9, 0)),
        }
        return self.emit("risk_features", record, rng, day)

    def _plan(self, number: int, entry: dict[str, Any], day: date) -> Emission | None:
        rng = self.rng("contingency", number)
        published = self.world.start - timedelta(days=rng.randint(100, 1000))
        record: Record = {
            "plan_no": f"YA{number + 1:05d}",
            "plan_name": f"{self.world.province_name}{entry['name']}",
            "event_level_code": self.pick(rng, "emergency_event_level"),
            "emergency_type": entry["type"],
            "emergency_scale": "涉及多个市州或造成较大社会影响",
            "industry_name": entry["industry"],
            "trigger_condition": "发生或可能发生突发事件，达到预案启动条件",
            "emergency_measures": "启动应急响应；组织力量开展处置；及时发布信息",
            "emergency_resources": "应急队伍、检验检测机构、物资储备",
            "emergency_agency_name": f"{self.world.province_name}应急指挥部",
            "plan_content": f"{entry['name']}全文",
            "department_code": self.world.department_for("dept_samr").code,
            "region_code": self.world.province_region.code,
            "publish_date": published,
            "version": "2024版",
            "updated_at": datetime.combine(published, time(9, 0)),
        }
        return self.emit("contingency_plans", record, rng, day)
