"""The simulator's output as files: byte-for-byte determinism, the formats of ``schemas/feeds/``, truth apart.

Three tiny runs are made once for the module: two with the same seed (into different folders, so nothing may
depend on the output path) and one with another seed. Every file must parse with the ingestion readers the
pipeline uses, in the format, encoding and layout its feed declares.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from jianguan.errors import SourceFileError
from jianguan.ingest.readers import FeedFileReader
from jianguan.settings import PROJECT_ROOT
from jianguan.sim import SCALES, DirtConfig, SimConfig, simulate
from jianguan.sim.engine import SimulationSummary
from jianguan.spec.loader import Standard, cached_standard
from jianguan.spec.model import FeedSpec

SEED = 20261102
OTHER_SEED = 7
START = date(2026, 11, 2)
DAYS = 2


@dataclass
class Run:
    root: Path
    summary: SimulationSummary

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def truth(self) -> Path:
        return self.root / "truth"

    def manifest(self) -> dict[str, Any]:
        return json.loads((self.truth / "manifest.json").read_text(encoding="utf-8"))


def run_simulation(root: Path, seed: int, standard: Standard) -> Run:
    config = SimConfig(
        scale=SCALES["tiny"], seed=seed, days=DAYS, start=START, province_code="420000",
        landing_root=root / "landing", truth_root=root / "truth", schemas_root=standard.root,
        dirt=DirtConfig(),
    )  # fmt: skip
    return Run(root, simulate(config, standard))


def digests(folder: Path) -> dict[str, str]:
    """Relative path → sha256 of every file under ``folder``."""
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def standard() -> Standard:
    return cached_standard(PROJECT_ROOT / "schemas")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, standard: Standard) -> dict[str, Run]:
    return {
        "first": run_simulation(tmp_path_factory.mktemp("sim-first"), SEED, standard),
        "again": run_simulation(tmp_path_factory.mktemp("sim-again"), SEED, standard),
        "other": run_simulation(tmp_path_factory.mktemp("sim-other"), OTHER_SEED, standard),
    }


# -- determinism --------------------------------------------------------------------------------------------
def test_same_seed_gives_byte_identical_feeds_and_truth(runs: dict[str, Run]) -> None:
    first, again = runs["first"], runs["again"]
    landing = digests(first.landing)
    assert len(landing) > 50  # every feed delivers a file on each day
    assert landing == digests(again.landing)
    assert digests(first.truth) == digests(again.truth)


def test_another_seed_gives_another_province(runs: dict[str, Run]) -> None:
    first, other = digests(runs["first"].landing), digests(runs["other"].landing)
    common = set(first) & set(other)
    changed = [path for path in common if first[path] != other[path]]
    # the big registers and the event feeds all change; a few static or empty files may not
    assert len(changed) > 0.7 * len(common)
    assert any("qyjbxx" in path for path in changed)  # the enterprise register itself


def test_manifest_lists_every_landed_file_with_its_checksum(runs: dict[str, Run]) -> None:
    run = runs["first"]
    manifest = run.manifest()
    listed = {entry["path"]: entry["sha256"] for entry in manifest["files"]}
    assert listed == digests(run.landing)
    assert manifest["totals"]["rows"] == sum(entry["rows"] for entry in manifest["files"]) > 1000
    days = {entry["delivery_date"] for entry in manifest["files"]}
    assert days == {"2026-11-02", "2026-11-03"}
    for entry in manifest["files"]:
        source, day, _name = entry["path"].split("/")
        assert source == entry["source"] and day == entry["delivery_date"]


# -- ground truth stays out of the landing zone -----------------------------------------------------------
def test_truth_is_written_apart_from_the_landing_root(runs: dict[str, Run]) -> None:
    run = runs["first"]
    truth_names = {path.name for path in run.truth.iterdir()}
    assert {"manifest.json", "dirty_rows.jsonl", "duplicates.jsonl", "entity_names.jsonl"} <= truth_names
    landed = [path for path in run.landing.rglob("*") if path.is_file()]
    assert not [path for path in landed if path.name in truth_names]
    assert all(len(path.relative_to(run.landing).parts) == 3 for path in landed)  # source/date/file only


@pytest.mark.parametrize(
    ("landing", "truth"), [("land", "land/truth"), ("land", "land"), ("all/land", "all")]
)
def test_truth_inside_the_landing_root_is_refused(tmp_path: Path, landing: str, truth: str) -> None:
    with pytest.raises(ValueError, match="separate"):
        SimConfig(
            scale=SCALES["tiny"], seed=1, days=1, start=START, province_code="420000",
            landing_root=tmp_path / landing, truth_root=tmp_path / truth, schemas_root=tmp_path,
        )  # fmt: skip


# -- formats as schemas/feeds declares them ---------------------------------------------------------------
def files_of(run: Run, standard: Standard) -> list[tuple[Path, FeedSpec, dict[str, Any]]]:
    return [
        (run.landing / entry["path"], standard.feeds[entry["feed"]], entry)
        for entry in run.manifest()["files"]
    ]


def test_every_declared_format_and_encoding_is_produced(runs: dict[str, Run], standard: Standard) -> None:
    produced = {(feed.format, feed.encoding) for _, feed, _ in files_of(runs["first"], standard)}
    declared = {(feed.format, feed.encoding) for feed in standard.feeds.values()}
    assert produced == declared
    assert {"csv", "xlsx", "json", "jsonl", "xml"} <= {fmt for fmt, _ in produced}


def test_every_file_reads_back_with_the_pipeline_readers(runs: dict[str, Run], standard: Standard) -> None:
    """The readers map the Chinese headers onto fields and return exactly the rows the manifest counts."""
    for path, feed, entry in files_of(runs["first"], standard):
        table = standard.tables[feed.table]
        required = {f.name for f in table.fields if f.required}
        reader = FeedFileReader(path, feed, required)
        try:
            batches = list(reader.batches())
        except SourceFileError as exc:  # pragma: no cover - the failure message is the point
            pytest.fail(f"{entry['path']} does not parse: {exc}")
        assert sum(b.table.num_rows for b in batches) == entry["rows"], entry["path"]
        assert not [bad for b in batches for bad in b.bad_records], entry["path"]
        assert reader.header is not None
        assert [f for f in reader.header.fields if f] == [c.field for c in feed.columns], entry["path"]


def test_text_files_use_the_declared_encoding(runs: dict[str, Run], standard: Standard) -> None:
    for path, feed, entry in files_of(runs["first"], standard):
        if feed.format not in ("csv", "xml", "json", "jsonl") or not entry["bytes"]:
            continue
        raw = path.read_bytes()
        if feed.encoding == "utf-8-sig":
            assert raw.startswith(b"\xef\xbb\xbf"), entry["path"]
        else:
            assert not raw.startswith(b"\xef\xbb\xbf"), entry["path"]
        text = raw.decode(feed.encoding)
        if feed.encoding in ("gbk", "gb18030"):
            with pytest.raises(UnicodeDecodeError):  # Chinese headers: GBK bytes are not UTF-8
                raw.decode("utf-8")
        if feed.format == "csv":
            delimiter = feed.csv.delimiter if feed.csv else ","
            header = next(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter))
            assert header == [c.header for c in feed.columns], entry["path"]


def test_structured_files_follow_their_layout(runs: dict[str, Run], standard: Standard) -> None:
    for path, feed, entry in files_of(runs["first"], standard):
        headers = {c.header for c in feed.columns}
        if feed.format == "jsonl":
            records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        elif feed.format == "json":
            document: Any = json.loads(path.read_text(encoding="utf-8"))
            options = feed.json_options
            for part in options.records_path.split(".") if options and options.records_path else []:
                document = document[part]
            records = document
        elif feed.format == "xml":
            assert feed.xml is not None
            text = path.read_bytes().decode(feed.encoding)
            declaration = re.match(r"<\?xml[^>]*encoding=\"([^\"]+)\"[^>]*\?>", text)
            assert declaration is not None and declaration[1].lower().replace(
                "-", ""
            ) == feed.encoding.replace("-", ""), entry["path"]
            root = ET.fromstring(text[declaration.end() :])  # expat reads no GBK: decode first
            records = [{child.tag: child.text for child in node} for node in root.iter(feed.xml.record_tag)]
        else:
            continue
        assert len(records) == entry["rows"], entry["path"]
        assert all(set(record) <= headers for record in records), entry["path"]


def test_xlsx_files_have_title_rows_merged_across_the_table(runs: dict[str, Run], standard: Standard) -> None:
    checked_titles = 0
    for path, feed, entry in files_of(runs["first"], standard):
        if feed.format != "xlsx":
            continue
        workbook = load_workbook(path)  # full mode: merged cells are only visible outside read-only mode
        sheet = workbook.worksheets[0] if not isinstance(feed.xlsx and feed.xlsx.sheet, str) else None
        if sheet is None:
            assert feed.xlsx is not None and isinstance(feed.xlsx.sheet, str)
            sheet = workbook[feed.xlsx.sheet]
        title_rows = feed.xlsx.title_rows if feed.xlsx else 0
        header_row = [cell.value for cell in sheet[title_rows + 1]]
        assert header_row == [c.header for c in feed.columns], entry["path"]
        merged = {str(r) for r in sheet.merged_cells.ranges}
        for number in range(1, title_rows + 1):
            assert sheet.cell(number, 1).value, entry["path"]
            assert any(r.startswith(f"A{number}:") for r in merged), entry["path"]
            checked_titles += 1
        assert sheet.max_row == title_rows + 1 + entry["rows"], entry["path"]
        workbook.close()
    assert checked_titles > 0
