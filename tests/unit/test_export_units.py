"""Pure parts of the export: value rendering, CSV neutralisation, 质检 rules, layout checks, the verifier."""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest

from jianguan.errors import SchemaError
from jianguan.export import writers
from jianguan.export.layouts import datasets
from jianguan.export.quality import check_records
from jianguan.export.records import RECORD_ID, project
from jianguan.export.values import render
from jianguan.export.verify import verify_dir
from jianguan.rules.context import format_checks
from jianguan.settings import PROJECT_ROOT
from jianguan.spec.loader import Standard, cached_standard, load_standard
from jianguan.spec.model import ExportField
from jianguan.validate.codes import make_uscc
from tests.unit.mini_standard import EXPORT, write_mini_standard


@pytest.fixture(scope="module")
def std() -> Standard:
    return cached_standard(PROJECT_ROOT / "schemas")


# ---- rendering -----------------------------------------------------------------------------------------


def test_values_render_as_the_national_layout_writes_them() -> None:
    stamp = ExportField(code="t", label_zh="时间", type="timestamp", date_format="%Y-%m-%d %H:%M:%S")
    day = ExportField(code="d", label_zh="日期", type="date", date_format="%Y%m%d")
    plain = ExportField(code="s", label_zh="文本")
    utc = pa.array([dt.datetime(2026, 11, 2, 16, 30, tzinfo=dt.UTC), None], pa.timestamp("us", tz="UTC"))
    assert render(utc, stamp).to_pylist() == ["2026-11-03 00:30:00", None]  # Asia/Shanghai
    assert render(pa.array([dt.date(2026, 1, 5)]), day).to_pylist() == ["20260105"]
    assert render(pa.array([Decimal("5.50")], pa.decimal128(18, 2)), plain).to_pylist() == ["5.50"]
    assert render(pa.array([True, False, None]), plain).to_pylist() == ["1", "0", None]
    assert render(pa.array(["", "x"]), plain).to_pylist() == [None, "x"]


def test_csv_cells_a_spreadsheet_would_execute_are_neutralised(tmp_path: Path) -> None:
    table = pa.table(
        {
            k: [v]
            for k, v in zip("abcdefg", ["=1+1", "+86", "-2", "@SUM(A1)", 'a,"b"', "-5", None], strict=True)
        }
    )
    text_fields = [True, True, True, True, True, False, True]
    written = writers.write_records(
        tmp_path / "x.csv", fmt="csv", encoding="utf-8", table=table, text_fields=text_fields
    )
    lines = (tmp_path / "x.csv").read_bytes().decode("utf-8").split("\r\n")
    assert lines[0] == "a,b,c,d,e,f,g"
    assert lines[1] == '\'=1+1,\'+86,\'-2,\'@SUM(A1),"a,""b""",-5,'
    assert written.records == 1
    again = writers.write_records(
        tmp_path / "y.csv", fmt="csv", encoding="utf-8", table=table, text_fields=text_fields
    )
    assert again.sha256 == written.sha256  # deterministic bytes


def test_jsonl_lines_are_what_json_dumps_writes(tmp_path: Path) -> None:
    rows = {"cd_id": ["x:1", "x:2"], "名称": ['引"号\n', None], "n": ["1", "1"]}
    writers.write_records(
        tmp_path / "x.jsonl", fmt="jsonl", encoding="utf-8", table=pa.table(rows), text_fields=[]
    )
    expected = "".join(
        json.dumps({k: rows[k][i] for k in rows}, ensure_ascii=False, separators=(",", ":")) + "\n"
        for i in range(2)
    )
    assert (tmp_path / "x.jsonl").read_text(encoding="utf-8") == expected


# ---- 质检 ----------------------------------------------------------------------------------------------


def _inspection_rows(std: Standard, **overrides: object) -> pa.Table:
    from tests.unit.test_export_job import make_row

    table = std.table("inspections")
    row = make_row(std, "inspections", 1, **overrides)
    return pa.Table.from_pylist([row]).select([f.name for f in table.fields])


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, set()),
        ({"item_code": "1234567890123A"}, {("format_item_code", "supervise_item_implement_code")}),
        ({"checklist_code": make_uscc("9", "1", "420102", "00000001") + "7X"},
         {("format_checklist_code", "supervise_item_check_icode")}),
        ({"region_code": "429999"}, {("format_region_code", "area_number")}),
        ({"check_result_code": "ZZ"}, {("code_list", "check_result")}),
        ({"inspection_name": "检" * 501}, {("max_length", "check_action_name")}),
        ({"supervised_object": None}, {("required", "supervise_object")}),
        # a natural person's masked ID cannot be re-checked; the USCC of a unit in clear is
        ({"uscc": None, "party_code": "420102********1234"}, set()),
        ({"uscc": make_uscc("9", "1", "420102", "00000001")[:-1] + "0"},
         {("format_party_code", "administrative_cp_ui_code")}),
    ],
)  # fmt: skip
def test_quality_rules_name_the_rule_and_the_national_field(
    std: Standard, overrides: dict[str, object], expected: set[tuple[str, str]]
) -> None:
    dataset = next(d for d in datasets(std) if d.name == "inspections")
    rows = _inspection_rows(std, **overrides)
    findings = check_records(std, dataset, project(dataset, rows), format_checks(std))
    got = {(f.rule_id, f.field) for found in findings.values() for f in found}
    assert got == expected


def test_ratio_rule_holds_sampling_ratios_outside_zero_to_one(std: Standard) -> None:
    from tests.unit.test_export_job import make_row

    dataset = next(d for d in datasets(std) if d.name == "random_inspection_plans")
    table = std.table("random_inspection_plans")
    rows = pa.Table.from_pylist(
        [make_row(std, table.name, 1, sampling_ratio=0.3), make_row(std, table.name, 2, sampling_ratio=1.5)]
    ).select(table.field_names)
    records = project(dataset, rows)
    findings = check_records(std, dataset, records, format_checks(std))
    assert list(findings) == [1]
    assert [(f.rule_id, f.field) for f in findings[1]] == [("format_ratio", "sampling_ratio")]
    assert records.column(RECORD_ID).to_pylist() == ["plan_id-1", "plan_id-2"]


# ---- layout checks (schemas check) ---------------------------------------------------------------------


def _mini_with_export(tmp_path: Path, *fields: dict[str, object]) -> Path:
    root = write_mini_standard(tmp_path)
    export = copy.deepcopy(EXPORT)
    export["fields"] = [*export["fields"], *fields]
    import yaml

    (root / "exports" / "penalties.yaml").write_text(
        yaml.safe_dump(export, allow_unicode=True), encoding="utf-8"
    )
    return root


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        (
            {"code": "phone", "label_zh": "电话", "from": "contact_phone"},
            "personal fields are exported only when",
        ),
        (
            {"code": "date", "label_zh": "日期", "from": "decision_date", "type": "string"},
            "type string differs",
        ),
        (
            {"code": "date", "label_zh": "日期", "from": "decision_date", "type": "date"},
            "needs a date_format",
        ),
        (
            {"code": "x", "label_zh": "X", "from": "penalty_code", "fallback": "nope"},
            "fallback 'nope' is not",
        ),
        ({"code": "cd_batch", "label_zh": "批次", "from": "penalty_code"}, "collides with an envelope field"),
    ],
)
def test_layout_checks_refuse_what_would_break_the_export(tmp_path: Path, field: dict, expected: str) -> None:
    import shutil

    root = _mini_with_export(tmp_path, field)
    shutil.copy(PROJECT_ROOT / "schemas" / "exports" / "envelope.yaml", root / "exports" / "envelope.yaml")
    shutil.copy(
        PROJECT_ROOT / "schemas" / "codes" / "cd_operation.yaml", root / "codes" / "cd_operation.yaml"
    )
    with pytest.raises(SchemaError, match=expected):
        load_standard(root)


def test_every_layout_of_the_standard_is_consistent(std: Standard) -> None:
    names = {d.name for d in datasets(std)}
    assert {"supervision_items", "inspection_checklists", "enterprises", "officers", "inspections", "penalties",
            "coercive_measures", "other_actions", "abnormal_operations", "serious_violations", "credit_ratings",
            "consumer_complaints"} <= names  # fmt: skip
    for dataset in datasets(std):
        for spec in dataset.layout.fields:
            if dataset.is_personal(spec):
                assert spec.required, (dataset.name, spec.code)


# ---- the verifier --------------------------------------------------------------------------------------


def _batch(tmp_path: Path, std: Standard) -> Path:
    from tests.unit.test_export_job import DAY1, Settings, export_job, make_row, write_stg

    settings = Settings(lakehouse_root=tmp_path / "lh", export_root=tmp_path / "exports")
    write_stg(settings, std, "officers", [make_row(std, "officers", n) for n in (1, 2)])
    export_job.run(settings, DAY1, std=std)
    return settings.export_root / "20261102"


def test_the_verifier_catches_extra_files_renamed_folders_and_bad_manifests(
    tmp_path: Path, std: Standard
) -> None:
    folder = _batch(tmp_path, std)
    assert verify_dir(folder, std) == []
    (folder / "notes.txt").write_text("x", encoding="utf-8")
    assert any("not listed in the manifest" in p for p in verify_dir(folder, std))
    (folder / "notes.txt").unlink()
    renamed = folder.with_name("20261103")
    folder.rename(renamed)
    assert any("is not the batch's directory" in p for p in verify_dir(renamed, std))
    renamed.rename(folder)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["datasets"][0]["records"] += 1
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert any("records, manifest says" in p for p in verify_dir(folder, std))
    (folder / "manifest.json").unlink()
    assert any("no manifest.json" in p for p in verify_dir(folder, std))
