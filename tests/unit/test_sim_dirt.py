"""Planted dirt: every kind appears at its configured rate, is really in the files, and is what truth says.

One tiny run for the module, with rates raised well above the defaults so that a few thousand rows give every
kind enough occurrences to measure (a 1 % rate over 200 eligible rows would test nothing). The rates are
compared to the configuration with a binomial tolerance; the planted values are read back from the files
with the ingestion readers and checked with the pipeline's validators, so a defect that the truth lists but
the file does not carry (or that a validator would not catch for the stated reason) fails here.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from jianguan.errors import SourceFileError
from jianguan.ingest.readers import FeedFileReader
from jianguan.rules.context import region_catalog
from jianguan.settings import PROJECT_ROOT
from jianguan.sim import SCALES, DirtConfig, SimConfig, simulate
from jianguan.spec.loader import Standard, cached_standard
from jianguan.validate.codes import RegionCatalog, check_id_number, check_party_code, check_uscc
from jianguan.validate.dates import DateParseError, parse_date, parse_timestamp
from jianguan.validate.text import to_halfwidth

START = date(2026, 11, 2)
DAYS = 3
DIRT = DirtConfig(
    duplicate_row=0.04, name_variant=0.15, uscc_missing=0.05, uscc_fullwidth=0.05, bad_check_char=0.05,
    bad_region=0.05, odd_date=0.08, unparseable_date=0.03, negative_amount=0.15, orphan_reference=0.5,
    late_arrival=0.05, cross_channel=0.4, national_share=0.5, correction=0.5, truncated_files=1,
    renamed_header_files=1,
)  # fmt: skip
ROW_KINDS = ("duplicate_row", "name_variant", "uscc_missing", "uscc_fullwidth", "bad_check_char", "bad_region",
             "odd_date", "unparseable_date", "negative_amount", "orphan_reference", "late_arrival")  # fmt: skip


@dataclass
class Planted:
    root: Path
    standard: Standard
    manifest: dict[str, Any]
    truth: dict[str, list[dict[str, Any]]]
    values: dict[tuple[str, int], dict[str, str | None]]
    """(file, row) → values as the ingestion reader returns them (files that cannot be read are absent)."""
    unreadable: dict[str, str]
    """file → the reader's reason, for files that cannot be read as a whole."""

    def value(self, file: str, row: int, field: str) -> str | None:
        return self.values[(file, row)].get(field)


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            yield json.loads(line)


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Planted:
    standard = cached_standard(PROJECT_ROOT / "schemas")
    root = tmp_path_factory.mktemp("sim-dirt")
    config = SimConfig(
        scale=SCALES["tiny"], seed=99, days=DAYS, start=START, province_code="420000",
        landing_root=root / "landing", truth_root=root / "truth", schemas_root=standard.root, dirt=DIRT,
    )  # fmt: skip
    simulate(config, standard)
    manifest = json.loads((root / "truth" / "manifest.json").read_text(encoding="utf-8"))
    truth = {name: list(read_jsonl(root / "truth" / file)) for name, file in manifest["truth_files"].items()}
    values: dict[tuple[str, int], dict[str, str | None]] = {}
    unreadable: dict[str, str] = {}
    for entry in manifest["files"]:
        feed = standard.feeds[entry["feed"]]
        required = {f.name for f in standard.tables[feed.table].fields if f.required}
        reader = FeedFileReader(root / "landing" / entry["path"], feed, required)
        try:
            for batch in reader.batches():
                for number, row in zip(batch.row_numbers.tolist(), batch.table.to_pylist(), strict=True):
                    values[(entry["path"], number)] = row
                for bad in batch.bad_records:
                    unreadable.setdefault(entry["path"], f"bad record {bad.row_number}: {bad.reason_zh}")
        except SourceFileError as exc:
            unreadable[entry["path"]] = f"{exc.rule_id}: {exc}"
    return Planted(root, standard, manifest, truth, values, unreadable)


@pytest.fixture(scope="module")
def regions(planted: Planted) -> RegionCatalog:
    return region_catalog(planted.standard)


def within_binomial(count: int, eligible: int, rate: float) -> bool:
    """``count`` successes of ``eligible`` trials is plausible for ``rate`` (four standard deviations + 1)."""
    expected = eligible * rate
    return abs(count - expected) <= 4 * math.sqrt(eligible * rate * (1 - rate)) + 1


# -- rates ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ROW_KINDS)
def test_each_row_kind_appears_at_its_configured_rate(planted: Planted, kind: str) -> None:
    rate = getattr(DIRT, kind)
    eligible = planted.manifest["dirt_eligible"][kind]
    count = sum(1 for entry in planted.truth["dirty_rows"] if entry["kind"] == kind)
    assert count == planted.manifest["dirt_counts"].get(kind, 0)  # the manifest agrees with the row list
    assert eligible * rate >= 8, f"{kind}: too few eligible rows ({eligible}) to measure a rate"
    assert within_binomial(count, eligible, rate), f"{kind}: {count}/{eligible} vs configured {rate}"


def test_cross_channel_complaints_appear_at_their_configured_rates(planted: Planted) -> None:
    counts, eligible = planted.manifest["dirt_counts"], planted.manifest["dirt_eligible"]
    assert eligible["cross_channel"] * DIRT.cross_channel >= 8
    assert within_binomial(counts["cross_channel"], eligible["cross_channel"], DIRT.cross_channel)
    assert within_binomial(counts["national_share"], eligible["national_share"], DIRT.national_share)
    # …and they are in the feeds: unlinked events filed on two channels (some events planted on the last
    # day reach their second channel only after the run ends)
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for link in planted.truth["complaint_links"]:
        groups[link["event_id"]].append(link)
    unlinked = [g for g in groups.values() if not g[0]["linked_transfer"]]
    channels = [{link["channel"] for link in group} for group in unlinked]
    assert all(len(c) >= 2 for c in channels if len(c) > 1)
    seen = sum(1 for c in channels if {"12345", "12315"} <= c)
    assert 0.6 * counts["cross_channel"] <= seen <= counts["cross_channel"]
    assert any("national" in c for c in channels)


def test_the_file_level_defects_are_planted_once_each(planted: Planted) -> None:
    kinds = sorted(entry["kind"] for entry in planted.manifest["file_dirt"])
    assert kinds == ["renamed_header", "truncated_file"]


# -- the planted values are in the files and fail for the stated reason -------------------------------------
def planted_of(planted: Planted, kind: str) -> list[dict[str, Any]]:
    entries = [
        e for e in planted.truth["dirty_rows"] if e["kind"] == kind and e["file"] not in planted.unreadable
    ]
    assert entries, kind
    return entries


def test_bad_check_characters_fail_only_the_check_character_rule(planted: Planted) -> None:
    for entry in planted_of(planted, "bad_check_char"):
        value = planted.value(entry["file"], entry["row"], entry["field"])
        assert value == entry["written"] != entry["original"]
        assert value is not None and value[:17] == entry["original"][:17]
        fmt = planted.standard.tables[_table(planted, entry["file"])].field(entry["field"]).format
        if fmt == "uscc":
            problem = check_uscc(value)
        elif fmt == "id_number":
            problem = check_id_number(value)
        else:
            problem = check_party_code(value)
        assert problem is not None and "校验位" in problem, (entry, problem)


def test_bad_region_codes_are_not_in_the_catalogue(planted: Planted, regions: RegionCatalog) -> None:
    for entry in planted_of(planted, "bad_region"):
        value = planted.value(entry["file"], entry["row"], entry["field"])
        assert value == entry["written"]
        assert regions.check(entry["original"]) is None
        assert regions.check(str(value)) is not None, entry


def test_missing_and_fullwidth_credit_codes(planted: Planted) -> None:
    for entry in planted_of(planted, "uscc_missing"):
        assert planted.value(entry["file"], entry["row"], entry["field"]) in (None, "")
        assert check_uscc(entry["original"]) is None
    for entry in planted_of(planted, "uscc_fullwidth"):
        value = str(planted.value(entry["file"], entry["row"], entry["field"]))
        assert value == entry["written"]
        assert "全角" in str(check_uscc(value))
        assert to_halfwidth(value) == entry["original"] and check_uscc(to_halfwidth(value)) is None


def test_odd_dates_parse_to_the_true_date_and_ambiguous_ones_do_not(planted: Planted) -> None:
    for entry in planted_of(planted, "odd_date"):
        value = str(planted.value(entry["file"], entry["row"], entry["field"]))
        assert value == entry["written"] != entry["original"]
        original: str = entry["original"]
        if len(original) == 10:
            assert parse_date(value) == date.fromisoformat(original)
        else:
            parsed = parse_timestamp(value).replace(tzinfo=None)
            truth = datetime.strptime(original, "%Y-%m-%d %H:%M:%S")
            assert parsed.replace(second=0) == truth.replace(second=0)  # 13时45分 carries no seconds
    for entry in planted_of(planted, "unparseable_date"):
        value = str(planted.value(entry["file"], entry["row"], entry["field"]))
        assert value == entry["written"]
        with pytest.raises(DateParseError):
            parse_date(value)


def test_negative_amounts_are_the_true_amount_negated(planted: Planted) -> None:
    for entry in planted_of(planted, "negative_amount"):
        value = planted.value(entry["file"], entry["row"], entry["field"])
        assert Decimal(str(value)) == -Decimal(entry["original"]) < 0


def test_orphan_references_name_no_delivered_inspection(planted: Planted) -> None:
    delivered = {
        row["inspection_code"]
        for (file, _), row in planted.values.items()
        if _table(planted, file) == "inspections" and row.get("inspection_code")
    }
    assert delivered
    for entry in planted_of(planted, "orphan_reference"):
        value = planted.value(entry["file"], entry["row"], "inspection_code")
        assert value == entry["written"] and value not in delivered
        assert entry["original"] != value


def test_name_variants_map_to_the_registered_name(planted: Planted) -> None:
    registered: dict[str, str] = {}
    for (file, _), row in planted.values.items():
        if _table(planted, file) in ("enterprises", "individual_businesses") and row.get("uscc"):
            registered.setdefault(str(row["uscc"]), str(row["party_name"]))
    variants = [e for e in planted.truth["entity_names"] if e["file"] not in planted.unreadable]
    assert len(variants) >= len(planted_of(planted, "name_variant"))
    for entry in variants:
        value = planted.value(entry["file"], entry["row"], entry["name_field"])
        if entry["file"].endswith(".xml"):  # the XML reader trims element text (U+3000 included)
            assert (value or "").strip() == (entry["name_written"] or "").strip()
        else:
            assert value == entry["name_written"]
        if entry["canonical_uscc"] in registered:
            assert registered[entry["canonical_uscc"]].strip() == entry["canonical_name"].strip()
    for entry in planted_of(planted, "name_variant"):
        assert entry["written"] != entry["original"] and entry["written"].strip()


def test_duplicates_repeat_their_original_row(planted: Planted) -> None:
    duplicates = [d for d in planted.truth["duplicates"] if d["file"] not in planted.unreadable]
    spoiled = {(e["file"], e["row"]): True for e in planted.truth["dirty_rows"] if e["field"]}
    assert duplicates
    for entry in duplicates:
        assert entry["row"] > entry["duplicate_of_row"]
        copy = planted.values[(entry["file"], entry["row"])]
        assert copy == planted.values[(entry["file"], entry["duplicate_of_row"])], entry
        if not spoiled.get((entry["file"], entry["duplicate_of_row"])):
            # the truth names the business key in its clean form (a key field may carry planted dirt)
            assert all(copy.get(field) == str(value) for field, value in entry["key"].items() if value), entry


def test_late_arrivals_land_in_a_later_days_folder(planted: Planted) -> None:
    for entry in planted_of(planted, "late_arrival"):
        detail = entry["detail"]
        assert detail["delivered"] > detail["business_date"]
        assert entry["file"].split("/")[1] == detail["delivered"]


def test_corrections_redeliver_the_true_value_later(planted: Planted) -> None:
    dirty = defaultdict(list)
    for entry in planted.truth["dirty_rows"]:
        dirty[(entry["file"], entry["row"])].append(entry)
    corrections = [c for c in planted.truth["corrections"] if c["file"] not in planted.unreadable]
    assert len(corrections) > 10
    for correction in corrections:
        assert correction["file"].split("/")[1] > correction["corrects_file"].split("/")[1]
        spoiled = [e for e in dirty[(correction["corrects_file"], correction["corrects_row"])] if e["field"]]
        assert {e["kind"] for e in spoiled} >= set(correction["kinds"])
        order_by = planted.standard.tables[_table(planted, correction["file"])].order_by
        for entry in spoiled:
            # a correction is a newer version of the record: its order_by timestamp moves on by design
            if entry["kind"] in correction["kinds"] and entry["field"] != order_by:
                corrected = planted.value(correction["file"], correction["row"], entry["field"])
                if entry["kind"] == "negative_amount":
                    assert Decimal(str(corrected)) == Decimal(entry["original"])
                else:
                    assert corrected == (entry["original"] or ""), (correction, entry)


def test_renamed_header_and_truncated_files_are_refused_or_flagged_by_the_reader(planted: Planted) -> None:
    for entry in planted.manifest["file_dirt"]:
        assert entry["file"] in planted.unreadable, entry
        reason = planted.unreadable[entry["file"]]
        if entry["kind"] == "renamed_header":
            assert reason.startswith("file_header") and entry["header"] in reason
        # a truncated delivery shows as a broken last record or an unreadable file, never as clean rows


def test_planted_risk_parties_cover_the_five_models_and_carry_signals(planted: Planted) -> None:
    entities = planted.truth["risk_entities"]
    models = {e["model"] for e in entities}
    assert models == {"false_medical_ads", "illegal_fundraising", "illegal_drug_sales",
                      "illegal_prescription_sales", "illegal_device_sales"}  # fmt: skip
    risky = {e["uscc"]: e["model"] for e in entities}
    signals = planted.truth["risk_signals"]
    assert signals
    for signal in signals:
        assert risky.get(signal["uscc"]) == signal["model"]


def _table(planted: Planted, file: str) -> str:
    entry = next(e for e in planted.manifest["files"] if e["path"] == file)
    return str(planted.standard.feeds[entry["feed"]].table)


def test_clean_config_has_no_dirt() -> None:
    clean = DirtConfig.clean()
    assert all(getattr(clean, f.name) in (0, 0.0) for f in fields(clean))
