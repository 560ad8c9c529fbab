"""The export job end to end over tiny hand-made silver staging tables (real Delta tables, real change feed).

Rows are generated from the table specs (valid codes, masked personal fields as silver holds them) and then
edited per test, so every test states only what it is about.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from jianguan.export import job as export_job
from jianguan.export import writers
from jianguan.export.config import load_config
from jianguan.export.layouts import datasets
from jianguan.export.verify import verify_dir
from jianguan.lake import LakeTable
from jianguan.settings import PROJECT_ROOT, Settings
from jianguan.spec.loader import Standard, cached_standard
from jianguan.spec.render.schemas import bronze_arrow_schema
from jianguan.validate.codes import make_uscc

DAY1 = dt.date(2026, 11, 2)
DAY2 = dt.date(2026, 11, 3)
DAY3 = dt.date(2026, 11, 4)
REGION = "420102"
SMALL = ("penalties", "inspections", "enterprises", "officers", "credit_ratings")


@pytest.fixture(scope="module")
def std() -> Standard:
    return cached_standard(PROJECT_ROOT / "schemas")


def uscc(n: int) -> str:
    return make_uscc("9", "1", REGION, f"{n:08d}")


def value_for(std: Standard, table: str, name: str, n: int) -> Any:
    """A valid value of field ``name`` for the n-th row (masked when the field is personal)."""
    spec = std.table(table).field(name)
    if spec.pii == "name":
        return "张**"
    if spec.pii == "id_number":
        return "420102********1234"
    if spec.pii == "phone":
        return "138****5678"
    if spec.pii in {"address", "free_text"}:
        return f"湖北省武汉市江岸区***{n}"
    if spec.code_list:
        return std.code_list(spec.code_list).codes[0].code
    formats = {
        "uscc": uscc(n),
        "party_code": uscc(n),
        "item_code": f"{42000000000000 + n:014d}",
        "checklist_code": uscc(900 + n) + "1" + f"{n:04d}",
        "region_code": REGION,
        "phone": "02788888888",
        "url": "https://example.cn/",
        "org_code": uscc(n)[8:17],
    }
    if spec.format in formats:
        return formats[spec.format]
    if spec.type == "string":
        text = f"{name}-{n}"
        return text[-spec.length :] if spec.length and len(text) > spec.length else text
    if spec.type == "date":
        return dt.date(2026, 10, 1)
    if spec.type == "timestamp":
        return dt.datetime(2026, 10, 20, 9, 30, tzinfo=dt.UTC)
    if spec.type == "boolean":
        return False
    if spec.type.startswith("decimal"):
        return Decimal("100.00")
    if spec.format == "ratio":
        return 0.05
    return 1


def make_row(std: Standard, table: str, n: int, **overrides: Any) -> dict[str, Any]:
    row = {f.name: value_for(std, table, f.name, n) for f in std.table(table).fields}
    for token in std.token_fields(std.table(table)):
        row[token.name] = f"tk_{token.name}_{n}"
    lineage = {
        "batch_id": f"{table}/2026-11-02/abc",
        "source_system": "dept_samr",
        "source_file": f"dept_samr/2026-11-02/{table}.csv",
        "source_row_number": n,
        "content_hash": "0" * 64,
        "row_hash": f"{n:016x}",
        "logical_date": DAY1,
        "ingested_at": dt.datetime(2026, 11, 2, 20, 0, tzinfo=dt.UTC),
        "row_warnings": None,
    }
    row.update(lineage)
    row.update(overrides)
    return row


def stg_path(settings: Settings, std: Standard, table: str) -> Path:
    spec = std.table(table)
    return settings.table_path("silver", f"stg_{spec.library}__{table}")


def write_stg(settings: Settings, std: Standard, table: str, rows: list[dict[str, Any]]) -> LakeTable:
    """Rewrite the whole staging table, as a dbt run does (one overwrite commit)."""
    schema = bronze_arrow_schema(std, table)
    path = stg_path(settings, std, table)
    lake = LakeTable.create(path, schema, exist_ok=True)
    lake.overwrite(pa.Table.from_pylist(rows, schema=schema))
    return lake


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        lakehouse_root=tmp_path / "lakehouse",
        landing_root=tmp_path / "landing",
        export_root=tmp_path / "exports",
    )


def read_records(folder: Path, dataset: str, std: Standard) -> list[dict[str, Any]]:
    layout = std.exports[dataset]
    path = folder / f"{dataset}.{layout.format}"
    text = path.read_bytes().decode(layout.encoding)
    if layout.format == "jsonl":
        return [json.loads(line) for line in text.splitlines()]
    import csv
    import io

    rows = list(csv.reader(io.StringIO(text, newline="")))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def ledger(settings: Settings) -> list[dict[str, Any]]:
    path = settings.table_path("gold", load_config().tables.ledger)
    return sorted(
        LakeTable(path).read().to_pylist(),
        key=lambda r: (r["batch_no"], r["dataset"], r["record_unique_identity"]),
    )


def holds(settings: Settings) -> list[dict[str, Any]]:
    return LakeTable(settings.table_path("gold", load_config().tables.holds)).read().to_pylist()


def gold_versions(settings: Settings) -> dict[str, int]:
    tables = load_config().tables
    return {
        n: LakeTable(settings.table_path("gold", n)).version()
        for n in (tables.batches, tables.ledger, tables.holds)
    }


def seed(settings: Settings, std: Standard, rows_per_table: int = 3) -> None:
    for table in SMALL:
        write_stg(settings, std, table, [make_row(std, table, n) for n in range(1, rows_per_table + 1)])


def ops(records: list[dict[str, Any]]) -> dict[str, str]:
    return {r["record_unique_identity"]: r["cd_operation"] for r in records}


# ---- full load, verification, personal data ------------------------------------------------------------


def test_first_export_is_a_full_load_that_verifies(settings: Settings, std: Standard) -> None:
    seed(settings, std)
    summary = export_job.run(settings, DAY1, std=std)
    folder = settings.export_root / "20261102"
    assert summary["status"] == "exported"
    assert summary["batch"] == "2026110200001"
    assert summary["datasets"] == {t: 3 for t in SMALL}
    assert summary["operations"] == {"i": 15, "u": 0, "d": 0}
    assert verify_dir(folder, std) == []
    penalties = read_records(folder, "penalties", std)
    assert ops(penalties) == {f"penalty_action_code-{n}": "i" for n in (1, 2, 3)}
    assert {r["cd_batch"] for r in penalties} == {"2026110200001"}
    assert penalties[0]["cd_source"] == "420000SCJG"
    ratings = read_records(folder, "credit_ratings", std)  # composite record id: uscc|source|date
    assert ratings[0]["record_unique_identity"] == f"{uscc(1)}|{ratings[0]['rating_source_code']}|2026-10-01"
    rows = ledger(settings)
    assert len(rows) == 15 and {r["status"] for r in rows} == {"sent"}
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    stg = LakeTable(stg_path(settings, std, "penalties"))
    entry = next(d for d in manifest["datasets"] if d["dataset"] == "penalties")
    assert entry["source_version_from"] is None and entry["source_version_to"] == stg.version()


def test_personal_fields_not_required_by_the_layout_never_reach_a_file(
    settings: Settings, std: Standard
) -> None:
    marked = "PERSONAL-MARKER"
    rows = [
        make_row(
            std,
            "penalties",
            n,
            legal_representative_id_number=f"{marked}-id",
            submitter_name=f"{marked}-submitter",
            registered_address=f"{marked}-address",
            party_code_token=f"tk_{marked}",
        )
        for n in (1, 2)
    ]
    write_stg(settings, std, "penalties", rows)
    export_job.run(settings, DAY1, std=std)
    data = (settings.export_root / "20261102" / "penalties.jsonl").read_bytes().decode("utf-8")
    assert marked not in data and "tk_" not in data
    record = json.loads(data.splitlines()[0])
    assert (
        record["administrative_cp"] == "张**"
    )  # required personal field: exported masked, as silver holds it


# ---- incremental day -----------------------------------------------------------------------------------


def _expected_changes(lake: LakeTable, std: Standard, start: int, end: int) -> dict[str, str]:
    """i/u/d between two versions by time travel, over the exported source columns (independent of the job)."""
    dataset = next(d for d in datasets(std) if d.name == "penalties")
    key = dataset.key_fields[0]

    def state(version: int) -> dict[str, dict[str, Any]]:
        return {r[key]: r for r in lake.read(columns=dataset.read_columns, version=version).to_pylist()}

    before, after = state(start), state(end)
    expected = {k: "i" for k in after.keys() - before.keys()}
    expected |= {k: "d" for k in before.keys() - after.keys()}
    expected |= {k: "u" for k in before.keys() & after.keys() if before[k] != after[k]}
    return expected


def test_incremental_day_exports_exactly_the_inserts_updates_and_deletes(
    settings: Settings, std: Standard
) -> None:
    seed(settings, std, rows_per_table=4)
    export_job.run(settings, DAY1, std=std)
    lake = LakeTable(stg_path(settings, std, "penalties"))
    exported_version = lake.version()
    # A dbt run rewrites the whole staging table: 1 untouched (but re-ingested and updated_at moved, which the
    # national layout does not carry), 2 updated, 3 deleted, 5 new; 4 untouched.
    day2 = [
        make_row(
            std, "penalties", 1, updated_at=dt.datetime(2026, 11, 3, 8, 0, tzinfo=dt.UTC), logical_date=DAY2
        ),
        make_row(std, "penalties", 2, penalty_result="罚款五千元", logical_date=DAY2),
        make_row(std, "penalties", 4),
        make_row(std, "penalties", 5, logical_date=DAY2),
    ]
    write_stg(settings, std, "penalties", day2)
    assert [c.version for c in lake.history(limit=1)] == [exported_version + 1]  # one rewrite commit
    summary = export_job.run(settings, DAY2, std=std)
    folder = settings.export_root / "20261103"
    assert verify_dir(folder, std) == []
    got = ops(read_records(folder, "penalties", std))
    assert got == {"penalty_action_code-2": "u", "penalty_action_code-3": "d", "penalty_action_code-5": "i"}
    assert got == _expected_changes(lake, std, exported_version, lake.version())
    assert summary["datasets"]["inspections"] == 0  # no commit on that table since the last export
    assert summary["source_versions"]["penalties"] == [exported_version, lake.version()]
    deleted = next(r for r in read_records(folder, "penalties", std) if r["cd_operation"] == "d")
    assert deleted["punish_action_name"] == "penalty_action_name-3"  # the before-image is sent
    # a later day with no change sends nothing for the dataset
    assert export_job.run(settings, DAY3, std=std)["datasets"]["penalties"] == 0


def test_rerun_is_byte_identical_and_does_not_advance_the_ledger(settings: Settings, std: Standard) -> None:
    seed(settings, std)
    export_job.run(settings, DAY1, std=std)
    folder = settings.export_root / "20261102"
    first = {p.name: p.read_bytes() for p in sorted(folder.iterdir())}
    versions = gold_versions(settings)
    # the source moves on after the export: a rerun still cuts from the recorded versions
    write_stg(settings, std, "penalties", [make_row(std, "penalties", n) for n in (1, 7)])
    again = export_job.run(settings, DAY1, std=std)
    assert again["status"] == "unchanged"
    assert {p.name: p.read_bytes() for p in sorted(folder.iterdir())} == first
    assert gold_versions(settings) == versions
    # a lost folder is restored byte for byte, still without touching the ledger
    writers.discard(folder)
    assert export_job.run(settings, DAY1, std=std)["status"] == "restored"
    assert {p.name: p.read_bytes() for p in sorted(folder.iterdir())} == first
    assert gold_versions(settings) == versions


# ---- receipts and resubmission -------------------------------------------------------------------------


def write_receipts(settings: Settings, std: Standard, rows: list[dict[str, Any]], landed: dt.date) -> None:
    table = "export_receipts"
    full = []
    for n, row in enumerate(rows, 1):
        base = make_row(std, table, n, logical_date=landed, source_system="national")
        base.update(row)
        full.append(base)
    schema = bronze_arrow_schema(std, table)
    lake = LakeTable.create(settings.table_path("bronze", table), schema, exist_ok=True)
    lake.append(pa.Table.from_pylist(full, schema=schema))


def test_rejected_records_are_resubmitted_with_u_in_the_next_batch(settings: Settings, std: Standard) -> None:
    seed(settings, std)
    export_job.run(settings, DAY1, std=std)
    write_receipts(
        settings,
        std,
        [
            {
                "batch_no": "2026110200001",
                "dataset_code": "penalties",
                "record_unique_identity": "penalty_action_code-2",
                "exchange_record_key": "penalties:penalty_action_code-2",
                "receipt_status_code": "2",
                "error_code": "E102",
                "error_message": "处罚依据与事项不符",
                "processed_at": dt.datetime(2026, 11, 3, 2, 0, tzinfo=dt.UTC),
            }
        ],
        landed=DAY2,
    )
    # the department repairs the record upstream
    rows = [make_row(std, "penalties", n) for n in (1, 3)]
    rows.append(make_row(std, "penalties", 2, penalty_basis="《食品安全法》第一百二十四条"))
    write_stg(settings, std, "penalties", rows)
    summary = export_job.run(settings, DAY2, std=std)
    assert summary["resubmissions"] == 1
    folder = settings.export_root / "20261103"
    assert verify_dir(folder, std) == []
    assert ops(read_records(folder, "penalties", std)) == {"penalty_action_code-2": "u"}
    rows_by_key = {(r["batch_no"], r["dataset"], r["record_unique_identity"]): r for r in ledger(settings)}
    original = rows_by_key[("2026110200001", "penalties", "penalty_action_code-2")]
    assert original["status"] == "rejected" and original["error_message"] == "处罚依据与事项不符"
    assert original["resubmitted_in"] == "2026110300001"
    assert rows_by_key[("2026110200001", "penalties", "penalty_action_code-1")]["status"] == "accepted"
    # a receipt answers its whole batch: records it does not name were accepted
    assert rows_by_key[("2026110200001", "inspections", "inspection_code-1")]["status"] == "accepted"
    resent = rows_by_key[("2026110300001", "penalties", "penalty_action_code-2")]
    assert resent["cd_operation"] == "u" and resent["resubmission_of"] == "2026110200001"
    # resubmitted once: the next day does not send it again
    assert export_job.run(settings, DAY3, std=std)["datasets"]["penalties"] == 0


def test_a_rejected_record_is_resubmitted_even_without_an_upstream_change(
    settings: Settings, std: Standard
) -> None:
    seed(settings, std)
    export_job.run(settings, DAY1, std=std)
    write_receipts(
        settings,
        std,
        [
            {
                "batch_no": "2026110200001",
                "dataset_code": "officers",
                "record_unique_identity": "officer_certificate_no-3",
                "receipt_status_code": "2",
                "error_message": "系统繁忙",
                "processed_at": dt.datetime(2026, 11, 3, 2, 0, tzinfo=dt.UTC),
            }
        ],
        landed=DAY2,
    )
    export_job.run(settings, DAY2, std=std)
    records = read_records(settings.export_root / "20261103", "officers", std)
    assert ops(records) == {"officer_certificate_no-3": "u"}


# ---- 质检 holds ----------------------------------------------------------------------------------------


def test_failing_records_are_held_with_reasons_and_released_once_fixed(
    settings: Settings, std: Standard
) -> None:
    seed(settings, std)
    penalties = [
        make_row(std, "penalties", 1),
        make_row(std, "penalties", 2, item_code="4200000000001"),  # 13 digits
        make_row(
            std, "penalties", 3, case_filing_date=dt.date(2026, 10, 5), case_closed_date=dt.date(2026, 10, 2)
        ),
        make_row(std, "penalties", 4, punishment_type_codes="01,99"),  # 99 is not in the dictionary
    ]
    write_stg(settings, std, "penalties", penalties)
    bad_uscc = uscc(2)[:-1] + ("0" if uscc(2)[-1] != "0" else "1")
    write_stg(
        settings,
        std,
        "inspections",
        [
            make_row(std, "inspections", 1),
            make_row(std, "inspections", 2, submitted_at=dt.datetime(2026, 9, 1, 1, 0, tzinfo=dt.UTC)),
            make_row(std, "inspections", 3, checklist_code="ABC" + "1" * 20),
            make_row(std, "inspections", 4, uscc=bad_uscc),
        ],
    )
    summary = export_job.run(settings, DAY1, std=std)
    assert summary["holds"] == 6
    found = {(h["dataset"], h["record_unique_identity"]): json.loads(h["reasons"]) for h in holds(settings)}
    rules = {key: {(r["rule_id"], r["field"]) for r in reasons} for key, reasons in found.items()}
    assert rules == {
        ("penalties", "penalty_action_code-2"): {("format_item_code", "supervise_item_implement_code")},
        ("penalties", "penalty_action_code-3"): {("closed_after_filed", "case_closed_date")},
        ("penalties", "penalty_action_code-4"): {("code_list", "punish_type")},
        ("inspections", "inspection_code-2"): {("submitted_after_check", "submitted_date")},
        ("inspections", "inspection_code-3"): {("format_checklist_code", "supervise_item_check_icode")},
        ("inspections", "inspection_code-4"): {("format_party_code", "administrative_cp_ui_code")},
    }
    assert all(r["message_zh"] for reasons in found.values() for r in reasons)
    folder = settings.export_root / "20261102"
    assert set(ops(read_records(folder, "penalties", std))) == {"penalty_action_code-1"}
    assert verify_dir(folder, std) == []
    # day 2: item code repaired upstream; the others are still wrong and stay held since day 1
    penalties[1] = make_row(std, "penalties", 2)
    write_stg(settings, std, "penalties", penalties)
    summary = export_job.run(settings, DAY2, std=std)
    assert ops(read_records(settings.export_root / "20261103", "penalties", std)) == {
        "penalty_action_code-2": "i"
    }
    day2 = [h for h in holds(settings) if h["logical_date"] == DAY2]
    assert {h["record_unique_identity"] for h in day2 if h["dataset"] == "penalties"} == {
        "penalty_action_code-3",
        "penalty_action_code-4",
    }
    assert {h["first_held_date"] for h in day2} == {DAY1}
    assert summary["holds"] == 5


def test_a_recreated_source_table_is_refused_not_silently_skipped(settings: Settings, std: Standard) -> None:
    from jianguan.errors import ExportValidationError

    write_stg(settings, std, "officers", [make_row(std, "officers", n) for n in (1, 2)])
    write_stg(settings, std, "officers", [make_row(std, "officers", n) for n in (1, 2, 3)])
    export_job.run(settings, DAY1, std=std)
    writers.discard(stg_path(settings, std, "officers"))  # dropped and rebuilt: version 1 again
    write_stg(settings, std, "officers", [make_row(std, "officers", n) for n in (1, 2)])
    with pytest.raises(ExportValidationError, match="recreated"):
        export_job.run(settings, DAY2, std=std)


# ---- crash safety --------------------------------------------------------------------------------------


def test_a_crash_inside_the_writer_leaves_no_folder_that_verifies(
    settings: Settings, std: Standard, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(settings, std)
    real = writers.write_records
    calls = {"n": 0}

    def crashing(path: Path, **kwargs: Any) -> writers.WrittenFile:
        calls["n"] += 1
        if calls["n"] == 3:  # two files complete, the third half-written
            path.write_bytes(b'{"cd_id":"half')
            raise OSError("disk full")
        return real(path, **kwargs)

    monkeypatch.setattr(writers, "write_records", crashing)
    with pytest.raises(OSError, match="disk full"):
        export_job.run(settings, DAY1, std=std)
    leftovers = list(settings.export_root.iterdir()) if settings.export_root.exists() else []
    assert all(verify_dir(p, std) for p in leftovers)
    assert not (settings.export_root / "20261102").exists()
    assert LakeTable(settings.table_path("gold", load_config().tables.batches)).read().num_rows == 0
    monkeypatch.setattr(writers, "write_records", real)
    assert export_job.run(settings, DAY1, std=std)["status"] == "exported"
    assert verify_dir(settings.export_root / "20261102", std) == []


KILLER = """
import datetime as dt, os, signal, sys
from pathlib import Path
from jianguan.export import job, writers
from jianguan.settings import Settings

point = sys.argv[3]
real_write, real_publish = writers.write_records, writers.publish

def write(path, **kwargs):
    result = real_write(path, **kwargs)
    if point == "writing" and path.name.startswith("officers"):
        os.kill(os.getpid(), signal.SIGKILL)
    return result

def publish(tmp, root, name):
    if point == "publishing":
        os.kill(os.getpid(), signal.SIGKILL)
    return real_publish(tmp, root, name)

writers.write_records, writers.publish = write, publish
job.run(Settings(lakehouse_root=Path(sys.argv[1]), export_root=Path(sys.argv[2])), dt.date(2026, 11, 2))
"""


@pytest.mark.parametrize("point", ["writing", "publishing"])
def test_a_killed_export_process_leaves_no_folder_that_verifies(
    settings: Settings, std: Standard, tmp_path: Path, point: str
) -> None:
    import signal
    import subprocess
    import sys

    seed(settings, std)
    script = tmp_path / "killer.py"
    script.write_text(KILLER, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script), str(settings.lakehouse_root), str(settings.export_root), point],
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()[-2000:]
    leftovers = list(settings.export_root.iterdir())
    assert leftovers, "the killed run left its staging folder behind"
    assert not (settings.export_root / "20261102").exists()
    assert all(verify_dir(p, std) for p in leftovers)
    if point == "publishing":  # complete files and manifest, but under the hidden name: still refused
        assert any((p / "manifest.json").exists() for p in leftovers)
    assert LakeTable(settings.table_path("gold", load_config().tables.batches)).read().num_rows == 0
    assert export_job.run(settings, DAY1, std=std)["status"] == "exported"
    assert [p.name for p in settings.export_root.iterdir()] == ["20261102"]
    assert verify_dir(settings.export_root / "20261102", std) == []


def test_the_cli_verifier_accepts_a_batch_and_rejects_a_tampered_one(
    settings: Settings, std: Standard
) -> None:
    from jianguan.cli import main

    seed(settings, std)
    export_job.run(settings, DAY1, std=std)
    folder = settings.export_root / "20261102"
    assert main(["export", "verify", str(folder)]) == 0
    path = folder / "enterprises.csv"
    path.write_bytes(path.read_bytes().replace(b"91420102", b"91420103", 1))
    assert main(["export", "verify", str(folder)]) == 1
