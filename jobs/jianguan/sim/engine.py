"""Run a simulation: generate each day's records, route them to feeds, plant dirt, write files and the truth.

The loop is per delivery day and per generator; records stream from the generators through dirt into the
open feed files, so memory holds the world's small catalogues, the follow-up queues and the open writers —
not the rows. Records that must be delivered on a later day (late arrivals, corrections) are pickled to a
spill folder and read back on their day.
"""

from __future__ import annotations

import logging
import pickle
import random
import shutil
import tempfile
import time as clock
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import IO, Any

from jianguan.calendar import WorkCalendar
from jianguan.sim.config import SimConfig
from jianguan.sim.dirt import CORRECTABLE, DirtMark, RowDirtier
from jianguan.sim.emission import Emission, Record
from jianguan.sim.fields import FieldFiller
from jianguan.sim.rng import derive_seed, rng_for
from jianguan.sim.tables.actions import ActionGenerator
from jianguan.sim.tables.base import SimContext, TableGenerator
from jianguan.sim.tables.catalog import CatalogGenerator, OfficerGenerator
from jianguan.sim.tables.complaints import ComplaintGenerator
from jianguan.sim.tables.credit import CreditGenerator
from jianguan.sim.tables.knowledge import KnowledgeGenerator
from jianguan.sim.tables.objects import ObjectRegisterGenerator, PartyRegisterGenerator
from jianguan.sim.tables.third_party import ThirdPartyGenerator
from jianguan.sim.truth import TruthRecorder
from jianguan.sim.world import World
from jianguan.sim.writers import FeedWriter, WrittenFile, file_name, truncate_last_record
from jianguan.spec.loader import Standard, load_standard
from jianguan.spec.model import FeedSpec, TableSpec

log = logging.getLogger(__name__)

GENERATORS: tuple[type[TableGenerator], ...] = (
    CatalogGenerator,
    OfficerGenerator,
    PartyRegisterGenerator,
    ObjectRegisterGenerator,
    CreditGenerator,
    ActionGenerator,
    ComplaintGenerator,
    ThirdPartyGenerator,
    KnowledgeGenerator,
)
"""In dependency order: follow-ups queued by one generator are taken by the same one, later the same day."""

MAX_DUPLICATE_GAP = 20
"""A duplicated row reappears within this many rows of the original (exports are rarely sorted)."""
HEADER_LIBRARIES = ("actions", "complaints", "third_party", "credit")
"""Files of these libraries are candidates for the renamed-header defect (daily, busy feeds)."""


@dataclass
class SimulationSummary:
    files: list[WrittenFile]
    manifest: Path
    seconds: float
    rows: int = 0
    bytes: int = 0
    dirt_counts: dict[str, int] = field(default_factory=dict)
    dirt_rates: dict[str, float] = field(default_factory=dict)


class SpillQueue:
    """Items for later delivery days, pickled to disk so they cost no memory meanwhile."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._handles: dict[date, IO[bytes]] = {}

    def put(self, day: date, item: tuple[Any, ...]) -> None:
        handle = self._handles.get(day)
        if handle is None:
            handle = (self.folder / f"{day.isoformat()}.pkl").open("ab")
            self._handles[day] = handle
        pickle.dump(item, handle, protocol=pickle.HIGHEST_PROTOCOL)

    def take(self, day: date) -> Iterator[tuple[Any, ...]]:
        handle = self._handles.pop(day, None)
        if handle is None:
            return
        handle.close()
        path = self.folder / f"{day.isoformat()}.pkl"
        with path.open("rb") as reader:
            while True:
                try:
                    yield pickle.load(reader)
                except EOFError:
                    break
        path.unlink()

    def close(self) -> None:
        for handle in self._handles.values():
            handle.close()
        self._handles.clear()


@dataclass
class _PendingDuplicate:
    due_after: int
    values: list[Any]
    original_row: int
    key: dict[str, Any]


class Simulation:
    def __init__(self, config: SimConfig, standard: Standard | None = None) -> None:
        self.config = config
        self.standard = standard or load_standard(config.schemas_root)
        self.world = World(config, self.standard)
        self.calendar = WorkCalendar.load()
        self.ctx = SimContext(self.world, self.calendar, FieldFiller(self.world), config.dirt)
        self.generators = [g(self.ctx) for g in GENERATORS]
        self.landing = config.landing_root
        self.truth = TruthRecorder(config.truth_root)
        self.name_variants = self.world.vocab.mapping("form_variants")
        self.renamed_targets = self._choose_renamed_header_targets()
        self.truncate_day = self.world.end
        self._table_rows: dict[str, int] = {}

    @property
    def rows_written(self) -> int:
        """Rows written so far in this run (safe to read from a progress-reporting thread)."""
        return sum(list(self._table_rows.values()))

    # -- run -----------------------------------------------------------------------------------------------------
    def run(self) -> SimulationSummary:
        started = clock.perf_counter()
        self._clear_landing()
        self._record_risk_entities()
        with tempfile.TemporaryDirectory(prefix="jianguan-sim-spill-") as spill_folder:
            spill = SpillQueue(Path(spill_folder))
            try:
                day = self.world.start
                while day <= self.world.end:
                    day_started = clock.perf_counter()
                    written = self._deliver_day(day, spill)
                    log.info(
                        "simulated %s: %d files, %d rows in %.1f s (queued follow-ups: %d)",
                        day, len(written), sum(f.rows for f in written), clock.perf_counter() - day_started,
                        self.ctx.queues.size(),
                    )  # fmt: skip
                    day += timedelta(days=1)
            finally:
                spill.close()
        manifest = self.truth.close(self._run_description())
        files = self.truth.files
        summary = SimulationSummary(
            files=files, manifest=manifest, seconds=clock.perf_counter() - started,
            rows=sum(f.rows for f in files), bytes=sum(f.bytes for f in files),
            dirt_counts=dict(self.truth.dirt_counts),
        )  # fmt: skip
        summary.dirt_rates = {
            kind: count / self.truth.eligible_counts[kind]
            for kind, count in sorted(self.truth.dirt_counts.items())
            if self.truth.eligible_counts.get(kind)
        }
        return summary

    def _clear_landing(self) -> None:
        """Remove this run's date folders first, so a rerun leaves exactly the files this run writes."""
        sources = sorted({feed.source for feed in self.standard.feeds.values()})
        day = self.world.start
        while day <= self.world.end:
            for source in sources:
                folder = self.landing / source / day.isoformat()
                if folder.is_dir():
                    shutil.rmtree(folder)
            day += timedelta(days=1)

    def _record_risk_entities(self) -> None:
        for index, model_id in sorted(self.world.planted.items()):
            party = self.world.party("enterprise", index)
            model = self.world.risk_model(model_id)
            self.truth.risk_entity(
                {"uscc": party.uscc, "name": party.name, "region_code": party.region.code, "model": model.id,
                 "model_label_zh": model.label_zh, "industry_code": party.industry.code}
            )  # fmt: skip

    def _run_description(self) -> dict[str, Any]:
        config = self.config
        return {
            "scale": config.scale.name,
            "seed": config.seed,
            "days": config.days,
            "start": config.start.isoformat(),
            "end": self.world.end.isoformat(),
            "history_start": self.world.history_start.isoformat(),
            "province_code": config.province_code,
            "dirt": asdict(config.dirt),
            "population": {
                "enterprises": config.scale.enterprises,
                "individual_businesses": config.scale.individual_businesses,
                "other_legal_persons": self.world.initial_counts["social"],
                "agencies": len(self.world.agencies),
                "officers": len(self.world.officers),
                "supervision_items": len(self.world.items),
                "inspection_checklists": len(self.world.checklists),
                "planted_risk_parties": len(self.world.planted),
            },
            "rows_per_table": dict(sorted(self._table_rows.items())),
            "calendar_provisional_years": sorted(self.calendar.provisional_years),
        }

    # -- file-level dirt targets ------------------------------------------------------------------------------
    def _choose_renamed_header_targets(self) -> dict[tuple[date, str], tuple[str, str, str]]:
        """(day, feed) → (field, header, renamed header) for the files whose header row is changed."""
        count = self.config.renamed_header_files
        if count <= 0:
            return {}
        rng = rng_for(self.config.seed, "renamed-header")
        candidates = []
        for feed in sorted(self.standard.feeds.values(), key=lambda f: f.name):
            table = self.standard.tables[feed.table]
            required = [c for c in feed.columns if table.field(c.field).required]
            if feed.format in ("csv", "xlsx") and table.library in HEADER_LIBRARIES and required:
                candidates.append((feed, required))
        if not candidates:
            return {}
        day = min(self.world.end, self.world.start + timedelta(days=1))
        targets = {}
        for feed, required in rng.sample(candidates, min(count, len(candidates))):
            column = rng.choice(required)
            targets[(day, feed.name)] = (column.field, column.header, _renamed(column.header, feed))
        return targets

    # -- one day -------------------------------------------------------------------------------------------------
    def _deliver_day(self, day: date, spill: SpillQueue) -> list[WrittenFile]:
        delivery = _DayDelivery(self, day, spill)
        # Corrections due today are read first: a regular update of the same key today supersedes them.
        carried = list(spill.take(day))
        delivery.expect_corrections(item for item in carried if item[0] == "correction")
        late_rng = rng_for(self.config.seed, "late", day)
        late_rate = self.config.dirt.late_arrival
        last_day = self.world.end
        for generator in self.generators:
            if not generator.active():
                continue
            for emission in generator.day(day):
                if emission.business_day == day and day < last_day:
                    self.truth.count_eligible("late_arrival")
                    if late_rng.random() < late_rate:
                        target = min(last_day, day + timedelta(days=late_rng.randint(1, 3)))
                        spill.put(target, ("late", emission, day))
                        continue
                delivery.deliver(emission)
        for item in carried:
            if item[0] == "late":
                delivery.deliver(item[1], late_from=item[2])
            else:
                delivery.write_correction(item)
        return delivery.close()


class _DayDelivery:
    """The open files of one delivery day and the row-level bookkeeping that goes with them."""

    def __init__(self, sim: Simulation, day: date, spill: SpillQueue) -> None:
        self.sim = sim
        self.day = day
        self.spill = spill
        self.truth = sim.truth
        self.writers: dict[str, FeedWriter] = {}
        self.dirtiers: dict[str, RowDirtier] = {}
        self.duplicate_rngs: dict[str, random.Random] = {}
        self.pending: dict[str, list[_PendingDuplicate]] = {}
        self.correction_rng = rng_for(sim.config.seed, "corrections", day)
        self.fields: dict[str, list[str]] = {}
        self.expected: dict[tuple[str, str], bool] = {}
        """(feed, business key) of corrections due today → whether a regular row of the key came first."""

    def expect_corrections(self, items: Iterator[tuple[Any, ...]]) -> None:
        for item in items:
            table = self.sim.standard.tables[item[6]]
            self.expected[(item[1], _key_text(_business_key(table, item[2])))] = False

    # -- writers ------------------------------------------------------------------------------------------------
    def _writer(self, feed: FeedSpec) -> FeedWriter:
        writer = self.writers.get(feed.name)
        if writer is not None:
            return writer
        name = file_name(feed, self.day)
        relative = f"{feed.source}/{self.day.isoformat()}/{name}"
        headers = [c.header for c in feed.columns]
        renamed = self.sim.renamed_targets.get((self.day, feed.name))
        if renamed is not None:
            field_name, header, new_header = renamed
            headers = [new_header if h == header else h for h in headers]
            self.truth.dirty(
                relative, None, "renamed_header", field_name=field_name, original=header, written=new_header
            )
            self.truth.file_dirt.append(
                {"file": relative, "kind": "renamed_header", "field": field_name, "header": header, "renamed_to": new_header}
            )  # fmt: skip
        flag = derive_seed(self.sim.config.seed, "booleans", feed.name) % 2
        writer = FeedWriter(
            feed, self.sim.landing / relative, relative, headers, delivery_date=self.day,
            title=f"{feed.label_zh}（{self.day.isoformat()}）", true_false=("1", "0") if flag else ("是", "否"),
        )  # fmt: skip
        self.writers[feed.name] = writer
        table = self.sim.standard.tables[feed.table]
        self.dirtiers[feed.name] = RowDirtier(
            self.sim.config.dirt, table, feed, rng_for(self.sim.config.seed, "dirt", feed.name, self.day),
            self.sim.world.known_region_codes, self.sim.name_variants,
        )  # fmt: skip
        self.duplicate_rngs[feed.name] = rng_for(self.sim.config.seed, "duplicates", feed.name, self.day)
        self.fields[feed.name] = [c.field for c in feed.columns]
        return writer

    # -- rows ---------------------------------------------------------------------------------------------------
    def deliver(self, emission: Emission, late_from: date | None = None) -> None:
        sim = self.sim
        feed = (
            sim.standard.feeds.get(emission.feed)
            if emission.feed
            else sim.world.router.feed_for(emission.table, emission.record)
        )
        if feed is None:
            self.truth.bump(f"unrouted:{emission.table}")
            return
        writer = self._writer(feed)
        table = sim.standard.tables[feed.table]
        record = dict(emission.record)
        dirtier = self.dirtiers[feed.name]
        marks = dirtier.apply(emission, record)
        values = [record.get(name) for name in self.fields[feed.name]]
        row = writer.write(values)
        sim._table_rows[table.name] = sim._table_rows.get(table.name, 0) + 1
        file = writer.relative_path
        key = _business_key(table, emission.record)
        if self.expected and (feed.name, _key_text(key)) in self.expected:
            self.expected[(feed.name, _key_text(key))] = True
        self._record_marks(file, row, feed, emission, marks, record)
        if emission.reference_checked:
            self.truth.count_eligible("orphan_reference")
        if emission.orphan_of is not None:
            self.truth.dirty(file, row, "orphan_reference", field_name="inspection_code",
                             original=emission.orphan_of, written=emission.record.get("inspection_code"))  # fmt: skip
        if late_from is not None:
            self.truth.dirty(file, row, "late_arrival", detail={"business_date": late_from.isoformat(),
                                                                  "delivered": self.day.isoformat()})  # fmt: skip
        cross_channel = emission.notes.get("cross_channel")
        if cross_channel is not None:
            eligible, planted, national = cross_channel
            if eligible:
                self.truth.count_eligible("cross_channel")
            if planted:
                self.truth.count("cross_channel")
                self.truth.count_eligible("national_share")
            if national:
                self.truth.count("national_share")
        if emission.event_id is not None:
            self.truth.complaint_link(
                {"event_id": emission.event_id, "channel": emission.notes.get("channel"), "feed": feed.name,
                 "table": table.name, "key": key, "file": file, "row": row,
                 "linked_transfer": bool(emission.notes.get("linked_transfer"))}
            )  # fmt: skip
            self.truth.bump("complaint_channel_records")
        if emission.risk is not None:
            self.truth.risk_signal(
                {"uscc": emission.risk[0], "model": emission.risk[1], "signal": emission.risk_signal,
                 "table": table.name, "feed": feed.name, "file": file, "row": row, "key": key}
            )  # fmt: skip
        self._maybe_correct(feed, table, emission, marks, file, row)
        self._maybe_duplicate(feed, writer, values, row, key)
        self._flush_duplicates(feed.name, writer)

    def _record_marks(
        self, file: str, row: int, feed: FeedSpec, emission: Emission, marks: list[DirtMark], record: Record
    ) -> None:
        for mark in marks:
            self.truth.dirty(file, row, mark.kind, field_name=mark.field, original=mark.original,
                             written=mark.written, detail=mark.detail or None)  # fmt: skip
        identity_kinds = {"name_variant", "uscc_missing", "uscc_fullwidth"}
        if any(m.kind in identity_kinds for m in marks):
            name_field, code_field = emission.party_fields
            self.truth.entity_name(
                {"file": file, "row": row, "feed": feed.name, "name_field": name_field,
                 "name_written": record.get(name_field), "code_field": code_field,
                 "code_written": record.get(code_field), "canonical_uscc": emission.party_uscc,
                 "canonical_name": emission.party_name,
                 "variants": [m.detail or m.kind for m in marks if m.kind in identity_kinds]}
            )  # fmt: skip

    def _maybe_correct(
        self, feed: FeedSpec, table: TableSpec, emission: Emission, marks: list[DirtMark], file: str, row: int
    ) -> None:
        kinds = [m.kind for m in marks if m.kind in CORRECTABLE]
        if not kinds or table.order_by is None or self.day >= self.sim.world.end:
            return
        if self.correction_rng.random() >= self.sim.config.dirt.correction:
            return
        target = min(self.sim.world.end, self.day + timedelta(days=self.correction_rng.randint(1, 2)))
        record = dict(emission.record)
        previous = record.get(table.order_by)
        corrected_at = datetime.combine(target, time(6, 0)) + timedelta(seconds=row % 3600)
        if isinstance(previous, datetime):
            record[table.order_by] = max(corrected_at, previous + timedelta(seconds=1))
        self.spill.put(target, ("correction", feed.name, record, file, row, kinds, emission.table))

    def write_correction(self, item: tuple[Any, ...]) -> None:
        _, feed_name, record, original_file, original_row, kinds, table_name = item
        table = self.sim.standard.tables[table_name]
        if self.expected.get((feed_name, _key_text(_business_key(table, record)))):
            self.truth.bump("corrections_superseded")  # today's regular update already carries a clean state
            return
        feed = self.sim.standard.feeds[feed_name]
        writer = self._writer(feed)
        values = [record.get(name) for name in self.fields[feed.name]]
        row = writer.write(values)
        self.truth.correction(
            {"file": writer.relative_path, "row": row, "corrects_file": original_file, "corrects_row": original_row,
             "kinds": kinds, "key": _business_key(table, record)}
        )  # fmt: skip
        self.truth.bump("corrections")
        self._flush_duplicates(feed.name, writer)

    # -- duplicates -------------------------------------------------------------------------------------------
    def _maybe_duplicate(
        self, feed: FeedSpec, writer: FeedWriter, values: list[Any], row: int, key: dict[str, Any]
    ) -> None:
        self.truth.count_eligible("duplicate_row")
        rng = self.duplicate_rngs[feed.name]
        if rng.random() < self.sim.config.dirt.duplicate_row:
            gap = rng.randint(0, MAX_DUPLICATE_GAP)
            self.pending.setdefault(feed.name, []).append(
                _PendingDuplicate(writer.rows + gap, list(values), row, key)
            )

    def _flush_duplicates(self, feed_name: str, writer: FeedWriter, force: bool = False) -> None:
        waiting = self.pending.get(feed_name)
        if not waiting:
            return
        remaining = []
        for duplicate in waiting:
            if force or writer.rows >= duplicate.due_after:
                row = writer.write(duplicate.values)
                self.truth.dirty(
                    writer.relative_path,
                    row,
                    "duplicate_row",
                    detail={"duplicate_of_row": duplicate.original_row},
                )
                self.truth.duplicate(
                    writer.relative_path, row, duplicate.original_row, writer.feed.name, duplicate.key
                )
            else:
                remaining.append(duplicate)
        self.pending[feed_name] = remaining

    # -- closing -------------------------------------------------------------------------------------------------
    def close(self) -> list[WrittenFile]:
        for feed in sorted(self.sim.standard.feeds.values(), key=lambda f: f.name):
            self._writer(feed)
        written: list[WrittenFile] = []
        for name in sorted(self.writers):
            writer = self.writers[name]
            self._flush_duplicates(name, writer, force=True)
            dirtier = self.dirtiers[name]
            for kind, count in dirtier.eligible.items():
                self.truth.count_eligible(kind, count)
            described = writer.close()
            if described.rows == 0 and writer.feed.format == "jsonl":
                # a JSON Lines interface with nothing to send sends nothing (an empty file is not a delivery)
                described.path.unlink()
                continue
            written.append(described)
            self.truth.file_written(described)
        if self.day == self.sim.truncate_day:
            written = self._truncate(written)
        return written

    def _truncate(self, written: list[WrittenFile]) -> list[WrittenFile]:
        count = self.sim.config.truncated_files
        renamed = {f"{feed}" for (_, feed) in self.sim.renamed_targets}
        candidates = [
            f
            for f in written
            if f.format in ("csv", "jsonl", "xml") and f.rows >= 3 and f.feed not in renamed
        ]
        if count <= 0 or not candidates:
            return written
        rng = rng_for(self.sim.config.seed, "truncate", self.day)
        chosen = {f.relative_path for f in rng.sample(candidates, min(count, len(candidates)))}
        result = []
        for described in written:
            if described.relative_path in chosen:
                feed = self.sim.standard.feeds[described.feed]
                described, complete = truncate_last_record(described, feed)
                self.truth.replace_file(described)
                self.truth.dirty(described.relative_path, described.rows, "truncated_file",
                                 detail={"complete_rows": complete})  # fmt: skip
                self.truth.file_dirt.append(
                    {"file": described.relative_path, "kind": "truncated_file", "cut_row": described.rows,
                     "complete_rows": complete}
                )  # fmt: skip
            result.append(described)
        return result


def _business_key(table: TableSpec, record: Record) -> dict[str, Any]:
    key = {}
    for name in table.business_key:
        value = record.get(name)
        key[name] = (
            value.isoformat(sep=" ")
            if isinstance(value, datetime)
            else (value.isoformat() if isinstance(value, date) else value)
        )
    return key


def _key_text(key: dict[str, Any]) -> str:
    return "\x1f".join(str(value) for value in key.values())


def _renamed(header: str, feed: FeedSpec) -> str:
    """A plausible new spelling of a header (systems get upgraded and relabel a column)."""
    existing = {c.header for c in feed.columns}
    for old, new in (
        ("代码", "编码"),
        ("编号", "编码"),
        ("名称", "全称"),
        ("时间", "日期"),
        ("日期", "时间"),
    ):
        if header.endswith(old):
            candidate = header[: -len(old)] + new
            if candidate not in existing:
                return candidate
    candidate = header + "（新）"
    return candidate if candidate not in existing else header + "_2"


def simulate(config: SimConfig, standard: Standard | None = None) -> SimulationSummary:
    """Write ``config.days`` days of feeds under the landing root and the ground truth under the truth root."""
    return Simulation(config, standard).run()
