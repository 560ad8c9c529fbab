"""Ingestion under faults: a process killed mid-file, and malformed files landing beside good ones.

* A ``jianguan ingest --file`` process is SIGKILLed while it is streaming a large CSV (its rows are being
  written into data files in the bronze table's folder, nothing is committed yet); the rerun must load the file
  exactly once, account for every row, log one batch and leave no uncommitted files behind.
* One landing day of one source holds the valid files of a simulated (clean) day plus a CSV cut mid-row, a CSV
  cut inside a character, an XLSX and a JSON document cut in half, a CSV whose required header was renamed, a
  CSV with bytes no candidate encoding decodes, a billion-laughs XML and an XML with an external entity. Each bad
  file must be quarantined whole, with its rule id and a Chinese reason naming the problem, and contribute
  nothing to bronze; every valid file must load fully.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pytest

from jianguan.ingest.ledger import IngestionLog
from jianguan.ingest.run import IngestSummary, ingest_date
from jianguan.lake import LakeTable
from jianguan.settings import Settings
from jianguan.sim.config import DirtConfig
from jianguan.spec.loader import cached_standard
from jianguan.validate.dates import SHANGHAI
from tests.sim_helpers import lakehouse_settings, simulate_tiny

DAY = date(2026, 11, 2)
JIANGUAN = Path(sys.executable).with_name("jianguan")

# -- a run killed mid-file ------------------------------------------------------------------------------------
IOT_ROWS = 80_000
"""About 20 MB: several 8 MB read blocks, so rows are staged well before the commit (a few seconds)."""
IOT_HEADER = (
    "设备编号,设备名称,点位编码,点位名称,企业统一社会信用代码,企业名称,行政区划代码,监管部门编码,监测指标,"
    "监测值,单位,标准限值,是否超标,数据标记,监测时间,接收时间"
)
BAD_REGION_EVERY = 100
"""Every 100th reading names a region code that is not in the catalogue: refused (1 %, under the gate)."""


START = datetime(2026, 11, 1, 8, 0, 0)


def _device(number: int) -> str:
    return f"IOT{number % 500:08d}"


def _measured_at(number: int) -> datetime:
    return START + timedelta(seconds=number // 50)


def _write_iot_readings(path: Path, rows: int) -> None:
    """A file of the real ``iot_platform_readings`` feed; (device, metric, time) is unique per record."""
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(IOT_HEADER + "\n")
        for number in range(1, rows + 1):
            at = _measured_at(number)
            region = "429999" if number % BAD_REGION_EVERY == 0 else "420104"
            out.write(
                f"{_device(number)},氮氧化物在线监测仪,SITE{number % 500:08d},江汉海药业（武汉）有限责任公司监测点,"
                f"91420104MAK4F7KW7X,江汉海药业（武汉）有限责任公司,{region},STHJ,AIR_NOX,{100 + number % 97}.5,"
                f"mg/m3,100.0,是,N,{at:%Y-%m-%d %H:%M:%S},{at + timedelta(seconds=30):%Y-%m-%d %H:%M:%S}\n"
            )


def _staged_files(lakehouse: Path) -> list[Path]:
    """Data files written into the bronze tables' folders that no snapshot holds (rows not committed)."""
    staged = []
    for folder in (lakehouse / "bronze").glob("*"):
        table = LakeTable(folder)
        committed = {Path(entry.path) for entry in table.files()} if table.exists() else set()
        staged += [p for p in folder.glob("*/part-*.parquet") if p not in committed]
    return staged


@pytest.mark.skipif(not JIANGUAN.exists(), reason="the jianguan console script is not installed")
def test_a_run_killed_mid_file_is_rerun_to_exactly_one_copy_of_the_file(tmp_path: Path) -> None:
    settings = Settings(lakehouse_root=tmp_path / "lakehouse", landing_root=tmp_path / "landing")
    lakehouse = settings.resolved_lakehouse_root
    path = settings.landing_root / "iot_platform" / DAY.isoformat() / f"iot_jcsj_{DAY:%Y%m%d}.csv"
    path.parent.mkdir(parents=True)
    _write_iot_readings(path, IOT_ROWS)
    env = {
        **os.environ,
        "JIANGUAN_LAKEHOUSE_ROOT": str(settings.lakehouse_root),
        "JIANGUAN_LANDING_ROOT": str(settings.landing_root),
    }
    command = [str(JIANGUAN), "ingest", "--file", str(path)]

    errors = tmp_path / "killed_run.stderr"
    with errors.open("wb") as stderr:
        victim = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
        try:
            deadline = time.monotonic() + 120
            while victim.poll() is None and not _staged_files(lakehouse):
                assert time.monotonic() < deadline, "no rows were staged within two minutes"
                time.sleep(0.01)
            if victim.poll() is None:
                os.kill(victim.pid, signal.SIGKILL)
            victim.wait(timeout=60)
        finally:
            if victim.poll() is None:
                victim.kill()
                victim.wait()
    assert victim.returncode == -signal.SIGKILL, (
        f"the ingest ended (exit {victim.returncode}) before it could be killed mid-file: "
        + errors.read_text(encoding="utf-8", errors="replace")[-2000:]
    )
    assert _staged_files(lakehouse), "the killed run left its staged rows (this is what must be cleaned up)"
    bronze = LakeTable(settings.table_path("bronze", "iot_readings"))
    assert not bronze.exists() or bronze.read(columns=["batch_id"]).num_rows == 0, "killed before its commit"
    assert IngestionLog(lakehouse).read(DAY).num_rows == 0

    rerun = subprocess.run(
        [*command, "--json"], env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    (outcome,) = json.loads(rerun.stdout)
    refused = IOT_ROWS // BAD_REGION_EVERY
    assert outcome["status"] == "loaded"
    assert (outcome["rows_read"], outcome["rows_loaded"], outcome["rows_rejected"], outcome["rows_held"]) == (
        IOT_ROWS, IOT_ROWS - refused, refused, 0,
    )  # fmt: skip

    loaded = bronze.read(
        columns=["batch_id", "source_file", "source_row_number", "device_id", "measured_at"],
        filter=pc.field("logical_date") == DAY,
    )
    assert set(loaded.column("batch_id").to_pylist()) == {outcome["batch_id"]}
    assert set(loaded.column("source_file").to_pylist()) == {outcome["source_file"]}
    numbers = loaded.column("source_row_number").to_pylist()
    assert len(numbers) == len(set(numbers)) == IOT_ROWS - refused, "each valid row exactly once"
    expected = {
        n: (_device(n), _measured_at(n).replace(tzinfo=SHANGHAI))
        for n in range(1, IOT_ROWS + 1)
        if n % BAD_REGION_EVERY
    }
    values = zip(
        loaded.column("device_id").to_pylist(), loaded.column("measured_at").to_pylist(), strict=True
    )
    assert dict(zip(numbers, values, strict=True)) == expected, (
        "each row holds what its line of the file says"
    )

    rejected = LakeTable(settings.table_path("bronze", "iot_readings__rejected")).read(
        columns=["source_row_number", "reject_reasons"], filter=pc.field("logical_date") == DAY
    )
    assert sorted(rejected.column("source_row_number").to_pylist()) == list(
        range(BAD_REGION_EVERY, IOT_ROWS + 1, BAD_REGION_EVERY)
    )
    assert all(
        [r["rule_id"] for r in json.loads(text)] == ["format_region_code"]
        for text in rejected.column("reject_reasons").to_pylist()
    )

    log = IngestionLog(lakehouse).read(DAY).to_pylist()
    assert [(r["batch_id"], r["status"], r["rows_read"]) for r in log] == [
        (outcome["batch_id"], "loaded", IOT_ROWS)
    ]
    assert log[0]["rows_read"] == log[0]["rows_loaded"] + log[0]["rows_rejected"] + log[0]["rows_held"]
    assert _staged_files(lakehouse) == [], "the rerun of the batch removes what the killed run staged"


# -- malformed files beside valid ones ------------------------------------------------------------------------
SOURCE = "dept_samr"


@dataclass(frozen=True)
class Fault:
    id: str
    name: str
    """File name in the landing day folder (its prefix decides the feed, as for any landed file)."""
    rule_id: str
    words: tuple[str, ...]
    """What the Chinese reason must say."""


BILLION_LAUGHS = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE 设备列表 [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<设备列表><设备><设备编码>&lol9;</设备编码><设备种类>3000</设备种类></设备></设备列表>
"""
EXTERNAL_ENTITY = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE 设备列表 [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<设备列表><设备><设备编码>&xxe;</设备编码><设备种类>3000</设备种类></设备></设备列表>
"""
D = DAY.strftime("%Y%m%d")
FAULTS = (
    Fault("csv_cut_mid_row", f"xzjc_{D}_cut.csv", "file_truncated", ("文件被截断", "第40条记录不完整")),
    Fault("csv_cut_mid_character", f"qyjbxx_{D}_cut.csv", "file_truncated", ("文件被截断", "末尾字符不完整")),
    Fault("xlsx_cut_in_half", f"tdcp_sp_{D}_cut.xlsx", "file_truncated", ("文件被截断", "Excel")),
    Fault("json_cut_in_half", f"xzcf_{D}_cut.json", "file_truncated", ("文件被截断",)),
    Fault(
        "csv_required_header_renamed", f"gtgshxx_{D}_header.csv", "file_header", ("表头不符", "缺少必填列")
    ),
    Fault("csv_undecodable_bytes", f"sjcc_dx_{D}_bytes.csv", "file_encoding", ("编码无法识别",)),
    Fault("xml_billion_laughs", f"tzsb_{D}_lol.xml", "file_unsafe", ("DTD或实体",)),
    Fault("xml_external_entity", f"tzsb_{D}_xxe.xml", "file_unsafe", ("DTD或实体",)),
)


def _cut_mid_row(data: bytes, record: int) -> bytes:
    """The file up to a few ASCII characters into ``record`` (1-based, the header is line 0)."""
    start = len(b"\n".join(data.split(b"\n")[:record])) + 1
    assert data[start : start + 5].isascii()
    return data[: start + 5]


def _cut_mid_character(data: bytes) -> bytes:
    """The file up to and including the lead byte of a multi-byte character past its middle."""
    at = next(i for i in range(len(data) // 2, len(data)) if data[i] >= 0x80 and data[i - 1] < 0x80)
    return data[: at + 1]


def _rename_required_header(data: bytes, header: str) -> bytes:
    text = data.decode("utf-8-sig")
    first, rest = text.split("\n", 1)
    cells = first.split(",")
    assert header in cells
    renamed = ",".join(c + "（新）" if c == header else c for c in cells)
    return ("\ufeff" + renamed + "\n" + rest).encode("utf-8")


def _with_bad_bytes(data: bytes, record: int) -> bytes:
    """Bytes that are neither UTF-8 nor GB18030 in the middle of a record (after the file's UTF-8 BOM)."""
    lines = data.split(b"\n")
    lines[record] = lines[record][:8] + b"\x80\xff\xfe" + lines[record][8:]
    return b"\n".join(lines)


@dataclass
class MalformedDay:
    settings: Settings
    summary: IngestSummary
    valid: dict[str, dict[str, Any]]
    """Truth manifest entry per valid file."""
    outcomes: dict[str, Any]
    log: dict[str, dict[str, Any]]
    rows_by_file: dict[tuple[str, str], list[int]]
    """(bronze | rejected, source file) → the source row numbers the tables hold for it."""
    header: str
    """The renamed required header."""


@pytest.fixture(scope="module")
def malformed(tmp_path_factory: pytest.TempPathFactory) -> MalformedDay:
    root = tmp_path_factory.mktemp("malformed")
    settings = lakehouse_settings(root)
    simulate_tiny(
        settings.landing_root, settings.truth_root, start=DAY, days=1, seed=3, dirt=DirtConfig.clean()
    )
    manifest = json.loads((settings.truth_root / "manifest.json").read_text(encoding="utf-8"))
    valid = {f["path"]: f for f in manifest["files"] if f["source"] == SOURCE}
    folder = settings.landing_root / SOURCE / DAY.isoformat()
    original = {name: (folder / f"{name}_{D}{suffix}").read_bytes() for name, suffix in (
        ("xzjc", ".csv"), ("qyjbxx", ".csv"), ("tdcp_sp", ".xlsx"), ("xzcf", ".json"), ("gtgshxx", ".csv"),
        ("sjcc_dx", ".csv"),
    )}  # fmt: skip
    std = cached_standard(settings.schemas_root)
    feed = std.feeds["dept_samr_individual_businesses"]
    required = {f.name for f in std.table(feed.table).fields if f.required}
    header = next(c.header for c in feed.columns if c.field in required)
    assert original["sjcc_dx"].startswith(b"\xef\xbb\xbf") and original["tdcp_sp"].startswith(b"PK")
    planted = {
        FAULTS[0].name: _cut_mid_row(original["xzjc"], 40),
        FAULTS[1].name: _cut_mid_character(original["qyjbxx"]),
        FAULTS[2].name: original["tdcp_sp"][: len(original["tdcp_sp"]) // 2],
        FAULTS[3].name: original["xzcf"][: len(original["xzcf"]) // 2],
        FAULTS[4].name: _rename_required_header(original["gtgshxx"], header),
        FAULTS[5].name: _with_bad_bytes(original["sjcc_dx"], 3),
        FAULTS[6].name: BILLION_LAUGHS.encode("utf-8"),
        FAULTS[7].name: EXTERNAL_ENTITY.encode("utf-8"),
    }
    for name, data in planted.items():
        (folder / name).write_bytes(data)

    summary = ingest_date(settings, DAY, sources=[SOURCE])
    lakehouse = settings.resolved_lakehouse_root
    rows_by_file: dict[tuple[str, str], list[int]] = {}
    for table in {o.table for o in summary.outcomes if o.table}:
        for where, name in (("bronze", table), ("rejected", table + "__rejected")):
            lake = LakeTable(settings.table_path("bronze", name))
            if lake.exists():
                for row in lake.read(columns=["source_file", "source_row_number"]).to_pylist():
                    rows_by_file.setdefault((where, row["source_file"]), []).append(row["source_row_number"])
    return MalformedDay(
        settings=settings,
        summary=summary,
        valid=valid,
        outcomes={o.source_file: o for o in summary.outcomes},
        log={r["source_file"]: r for r in IngestionLog(lakehouse).read(DAY).to_pylist()},
        rows_by_file=rows_by_file,
        header=header,
    )


@pytest.mark.parametrize("fault", FAULTS, ids=[f.id for f in FAULTS])
def test_a_malformed_file_is_quarantined_whole_with_its_reason(malformed: MalformedDay, fault: Fault) -> None:
    relative = f"{SOURCE}/{DAY.isoformat()}/{fault.name}"
    outcome = malformed.outcomes[relative]
    assert outcome.feed is not None, "the file name matches a feed: the file itself is what is wrong"
    assert (outcome.status, outcome.reason_rule_id) == ("quarantined_file", fault.rule_id), outcome.reason_zh
    for word in fault.words:
        assert word in (outcome.reason_zh or ""), (word, outcome.reason_zh)
    assert (outcome.rows_read, outcome.rows_loaded, outcome.rows_rejected, outcome.rows_held) == (0, 0, 0, 0)

    logged = malformed.log[relative]
    assert (logged["status"], logged["reason_rule_id"], logged["reason_zh"]) == (
        "quarantined_file", fault.rule_id, outcome.reason_zh,
    )  # fmt: skip
    copy = malformed.settings.resolved_lakehouse_root / "quarantine" / relative
    assert copy.read_bytes() == (malformed.settings.landing_root / relative).read_bytes()
    reason = json.loads(copy.with_name(copy.name + ".reason.json").read_text(encoding="utf-8"))
    assert reason["source_file"] == relative and reason["batch_id"] == outcome.batch_id
    assert (reason["rule_id"], reason["reason_zh"]) == (fault.rule_id, outcome.reason_zh)
    assert not malformed.rows_by_file.get(("bronze", relative))
    assert not malformed.rows_by_file.get(("rejected", relative))


def test_the_renamed_header_is_named_in_the_reason(malformed: MalformedDay) -> None:
    reason = malformed.outcomes[f"{SOURCE}/{DAY.isoformat()}/{FAULTS[4].name}"].reason_zh or ""
    assert malformed.header in reason and malformed.header + "（新）" in reason


def test_the_valid_files_of_the_day_load_fully(malformed: MalformedDay) -> None:
    assert len(malformed.valid) >= 8
    for relative, described in malformed.valid.items():
        outcome = malformed.outcomes[relative]
        assert outcome.status == "loaded", (relative, outcome.reason_zh)
        assert (outcome.rows_read, outcome.rows_loaded, outcome.rows_rejected) == (described["rows"],) * 2 + (
            0,
        )
        numbers = sorted(malformed.rows_by_file.get(("bronze", relative), []))
        assert numbers == list(range(1, described["rows"] + 1)), relative
    assert len(malformed.summary.outcomes) == len(malformed.valid) + len(FAULTS)
    assert set(malformed.log) == set(malformed.outcomes)
    assert malformed.summary.balanced
