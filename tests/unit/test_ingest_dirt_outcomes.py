"""Where every kind of planted dirt ends up after ingestion, row by row, checked against the simulator's truth.

One tiny province is simulated for two days and only the second day is ingested: late arrivals and corrections
are delivered on a later day than their event, so the day that is ingested carries every kind the simulator
plants. The ground truth (``dirty_rows.jsonl``, ``duplicates.jsonl``, ``complaint_links.jsonl``,
``corrections.jsonl`` and the manifest's ``file_dirt``) names the file, row and field of each planted defect;
ingestion keeps the file and row of each record in ``source_file`` / ``source_row_number`` (bronze and
``__rejected``), so every dirtied row is looked up where it landed.

What the outcome of a kind should be is read from ``schemas/`` (a field's ``required`` and ``severity``), not
guessed: an error-severity rule sends the row to ``<table>__rejected``, a warn-severity rule keeps it in bronze
with the finding in ``row_warnings``. Dirt that the marts resolve later (name variants, cross-channel
complaints, late arrivals, orphan references) must be loaded unchanged.

A few rates are raised above the defaults (and the file-level dirt switched on, which the ``tiny`` scale leaves
off) so that one tiny day holds at least one instance of every kind; the Great Expectations batch gate is
switched off here because it only logs findings (it never moves rows) and would triple the runtime.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pytest

import jianguan.ingest.run as ingest_run
from jianguan.ingest.ledger import IngestionLog
from jianguan.ingest.run import IngestSummary, ingest_date
from jianguan.lake import LakeTable
from jianguan.privacy import mask, tokenise
from jianguan.settings import Settings
from jianguan.sim.config import DirtConfig
from jianguan.sim.dirt import ROW_KINDS
from jianguan.spec.loader import Standard, cached_standard
from jianguan.spec.model import FieldSpec, TableSpec
from jianguan.validate.dates import SHANGHAI
from tests.sim_helpers import lakehouse_settings, simulate_tiny

DAY1 = date(2026, 11, 2)
DAY2 = date(2026, 11, 3)
SEED = 2
DIRT = DirtConfig(
    negative_amount=0.1,
    orphan_reference=0.5,
    cross_channel=0.3,
    national_share=0.5,
    truncated_files=1,
    renamed_header_files=1,
)
"""Defaults, except rare kinds made common enough that one tiny day holds each of them (seed fixed)."""

FILE_KINDS = ("renamed_header", "truncated_file")
KINDS = (
    "duplicate_row",
    *ROW_KINDS,
    "orphan_reference",
    "late_arrival",
    "cross_channel",
    "national_share",
    "correction",
    *FILE_KINDS,
)
"""Every kind the simulator plants (checked against its configuration and manifest below)."""
ERROR_KINDS = ("bad_check_char", "bad_region", "unparseable_date", "negative_amount", "uscc_missing")
"""Kinds that break a row rule of the field they touch (whether the row is refused depends on the schema)."""
NATIONAL_FEED = "national_dispatches"
NUMBER = re.compile(r"-?\d+(\.\d+)?")

Row = tuple[str, int]
"""(landing-relative file, 1-based record number): how truth and lineage both name a record."""


@dataclass(frozen=True)
class Hit:
    """One appearance of a record after ingestion."""

    where: str  # bronze | rejected
    table: str
    row: dict[str, Any]

    @property
    def rules(self) -> set[tuple[str, str]]:
        """(rule_id, column) of the findings: errors in __rejected, warnings in bronze."""
        text = self.row["reject_reasons"] if self.where == "rejected" else self.row["row_warnings"]
        return {(f["rule_id"], f["column"]) for f in json.loads(text or "[]")}


@dataclass
class Day:
    """The ingested day: truth, the ingestion log and every row the tables hold for the day."""

    settings: Settings
    std: Standard
    summary: IngestSummary
    manifest: dict[str, Any]
    files: dict[str, dict[str, Any]]
    """Truth manifest entry per file delivered on the day."""
    log: dict[str, dict[str, Any]]
    """Ingestion-log row per file."""
    dirty: list[dict[str, Any]]
    duplicates: list[dict[str, Any]]
    links: list[dict[str, Any]]
    """Complaint channel records of events filed on more than one channel, delivered on the day."""
    corrections: list[dict[str, Any]]
    hits: dict[Row, list[Hit]] = field(default_factory=dict)
    table_rows: Counter[str] = field(default_factory=Counter)

    def table_of(self, file: str) -> TableSpec:
        return self.std.table(self.files[file]["table"])

    def status(self, file: str) -> str:
        return str(self.log[file]["status"])

    def only_hit(self, row: Row) -> Hit:
        found = self.hits.get(row, [])
        assert len(found) == 1, f"{row}: expected in exactly one place, found {[h.where for h in found]}"
        return found[0]

    def marks(self, row: Row) -> list[dict[str, Any]]:
        return [d for d in self.dirty if (d["file"], d["row"]) == row]


def _on_day(file: str, day: date) -> bool:
    return file.split("/")[1] == day.isoformat()


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> Day:
    root = tmp_path_factory.mktemp("dirt")
    settings = lakehouse_settings(root)
    simulate_tiny(settings.landing_root, settings.truth_root, start=DAY1, days=2, seed=SEED, dirt=DIRT)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ingest_run, "_gate", lambda *args, **kwargs: None, raising=False)
        summary = ingest_date(settings, DAY2)
    truth = settings.truth_root
    manifest = json.loads((truth / "manifest.json").read_text(encoding="utf-8"))
    links = [x for x in _jsonl(truth / "complaint_links.jsonl") if _on_day(x["file"], DAY2)]
    channels: dict[str, set[str]] = defaultdict(set)
    for link in _jsonl(truth / "complaint_links.jsonl"):
        channels[link["event_id"]].add(link["channel"])
    result = Day(
        settings=settings,
        std=cached_standard(settings.schemas_root),
        summary=summary,
        manifest=manifest,
        files={f["path"]: f for f in manifest["files"] if _on_day(f["path"], DAY2)},
        log={r["source_file"]: r for r in IngestionLog(settings.resolved_lakehouse_root).read(DAY2).to_pylist()},
        dirty=[d for d in _jsonl(truth / "dirty_rows.jsonl") if _on_day(d["file"], DAY2)],
        duplicates=[d for d in _jsonl(truth / "duplicates.jsonl") if _on_day(d["file"], DAY2)],
        links=[x for x in links if len(channels[x["event_id"]]) > 1],
        corrections=[c for c in _jsonl(truth / "corrections.jsonl") if _on_day(c["file"], DAY2)],
    )  # fmt: skip
    for table in sorted({f["table"] for f in result.files.values()}):
        for where, name in (("bronze", table), ("rejected", table + "__rejected")):
            lake = LakeTable(settings.table_path("bronze", name))
            if not lake.exists():
                continue
            for row in lake.read(filter=pc.field("logical_date") == DAY2).to_pylist():
                key = (row["source_file"], row["source_row_number"])
                result.hits.setdefault(key, []).append(Hit(where, table, row))
                result.table_rows[where] += 1
    return result


# -- what the schema says a planted value should do ------------------------------------------------------------
def _rule_of(kind: str, spec: FieldSpec) -> str | None:
    """The stable rule id a kind of dirt breaks on this field (None: the value is acceptable)."""
    if kind == "bad_check_char":
        return f"format_{spec.format}"
    if kind == "bad_region":
        return "format_region_code"
    if kind == "unparseable_date":
        return "type_date" if spec.type == "date" else "type_timestamp"
    if kind == "negative_amount":
        return "range"
    if kind == "uscc_missing":
        return "required" if spec.required else None
    return None


def _severity(rule: str, spec: FieldSpec) -> str:
    return "error" if rule == "required" else spec.severity


def _refusals(day: Day, row: Row) -> set[tuple[str, str]]:
    """The error findings the planted marks of ``row`` must produce, per the schema."""
    table = day.table_of(row[0])
    found = set()
    for mark in day.marks(row):
        if mark["kind"] in ERROR_KINDS:
            spec = table.field(mark["field"])
            rule = _rule_of(mark["kind"], spec)
            if rule and _severity(rule, spec) == "error":
                found.add((rule, spec.name))
    return found


def _stored(day: Day, table: TableSpec, name: str, hit: Hit, value: Any) -> None:
    """Bronze holds ``value`` for the field, masked/tokenised as ``schemas/pii.yaml`` says for its class."""
    spec = table.field(name)
    treatment = day.std.pii[spec.pii]
    if treatment.treatment == "keep":
        assert hit.row[name] == value, (name, hit.row[name], value)
        return
    if "token" in treatment.treatment:
        expected = None if value is None else tokenise(value, day.settings.token_secret, pii_class=spec.pii)
        assert hit.row[name + "_token"] == expected, (name, value)
    if "mask" in treatment.treatment and treatment.mask:
        assert hit.row[name] == (None if value is None else mask(value, treatment.mask)), (name, value)


def _halfwidth_trimmed(text: str) -> str:
    """How ingestion spells any text: full-width ASCII and U+3000 made half-width, spaces collapsed, trimmed."""
    half = "".join(chr(ord(c) - 0xFEE0) if "\uff01" <= c <= "\uff5e" else c for c in text).replace(
        "\u3000", " "
    )
    return re.sub(r"\s+", " ", half).strip()


def _same_text(raw: str, planted: Any) -> bool:
    """A raw value as the file delivered it is what the simulator wrote (JSON may drop a decimal's zeros)."""
    written = str(planted)
    if NUMBER.fullmatch(written):
        return Decimal(raw) == Decimal(written)
    return raw.strip() == written


def _loaded_or_refused_for_other_dirt(day: Day, row: Row) -> Hit | None:
    """A row whose own dirt is acceptable lands in bronze, unless other dirt on the same row refuses it.

    Returns the bronze hit, or None after checking that the rejection is explained by the row's other marks.
    """
    hit = day.only_hit(row)
    refusals = _refusals(day, row)
    if refusals:
        assert hit.where == "rejected" and refusals <= hit.rules, (row, refusals, hit.rules)
        return None
    if hit.where == "rejected" and hit.rules == {
        ("duplicate_key", ",".join(day.table_of(row[0]).business_key))
    }:
        _check_key_loaded_from_same_file(day, row, hit)
        return None
    assert hit.where == "bronze", (row, hit.rules)
    return hit


def _check_key_loaded_from_same_file(day: Day, row: Row, hit: Hit) -> None:
    """A record refused as an in-file business-key duplicate: another record of the file with the key loaded."""
    table = day.table_of(row[0])
    payload = json.loads(hit.row["raw_payload"])
    assert all(table.field(k).type == "string" for k in table.business_key), table.name
    key = [payload[k] for k in table.business_key]
    holders = [
        h
        for (file, number), found in day.hits.items()
        for h in found
        if file == row[0] and number < row[1] and h.where == "bronze"
        and [h.row[k] for k in table.business_key] == key
    ]  # fmt: skip
    assert len(holders) == 1, (row, key)


# -- the day as a whole -------------------------------------------------------------------------------------
def test_the_kinds_checked_are_every_kind_the_simulator_plants(day: Day) -> None:
    configured = {f.name for f in fields(DirtConfig) if isinstance(getattr(DIRT, f.name), float)}
    assert configured <= set(KINDS) and set(CHECKS) == set(KINDS)
    assert set(day.manifest["dirt_counts"]) <= set(KINDS), "a new kind of dirt needs an outcome test here"
    assert {d["kind"] for d in day.dirty} <= set(KINDS)


def test_every_delivered_file_is_logged_once_and_every_row_read_lands_once(day: Day) -> None:
    assert set(day.log) == set(day.files), "each delivered file has exactly one log row"
    assert len(day.summary.outcomes) == len(day.files)
    read = loaded = rejected = held = 0
    for file, described in day.files.items():
        entry = day.log[file]
        assert entry["rows_read"] == entry["rows_loaded"] + entry["rows_rejected"] + entry["rows_held"], file
        read, loaded = read + entry["rows_read"], loaded + entry["rows_loaded"]
        rejected, held = rejected + entry["rows_rejected"], held + entry["rows_held"]
        numbers = sorted(n for (f, n), found in day.hits.items() if f == file for _ in found)
        if entry["status"] == "quarantined_file":
            assert entry["rows_read"] == 0 and not numbers, file
            continue
        assert entry["rows_read"] == described["rows"], f"{file}: truth wrote {described['rows']} rows"
        wanted = list(range(1, described["rows"] + 1))
        if entry["status"] == "failed_gate":
            assert len(numbers) == len(set(numbers)) == entry["rows_rejected"], file
        else:
            assert numbers == wanted, f"{file}: every record lands exactly once in bronze or __rejected"
    assert day.table_rows["bronze"] == loaded and day.table_rows["rejected"] == rejected
    assert read == loaded + rejected + held
    assert read == sum(f["rows"] for p, f in day.files.items() if day.status(p) != "quarantined_file")
    assert rejected > 0 and loaded > rejected


# -- one test per kind ----------------------------------------------------------------------------------------
def _planted(day: Day, kind: str) -> list[dict[str, Any]]:
    marks = [d for d in day.dirty if d["kind"] == kind]
    assert marks, f"no {kind} planted on {DAY2}: the seed/rates no longer exercise it"
    return marks


def _live(day: Day, marks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Marks in files that were read (a quarantined file holds all its rows: checked by its own kind)."""
    for mark in marks:
        if day.status(mark["file"]) == "quarantined_file":
            assert not any(f == mark["file"] for f, _ in day.hits), mark["file"]
    live = [m for m in marks if day.status(m["file"]) != "quarantined_file"]
    assert live, "every instance fell into a quarantined file"
    return live


def _check_rule_kind(day: Day, kind: str) -> Counter[str]:
    outcomes: Counter[str] = Counter()
    for mark in _live(day, _planted(day, kind)):
        row = (mark["file"], mark["row"])
        table = day.table_of(mark["file"])
        spec = table.field(mark["field"])
        rule = _rule_of(kind, spec)
        hit = day.only_hit(row)
        if rule is None:  # an optional field left empty: loaded with nothing in it
            bronze = _loaded_or_refused_for_other_dirt(day, row)
            if bronze is not None:
                _stored(day, table, spec.name, bronze, None)
            outcomes["bronze (empty)"] += 1
        elif _severity(rule, spec) == "error":
            assert hit.where == "rejected", (
                f"{row}: {rule} on {spec.name} is an error in schemas/, row loaded"
            )
            assert (rule, spec.name) in hit.rules, (row, hit.rules)
            reasons = json.loads(hit.row["reject_reasons"])
            assert all(r["message_zh"] for r in reasons)
            payload = json.loads(hit.row["raw_payload"])
            if day.std.pii[spec.pii].treatment == "keep" and mark["written"] is not None:
                assert _same_text(payload[spec.name], mark["written"]), (row, payload[spec.name])
            outcomes[f"rejected {rule}"] += 1
        else:
            bronze = _loaded_or_refused_for_other_dirt(day, row)
            if bronze is not None:
                assert (rule, spec.name) in bronze.rules, f"{row}: warn rule {rule} not in row_warnings"
            outcomes[f"bronze + warning {rule}"] += 1
    return outcomes


def _rule_breaking_dirt_is_refused_or_warned_as_the_schema_says(day: Day, kind: str) -> None:
    assert _check_rule_kind(day, kind)


def _odd_but_readable_dates_are_loaded_normalised(day: Day, kind: str) -> None:
    for mark in _live(day, _planted(day, "odd_date")):
        row = (mark["file"], mark["row"])
        table = day.table_of(mark["file"])
        spec = table.field(mark["field"])
        hit = _loaded_or_refused_for_other_dirt(day, row)
        if hit is None:
            continue
        if spec.type == "date":
            expected: Any = date.fromisoformat(mark["original"])
        else:
            expected = datetime.fromisoformat(mark["original"]).replace(tzinfo=SHANGHAI)
            if "时" in mark["written"] and "秒" not in mark["written"]:
                expected = expected.replace(second=0)  # 2026年11月3日 8时30分 carries no seconds
        assert hit.row[spec.name] == expected, (row, mark["written"], hit.row[spec.name])
        assert not [r for r in hit.rules if r[1] == spec.name], (
            f"{row}: a readable date spelling is no finding"
        )


def _fullwidth_codes_are_loaded_half_width(day: Day, kind: str) -> None:
    for mark in _live(day, _planted(day, "uscc_fullwidth")):
        row = (mark["file"], mark["row"])
        assert mark["written"] != mark["original"]
        hit = _loaded_or_refused_for_other_dirt(day, row)
        if hit is not None:
            _stored(day, day.table_of(mark["file"]), mark["field"], hit, mark["original"])


def _duplicated_rows_are_refused_as_duplicate_keys(day: Day, kind: str) -> None:
    assert {(d["file"], d["row"]) for d in day.duplicates} == {
        (d["file"], d["row"]) for d in day.dirty if d["kind"] == "duplicate_row"
    }
    _planted(day, "duplicate_row")
    for duplicate in _live(day, day.duplicates):
        table = day.table_of(duplicate["file"])
        original = day.only_hit((duplicate["file"], duplicate["duplicate_of_row"]))
        copy = day.only_hit((duplicate["file"], duplicate["row"]))
        assert copy.where == "rejected", duplicate
        if original.where == "bronze":
            assert copy.rules == {("duplicate_key", ",".join(table.business_key))}, duplicate
            payload = json.loads(copy.row["raw_payload"])
            for name in table.business_key:  # the same key, as the truth recorded it (codes in clear)
                spec = table.field(name)
                if spec.type == "string" and day.std.pii[spec.pii].treatment == "keep":
                    raw = _halfwidth_trimmed(payload[name])
                    assert original.row[name] == raw == duplicate["key"][name], duplicate
        else:  # the original was refused: its copy is refused for the same reasons
            assert copy.rules == original.rules, duplicate


def _name_variants_are_loaded_as_written_for_dbt_to_resolve(day: Day, kind: str) -> None:
    unresolved = 0
    for mark in _live(day, _planted(day, "name_variant")):
        row = (mark["file"], mark["row"])
        hit = _loaded_or_refused_for_other_dirt(day, row)
        if hit is None:
            continue
        written = _halfwidth_trimmed(mark["written"])
        _stored(day, day.table_of(mark["file"]), mark["field"], hit, written)
        if written != _halfwidth_trimmed(mark["original"]):
            unresolved += 1  # e.g. 有限责任公司 for 有限公司: ingestion must not guess the registered name
    assert unresolved, "no variant survived text normalisation: nothing left for the entity resolution"


def _orphan_references_are_loaded_as_written(day: Day, kind: str) -> None:
    for mark in _live(day, _planted(day, "orphan_reference")):
        hit = _loaded_or_refused_for_other_dirt(day, (mark["file"], mark["row"]))
        if hit is not None:
            assert hit.row[mark["field"]] == mark["written"] != mark["original"]


def _late_arrivals_are_loaded_under_their_delivery_date(day: Day, kind: str) -> None:
    loaded = 0
    for mark in _live(day, _planted(day, "late_arrival")):
        assert mark["detail"]["business_date"] < DAY2.isoformat() == mark["detail"]["delivered"]
        hit = _loaded_or_refused_for_other_dirt(day, (mark["file"], mark["row"]))
        if hit is not None:
            assert hit.row["logical_date"] == DAY2
            loaded += 1
    assert loaded


def _complaints_filed_on_several_channels_are_each_loaded(day: Day, kind: str) -> None:
    links = [x for x in day.links if kind == "cross_channel" or x["feed"] == NATIONAL_FEED]
    assert links, f"no {kind} records delivered on {DAY2}"
    for link in links:
        row = (link["file"], link["row"])
        if day.status(link["file"]) == "quarantined_file":
            continue
        hit = _loaded_or_refused_for_other_dirt(day, row)
        if hit is not None:
            assert hit.table == link["table"]
            assert {k: hit.row[k] for k in link["key"]} == link["key"], row


def _corrections_are_loaded_clean(day: Day, kind: str) -> None:
    assert day.corrections, f"no corrections delivered on {DAY2}"
    for correction in day.corrections:
        row = (correction["file"], correction["row"])
        if day.status(correction["file"]) == "quarantined_file":
            continue
        hit = day.only_hit(row)
        assert hit.where == "bronze" and not _refusals(day, row), (row, hit.rules)
        table = day.table_of(correction["file"])
        for name, value in correction["key"].items():
            if table.field(name).type == "string":
                assert hit.row[name] == value


def _a_file_with_a_renamed_header_is_quarantined_whole(day: Day, kind: str) -> None:
    planted = [
        d for d in day.manifest["file_dirt"] if d["kind"] == "renamed_header" and _on_day(d["file"], DAY2)
    ]
    assert planted
    for entry in planted:
        _check_quarantined(day, entry["file"], "file_header", [entry["header"], entry["renamed_to"]])


def _a_truncated_file_is_quarantined_whole(day: Day, kind: str) -> None:
    planted = [
        d for d in day.manifest["file_dirt"] if d["kind"] == "truncated_file" and _on_day(d["file"], DAY2)
    ]
    assert planted
    for entry in planted:
        _check_quarantined(day, entry["file"], "file_truncated", ["截断"])


def _check_quarantined(day: Day, file: str, rule_id: str, words: list[str]) -> None:
    entry = day.log[file]
    assert entry["status"] == "quarantined_file" and entry["reason_rule_id"] == rule_id, entry
    assert entry["rows_read"] == entry["rows_loaded"] == entry["rows_rejected"] == 0
    assert not any(f == file for f, _ in day.hits), f"{file}: rows of a quarantined file reached a table"
    copy = day.settings.resolved_lakehouse_root / "quarantine" / file
    assert copy.read_bytes() == (day.settings.landing_root / file).read_bytes()
    reason = json.loads(copy.with_name(copy.name + ".reason.json").read_text(encoding="utf-8"))
    assert reason["rule_id"] == rule_id and reason["source_file"] == file
    for word in words:
        assert word in reason["reason_zh"], (word, reason["reason_zh"])


CHECKS: dict[str, Callable[[Day, str], None]] = {
    "duplicate_row": _duplicated_rows_are_refused_as_duplicate_keys,
    **{kind: _rule_breaking_dirt_is_refused_or_warned_as_the_schema_says for kind in ERROR_KINDS},
    "odd_date": _odd_but_readable_dates_are_loaded_normalised,
    "uscc_fullwidth": _fullwidth_codes_are_loaded_half_width,
    "name_variant": _name_variants_are_loaded_as_written_for_dbt_to_resolve,
    "orphan_reference": _orphan_references_are_loaded_as_written,
    "late_arrival": _late_arrivals_are_loaded_under_their_delivery_date,
    "cross_channel": _complaints_filed_on_several_channels_are_each_loaded,
    "national_share": _complaints_filed_on_several_channels_are_each_loaded,
    "correction": _corrections_are_loaded_clean,
    "renamed_header": _a_file_with_a_renamed_header_is_quarantined_whole,
    "truncated_file": _a_truncated_file_is_quarantined_whole,
}
"""Kind → the check of where its rows went (one parametrized test per kind below)."""


@pytest.mark.parametrize("kind", KINDS)
def test_where_each_kind_of_dirt_ends_up(day: Day, kind: str) -> None:
    CHECKS[kind](day, kind)
