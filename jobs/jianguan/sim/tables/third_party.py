"""互联网及第三方信息库: online shops and listings, 舆情, IoT readings and utility/tax/social-security signals.

This is where most planted risk signals live (standards.md §6): listings of the seven drug categories that
may not be sold online, prescription drugs shown without the mandatory warning or sold without a
prescription check, medical devices listed without a registration number, and 舆情 items repeating the cue
words of false medical ads (彻底根治, 一次性解决) and illegal fundraising (保本保息, 年化收益15%). Every planted
party gets at least one signal in the initial load; more arrive on later days. Ordinary shops and pharmacies
list the same kinds of goods *correctly*, so a model has to tell them apart.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from jianguan.sim.emission import Emission, Record
from jianguan.sim.fields import money
from jianguan.sim.tables.base import SimContext, TableGenerator, sample_indices
from jianguan.sim.world import Party

LISTINGS_PER_SHOP = 3
RISK_LISTINGS_PER_PARTY = 2
ONLINE_MODELS = ("illegal_drug_sales", "illegal_prescription_sales", "illegal_device_sales")
OPINION_MODELS = ("false_medical_ads", "illegal_fundraising")


class ThirdPartyGenerator(TableGenerator):
    tables = ("online_shops", "online_listings", "public_opinion", "iot_readings", "utility_signals")

    def __init__(self, ctx: SimContext) -> None:
        super().__init__(ctx)
        scale = self.world.config.scale
        self.platforms = self.vocab.entries("platforms")
        self.planted_online = [
            index for index, model in sorted(self.world.planted.items()) if model in ONLINE_MODELS
        ]
        self.shop_stock = max(scale.population("online_shops"), len(self.planted_online))
        self.shop_births = scale.daily("shop_births")
        self.listings_per_day = scale.daily("listings")
        self.opinions_per_day = scale.daily("opinions")
        self.devices = scale.population("iot_devices")
        self.readings_per_day = scale.daily("iot_readings", minimum=self.devices)
        self.accounts = scale.population("utility_accounts")
        self.signals_per_day = scale.daily("utility_signals")
        self.metrics = self._metrics()
        self.signal_types = self.world.router.allowed(
            "utility_signals", "signal_type_code"
        ) or self.codes.codes("utility_signal_type")
        self.banned_drug_codes = (
            self.codes.find_all(
                "drug_category",
                list(self.world.risk_model("illegal_drug_sales").spec.get("banned_drug_labels", [])),
            )
            if any(m.id == "illegal_drug_sales" for m in self.world.risk_models)
            else ()
        )
        self.ordinary_drug_codes = (
            tuple(
                c
                for c in self.codes.codes("drug_category")
                if c not in self.banned_drug_codes
                and self.codes.label("drug_category", c) in ("化学药品", "中成药")
            )
            or tuple(c for c in self.codes.codes("drug_category") if c not in self.banned_drug_codes)[:2]
        )
        self.warning = self.vocab.text("prescription_warning")

    def _metrics(self) -> list[dict[str, Any]]:
        metrics = []
        for entry in self.vocab.entries("iot_metrics"):
            code = self.codes.find("iot_metric", str(entry["label"]))
            if code is not None:
                metrics.append({**entry, "code": code})
        return metrics

    # -- shops ------------------------------------------------------------------------------------------------
    def shop_owner(self, number: int) -> Party:
        if number < len(self.planted_online):
            return self.world.party("enterprise", self.planted_online[number])
        rng = self.rng("shop-owner", number)
        return self.world.random_party(rng, self.world.start)

    def _platform(self, owner: Party, rng: random.Random) -> dict[str, Any]:
        if owner.industry.kind in ("pharmacy", "device") and rng.random() < 0.6:
            pharma = [p for p in self.platforms if "医药" in str(p["type_label"])]
            if pharma:
                return pharma[0]
        return rng.choice(self.platforms)

    def _shop(self, number: int, day: date, revision: int) -> Emission | None:
        rng = self.rng("shop", number)
        owner = self.shop_owner(number)
        platform = self._platform(owner, rng)
        shop_id = f"SHOP{number:09d}"
        shop_name = f"{owner.name.split('（')[0][:12]}{rng.choice(('旗舰店', '专营店', '官方店', '小店'))}"
        licences = None
        if owner.industry.kind == "pharmacy":
            licences = f"药品经营许可证：鄂AA{rng.randint(10_000_000, 99_999_999)}"
        opened = max(owner.established, self.world.start - timedelta(days=rng.randint(10, 2000)))
        updated = (
            self.office_time(self.rng("shop-rev", number, revision), day)
            if revision
            else datetime.combine(opened, time(12, 0))
        )
        record: Record = {
            "platform_code": platform["code"],
            "platform_name": platform["name"],
            "platform_uscc": self.world.usccs.uscc(
                "9", "1", "110000", "platform", self.platforms.index(platform)
            ),
            "platform_type_code": self.code("platform_type", str(platform["type_label"])),
            "shop_id": shop_id,
            "shop_name": shop_name,
            "shop_url": f"https://{platform['host']}/shop/{shop_id}",
            "seller_name": owner.name,
            "uscc": owner.uscc,
            "business_licence_no": owner.uscc if rng.random() < 0.9 else None,
            "licence_numbers_shown": licences,
            "is_licence_displayed": rng.random() < 0.9 and owner.risk_model is None,
            "icp_record_no": f"鄂ICP备{rng.randint(10_000_000, 99_999_999)}号"
            if rng.random() < 0.3
            else None,
            "ecommerce_type": "平台内经营者",
            "app_name": None,
            "official_account": None,
            "operating_address": owner.address[:300],
            "region_code": owner.region.code,
            "opened_date": opened,
            "is_closed": bool(revision) and rng.random() < 0.05,
            "captured_at": datetime.combine(day, time(3, 0)) + timedelta(seconds=number % 3600),
            "updated_at": updated,
        }
        return self.emit(
            "online_shops", record, rng, day, business_day=day if revision or day > self.world.start else None,
            party_uscc=owner.uscc, party_name=owner.name, party_fields=("seller_name", "uscc"),
        )  # fmt: skip

    # -- listings -------------------------------------------------------------------------------------------------
    def _listing(self, shop_number: int, listing_number: int, day: date, planted: bool) -> Emission | None:
        rng = self.rng("listing", shop_number, listing_number)
        owner = self.shop_owner(shop_number)
        platform = self._platform(owner, self.rng("shop", shop_number))
        model_id = owner.risk_model if planted and owner.risk_model in ONLINE_MODELS else None
        record: Record = {
            "platform_code": platform["code"],
            "listing_id": f"{shop_number:09d}{listing_number:07d}",
            "shop_id": f"SHOP{shop_number:09d}",
            "shop_name": None,
            "captured_at": datetime.combine(day, time(4, 0))
            + timedelta(seconds=(shop_number * 7 + listing_number) % 7200),
            "listing_url": f"https://{platform['host']}/item/{shop_number:09d}{listing_number:07d}",
            "is_on_sale": True,
            "sales_count": int(rng.paretovariate(1.2) * 10),
            "drug_category_code": self.code("drug_category", "非药品"),
            "approval_no": None,
            "is_prescription": False,
            "has_prescription_warning": None,
            "has_real_name_check": None,
            "has_prescription_check": None,
            "device_registration_no": None,
        }
        signal = None
        if model_id == "illegal_drug_sales" and self.banned_drug_codes:
            model = self.world.risk_model(model_id)
            product = rng.choice(list(model.spec.get("banned_products") or ["特殊药品"]))
            keyword = rng.choice(model.keywords)
            record.update(
                title=f"{product} {keyword}", description=f"{product}，{keyword}，量大从优。", category_name="药品",
                product_name=product, drug_category_code=rng.choice(self.banned_drug_codes),
                approval_no=f"国药准字H{rng.randint(10_000_000, 99_999_999)}", is_prescription=True,
                has_prescription_warning=False, has_real_name_check=False, has_prescription_check=False,
                price_amount=money(rng, 50, 2000),
            )  # fmt: skip
            signal = "banned_drug_category_listed"
        elif model_id == "illegal_prescription_sales":
            model = self.world.risk_model(model_id)
            product = rng.choice(self.vocab.words("drug_products"))
            keyword = rng.choice(model.keywords)
            record.update(
                title=f"{product} {keyword}", description=f"{product}，{keyword}，当天发货。", category_name="处方药",
                product_name=product, drug_category_code=rng.choice(self.ordinary_drug_codes),
                approval_no=f"国药准字H{rng.randint(10_000_000, 99_999_999)}", is_prescription=True,
                has_prescription_warning=False, has_real_name_check=False, has_prescription_check=False,
                price_amount=money(rng, 10, 500),
            )  # fmt: skip
            signal = "prescription_drug_without_warning"
        elif model_id == "illegal_device_sales":
            model = self.world.risk_model(model_id)
            product = rng.choice(
                list(model.spec.get("device_products") or self.vocab.words("device_products"))
            )
            keyword = rng.choice(model.keywords)
            record.update(
                title=f"{product} {keyword}", description=f"{product}，{keyword}，假一赔十。", category_name="医疗器械",
                product_name=product, device_registration_no=None, price_amount=money(rng, 100, 8000),
            )  # fmt: skip
            signal = "device_without_registration_no"
        else:
            self._ordinary_listing(record, owner, rng)
        emission = self.emit(
            "online_listings",
            record,
            rng,
            day,
            business_day=day if day > self.world.start else None,
        )
        if emission and signal:
            emission.risk = (owner.uscc, str(model_id))
            emission.risk_signal = signal
        return emission

    def _ordinary_listing(self, record: Record, owner: Party, rng: random.Random) -> None:
        kind = owner.industry.kind
        if kind == "pharmacy" and self.ordinary_drug_codes:
            product = rng.choice(self.vocab.words("drug_products"))
            prescription = rng.random() < 0.4
            record.update(
                title=product, category_name="处方药" if prescription else "非处方药", product_name=product,
                description=(self.warning + "。") if prescription else "请按说明书使用。",
                drug_category_code=rng.choice(self.ordinary_drug_codes),
                approval_no=f"国药准字{rng.choice('HZ')}{rng.randint(10_000_000, 99_999_999)}",
                is_prescription=prescription, has_prescription_warning=True if prescription else None,
                has_real_name_check=True if prescription else None,
                has_prescription_check=True if prescription else None, price_amount=money(rng, 5, 300),
            )  # fmt: skip
        elif kind == "device":
            product = rng.choice(self.vocab.words("device_products"))
            record.update(
                title=product, category_name="医疗器械", product_name=product, description="家用医疗器械",
                device_registration_no=f"鄂械注准{rng.randint(2019, 2025)}2{rng.randint(1_000_000, 9_999_999)}",
                price_amount=money(rng, 20, 3000),
            )  # fmt: skip
        else:
            product = rng.choice(self.vocab.words("ordinary_goods"))
            record.update(
                title=f"{product} 包邮", category_name="日用百货", product_name=product, description=f"{product}，品质保证。",
                price_amount=money(rng, 5, 800),
            )  # fmt: skip

    # -- 舆情 ---------------------------------------------------------------------------------------------------
    def _opinion(self, day: date, seq: int, planted: Party | None) -> Emission | None:
        rng = self.rng("opinion", day, seq, planted.index if planted else -1)
        published = datetime.combine(day, time(0, 0)) + timedelta(minutes=rng.randint(0, 1439))
        party: Party | None = planted
        signal = None
        if planted is not None and planted.risk_model is not None:
            model = self.world.risk_model(planted.risk_model)
            keyword = rng.choice(model.keywords)
            template = rng.choice(list(model.spec.get("opinion_titles") or ["{name}{keyword}"]))
            title = template.format(name=planted.name, keyword=keyword)
            content = f"{title}。有网友反映，{planted.name}近期在网络平台宣传“{keyword}”，引发质疑。"
            keywords = ",".join(sorted({keyword, model.label_zh}))
            sentiment = self.code("sentiment", "负面")
            signal = "opinion_keyword"
        else:
            party = self.world.random_party(rng, day) if rng.random() < 0.6 else None
            template = rng.choice(self.vocab.words("neutral_opinions"))
            region = party.region if party else self.world.random_county(rng)
            title = template.format(name=party.name if party else region.name, region=region.prefecture_name)
            content = f"{title}。记者从相关部门获悉，相关工作正在有序推进。"
            keywords = "市场监管"
            sentiment = (
                self.code("sentiment", "中性") if rng.random() < 0.7 else self.code("sentiment", "正面")
            )
        site = rng.choice(self.vocab.words("opinion_sites"))
        record: Record = {
            "opinion_id": f"YQ{day:%Y%m%d}{seq:07d}",
            "title": title,
            "url": f"https://news.example.cn/{day:%Y%m%d}/{seq:07d}.html",
            "source_site": site,
            "source_type_code": self.pick(rng, "opinion_source_type"),
            "author_name": self.world.persons.name(self.world.persons.index("author", seq)),
            "published_at": published,
            "content": content,
            "summary": title,
            "sentiment_code": sentiment,
            "keywords": keywords,
            "domain_name": "医疗卫生"
            if signal and planted and planted.risk_model == "false_medical_ads"
            else "市场监管",
            "party_name": party.name if party else None,
            "uscc": party.uscc if party and rng.random() < 0.3 else None,
            "item_code": None,
            "region_code": party.region.code if party else None,
            "heat_score": Decimal(f"{rng.uniform(1, 100):.2f}"),
            "read_count": int(rng.paretovariate(1.1) * 100),
            "repost_count": rng.randint(0, 500),
            "comment_count": rng.randint(0, 800),
            "is_warning": signal is not None and rng.random() < 0.5,
            "captured_at": published + timedelta(minutes=rng.randint(5, 120)),
        }
        if record["captured_at"].date() > day:
            record["captured_at"] = datetime.combine(day, time(23, 59))
        emission = self.emit(
            "public_opinion", record, rng, day, business_day=day,
            party_uscc=party.uscc if party else None, party_name=party.name if party else None,
        )  # fmt: skip
        if emission and signal and planted is not None and planted.risk_model:
            emission.risk = (planted.uscc, planted.risk_model)
            emission.risk_signal = signal
        return emission

    # -- IoT and utilities ---------------------------------------------------------------------------------------
    def _device(self, number: int) -> tuple[Party, dict[str, Any]]:
        rng = self.rng("iot-device", number)
        party = self.world.party("enterprise", rng.randrange(self.world.initial_counts["enterprise"]))
        suitable = [m for m in self.metrics if party.industry.kind in m["owners"]] or self.metrics
        return party, rng.choice(suitable)

    def _readings(self, day: date) -> Iterator[Emission]:
        if not self.metrics or not self.devices:
            return
        per_device = math.ceil(self.readings_per_day / self.devices)
        interval = max(1, 1440 // per_device)
        rng = self.rng("iot-readings", day)
        ecology = self.world.department_for("dept_ecology")
        for number in range(self.readings_per_day):
            device, slot = number % self.devices, number // self.devices
            party, metric = self._device(device)
            measured = datetime.combine(day, time(0, 0)) + timedelta(minutes=slot * interval)
            typical = float(metric["typical"])
            limit = metric.get("limit")
            exceed = rng.random() < 0.03 and limit is not None
            if exceed and limit is not None:
                value = float(limit) + abs(float(limit)) * rng.uniform(0.05, 0.6) + 0.1
            else:
                value = (
                    typical + abs(typical) * rng.uniform(-0.2, 0.2) if typical else float(rng.random() < 0.01)
                )
            record: Record = {
                "device_id": f"IOT{device:08d}",
                "device_name": f"{metric['label']}在线监测仪",
                "site_id": f"SITE{device:08d}",
                "site_name": f"{party.name[:20]}监测点",
                "uscc": party.uscc,
                "party_name": party.name,
                "region_code": party.region.code,
                "department_code": ecology.code,
                "metric_code": metric["code"],
                "measured_value": round(value, 3),
                "unit": metric["unit"],
                "limit_value": float(limit) if limit is not None else None,
                "is_exceedance": exceed,
                "data_flag_code": self.code("iot_data_flag", "正常")
                if rng.random() < 0.97
                else self.pick(rng, "iot_data_flag"),
                "measured_at": measured,
                "received_at": measured + timedelta(seconds=rng.randint(5, 300)),
            }
            if record["received_at"].date() > day:
                record["received_at"] = measured
            emission = self.emit(
                "iot_readings", record, rng, day, business_day=day, party_uscc=party.uscc, party_name=party.name,
            )  # fmt: skip
            if emission:
                yield emission

    def _signal(
        self, account: int, signal_type: str, period: str, day: date, revision: int
    ) -> Emission | None:
        rng = self.rng("utility", account, signal_type, period)
        party = self.world.party(
            "enterprise",
            self.rng("utility-account", account).randrange(self.world.initial_counts["enterprise"]),
        )
        label = self.codes.label("utility_signal_type", signal_type)
        arrears = "欠费" in label
        if "人数" in label:
            value, unit = Decimal(rng.randint(1, 300)), "人"
        elif "税" in label or "收入" in label:
            value, unit = Decimal(f"{rng.uniform(1_000, 5_000_000):.2f}"), "元"
        elif arrears:
            value, unit = Decimal(f"{rng.uniform(100, 50_000):.2f}"), "元"
        else:
            value, unit = Decimal(f"{rng.uniform(10, 100_000):.2f}"), "千瓦时" if "电" in label else "立方米"
        if party.risk_model == "illegal_fundraising" and "人数" in label:
            value = Decimal(rng.randint(1, 5))  # a shell: hardly any staff
        provider = (
            "国网湖北省电力有限公司"
            if "电" in label
            else "国家税务总局湖北省税务局"
            if "税" in label or "收入" in label
            else "市水务集团"
        )
        record: Record = {
            "uscc": party.uscc,
            "party_name": party.name,
            "account_no": f"HH{account:010d}",
            "signal_type_code": signal_type,
            "period_month": period,
            "signal_value": value.quantize(Decimal("0.0001")),
            "unit": unit,
            "arrears_period_count": rng.randint(1, 6) if arrears else None,
            "late_fee_amount": money(rng, 10, 2000) if arrears else None,
            "provider_name": provider,
            "department_code": None,
            "region_code": party.region.code,
            "updated_at": datetime.combine(day, time(5, 0)) + timedelta(seconds=account % 3600 + revision),
        }
        return self.emit(
            "utility_signals", record, rng, day, business_day=day if revision else None,
            party_uscc=party.uscc, party_name=party.name,
        )  # fmt: skip

    def _period(self, day: date) -> str:
        first = day.replace(day=1) - timedelta(days=1)
        return f"{first.year}{first.month:02d}"

    # -- the day ----------------------------------------------------------------------------------------------
    def load(self, delivery: date) -> Iterator[Emission]:
        if self.ctx.table("online_shops") is not None:
            for number in range(self.shop_stock):
                emission = self._shop(number, delivery, 0)
                if emission:
                    yield emission
        if self.ctx.table("online_listings") is not None:
            for number in range(self.shop_stock):
                planted = number < len(self.planted_online)
                for listing in range(LISTINGS_PER_SHOP):
                    emission = self._listing(
                        number, listing, delivery, planted and listing < RISK_LISTINGS_PER_PARTY
                    )
                    if emission:
                        yield emission
        if self.ctx.table("public_opinion") is not None:
            opinion_planted = [i for i, m in sorted(self.world.planted.items()) if m in OPINION_MODELS]
            for seq, index in enumerate(opinion_planted):
                emission = self._opinion(delivery, 9_000_000 + seq, self.world.party("enterprise", index))
                if emission:
                    yield emission
        if self.ctx.table("utility_signals") is not None and self.signal_types:
            period = self._period(delivery)
            for account in range(self.accounts):
                rng = self.rng("utility-types", account)
                for signal_type in sorted(
                    rng.sample(list(self.signal_types), min(2, len(self.signal_types)))
                ):
                    emission = self._signal(account, signal_type, period, delivery, 0)
                    if emission:
                        yield emission

    def events(self, business: date, delivery: date) -> Iterator[Emission]:
        if business < self.world.start:
            return
        rng = self.rng("third-party-day", business)
        number = self.world.day_number(business)
        if self.ctx.table("online_shops") is not None and business > self.world.start:
            for seq in range(self.shop_births):
                shop = self.shop_stock + (number - 1) * self.shop_births + seq
                emission = self._shop(shop, business, 0)
                if emission:
                    yield emission
        if self.ctx.table("online_listings") is not None and business > self.world.start:
            shops = self.shop_stock + (number - 1) * self.shop_births
            for seq in range(self.listings_per_day):
                shop = rng.randrange(shops)
                planted = shop < len(self.planted_online) and rng.random() < 0.5
                listing = 100 + (number - 1) * self.listings_per_day + seq
                emission = self._listing(shop, listing, business, planted)
                if emission:
                    yield emission
        if self.ctx.table("public_opinion") is not None:
            opinion_planted = [i for i, m in sorted(self.world.planted.items()) if m in OPINION_MODELS]
            for seq in range(self.opinions_per_day):
                target = None
                if opinion_planted and rng.random() < 0.05:
                    target = self.world.party("enterprise", rng.choice(opinion_planted))
                emission = self._opinion(business, seq, target)
                if emission:
                    yield emission
        if self.ctx.table("iot_readings") is not None:
            yield from self._readings(business)
        if (
            self.ctx.table("utility_signals") is not None
            and self.signal_types
            and business > self.world.start
        ):
            period = self._period(business)
            for account in sample_indices(rng, self.accounts, self.signals_per_day):
                signal_type = rng.choice(self.signal_types)
                emission = self._signal(account, signal_type, period, business, number)
                if emission:
                    yield emission
