from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from jianguan.errors import SourceFileError
from jianguan.ingest.readers import FeedFileReader
from jianguan.spec.model import FeedSpec
from tests.unit.mini_standard import FEED

HEADER = "处罚行为编号,行政相对人编码,处罚种类,罚款金额,处罚决定日期"
REQUIRED = {"penalty_code", "party_code", "punishment_type", "decision_date"}


def feed(**changes: object) -> FeedSpec:
    spec = copy.deepcopy(FEED)
    spec.update(changes)
    return FeedSpec.model_validate(spec)


def read_all(path: Path, spec: FeedSpec, batch_rows: int = 65_536) -> tuple[list[dict], list[int], list]:
    reader = FeedFileReader(path, spec, REQUIRED, batch_rows=batch_rows)
    rows: list[dict] = []
    numbers: list[int] = []
    bad: list = []
    for batch in reader.batches():
        rows.extend(batch.table.to_pylist())
        numbers.extend(batch.row_numbers.tolist())
        bad.extend(batch.bad_records)
    return rows, numbers, bad


def test_gbk_csv_reads_as_strings_with_record_numbers(tmp_path: Path) -> None:
    path = tmp_path / "xzcf_1.csv"
    path.write_bytes(
        (HEADER + "\nCF001,91512081MA62K0260E,01,100.50,2026-01-05\n"
         'CF002,91330203674737244W,"01,02",0012,2026/1/6\n').encode("gbk")
    )  # fmt: skip
    rows, numbers, bad = read_all(path, feed())
    assert numbers == [1, 2]
    assert bad == []
    assert rows[1] == {
        "penalty_code": "CF002",
        "party_code": "91330203674737244W",
        "punishment_type": "01,02",
        "fine_amount": "0012",  # leading zeros survive: no type inference in the reader
        "decision_date": "2026/1/6",
    }


def test_rows_with_wrong_column_count_become_bad_records_and_numbers_skip_them(tmp_path: Path) -> None:
    path = tmp_path / "xzcf_1.csv"
    lines = [
        HEADER,
        "CF001,A,01,1,2026-01-05",
        "CF002,B,01",
        "CF003,C,01,3,2026-01-05",
        'CF004,"多行\n内容",01,4,d',
    ]
    path.write_bytes(("\n".join(lines) + "\n").encode("gbk"))
    rows, numbers, bad = read_all(path, feed())
    assert [r["penalty_code"] for r in rows] == ["CF001", "CF003", "CF004"]
    assert numbers == [1, 3, 4]
    assert [(b.row_number, b.raw_text) for b in bad] == [(2, "CF002,B,01")]
    assert "列数不符" in bad[0].reason_zh


def test_truncated_csv_is_a_file_level_error(tmp_path: Path) -> None:
    path = tmp_path / "xzcf_1.csv"
    path.write_bytes((HEADER + "\nCF001,A,01,1,2026-01-05\nCF002,B,0").encode("gbk"))
    with pytest.raises(SourceFileError) as error:
        read_all(path, feed())
    assert error.value.rule_id == "file_truncated"
    assert "第2条记录不完整" in error.value.reason


def test_missing_required_header_names_the_column(tmp_path: Path) -> None:
    path = tmp_path / "xzcf_1.csv"
    path.write_bytes("处罚行为编号,相对人代码,处罚种类,处罚决定日期\nCF001,A,01,2026-01-05\n".encode("gbk"))
    with pytest.raises(SourceFileError) as error:
        read_all(path, feed())
    assert error.value.rule_id == "file_header"
    assert "行政相对人编码" in error.value.reason and "相对人代码" in error.value.reason


def test_utf8_file_declared_gbk_is_read_with_a_note(tmp_path: Path) -> None:
    path = tmp_path / "xzcf_1.csv"
    path.write_bytes((HEADER + "\nCF001,某某公司,01,1,2026-01-05\n").encode("utf-8"))
    reader = FeedFileReader(path, feed(), REQUIRED)
    rows = [r for b in reader.batches() for r in b.table.to_pylist()]
    assert rows[0]["party_code"] == "某某公司"
    assert reader.notes == ["声明编码为gbk，文件实际为utf-8"]


def test_undecodable_file_is_quarantined(tmp_path: Path) -> None:
    path = tmp_path / "xzcf_1.csv"
    path.write_bytes(HEADER.encode("gbk") + b"\n\xff\xfe\xfa\x80,\x81\n")
    with pytest.raises(SourceFileError) as error:
        read_all(path, feed())
    assert error.value.rule_id == "file_encoding"


def test_xlsx_with_title_row(tmp_path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["湖北省行政处罚信息报送表"])
    sheet.merge_cells("A1:E1")
    sheet.append(HEADER.split(","))
    sheet.append(["CF001", "91512081MA62K0260E", "02", 2000.0, "2026-01-05"])
    sheet.append([None, None, None, None, None])
    path = tmp_path / "xzcf_1.xlsx"
    workbook.save(path)
    rows, numbers, _ = read_all(path, feed(format="xlsx", xlsx={"title_rows": 1}, file_pattern="*.xlsx"))
    assert rows == [
        {"penalty_code": "CF001", "party_code": "91512081MA62K0260E", "punishment_type": "02",
         "fine_amount": "2000", "decision_date": "2026-01-05"}
    ]  # fmt: skip
    assert numbers == [1]


def test_jsonl_bad_line_is_a_bad_record_and_truncation_is_a_file_error(tmp_path: Path) -> None:
    spec = feed(format="jsonl", encoding="utf-8", file_pattern="*.jsonl")
    record = {"处罚行为编号": "CF001", "行政相对人编码": "X", "处罚种类": "01", "处罚决定日期": "2026-01-05"}
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n{broken\n" + json.dumps(record) + "\n")
    rows, numbers, bad = read_all(path, spec, batch_rows=1)
    assert numbers == [1, 3] and len(rows) == 2
    assert [(b.row_number, b.reason_zh) for b in bad] == [(2, "JSON行无法解析")]
    path.write_text(json.dumps(record, ensure_ascii=False) + '\n{"处罚行为编号": "CF')
    with pytest.raises(SourceFileError, match="文件被截断"):
        read_all(path, spec)


def test_json_records_path(tmp_path: Path) -> None:
    spec = feed(format="json", encoding="utf-8", json={"records_path": "data.records"})
    record = {
        "处罚行为编号": "CF9",
        "行政相对人编码": "X",
        "处罚种类": "01",
        "处罚决定日期": "2026-01-05",
        "罚款金额": 12.5,
    }
    path = tmp_path / "a.json"
    path.write_text(json.dumps({"code": 0, "data": {"records": [record]}}, ensure_ascii=False))
    rows, numbers, _ = read_all(path, spec)
    assert rows[0]["fine_amount"] == "12.5" and numbers == [1]


XML_BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<records><record><处罚行为编号>&lol2;</处罚行为编号></record></records>"""


def test_xml_records_and_xml_bomb(tmp_path: Path) -> None:
    spec = feed(format="xml", encoding="utf-8", xml={"record_tag": "record"})
    path = tmp_path / "a.xml"
    path.write_text(
        "<?xml version='1.0' encoding='utf-8'?><records><record><处罚行为编号>CF1</处罚行为编号>"
        "<行政相对人编码>X</行政相对人编码><处罚种类>01</处罚种类><处罚决定日期>2026-01-05</处罚决定日期></record></records>",
        encoding="utf-8",
    )
    rows, numbers, _ = read_all(path, spec)
    assert rows[0]["penalty_code"] == "CF1" and rows[0]["fine_amount"] is None and numbers == [1]
    path.write_text(XML_BOMB, encoding="utf-8")
    with pytest.raises(SourceFileError) as error:
        read_all(path, spec)
    assert error.value.rule_id == "file_unsafe"


def test_utf8_text_that_also_decodes_as_gbk_is_read_as_utf8(tmp_path: Path) -> None:
    text = HEADER + "\nCF001,湖北省武汉市江岸区某某贸易有限公司,01,1,2026-01-05\n"
    path = tmp_path / "xzcf_1.csv"
    path.write_bytes(text.encode("utf-8"))
    reader = FeedFileReader(path, feed(), REQUIRED)
    rows = [r for b in reader.batches() for r in b.table.to_pylist()]
    assert rows[0]["party_code"] == "湖北省武汉市江岸区某某贸易有限公司"


def test_gbk_xml_is_recoded(tmp_path: Path) -> None:
    spec = feed(format="xml", encoding="gbk", xml={"record_tag": "记录"})
    path = tmp_path / "a.xml"
    body = (
        '<?xml version="1.0" encoding="GBK"?><数据><记录><处罚行为编号>CF1</处罚行为编号>'
        "<行政相对人编码>武汉某某公司</行政相对人编码><处罚种类>01</处罚种类><处罚决定日期>2026-01-05</处罚决定日期></记录></数据>"
    )
    path.write_bytes(body.encode("gbk"))
    rows, _, _ = read_all(path, spec)
    assert rows[0]["party_code"] == "武汉某某公司"


def test_record_numbers_leave_out_skipped_records_even_right_after_a_block() -> None:
    from jianguan.ingest.readers import _record_numbers

    numbers, following = _record_numbers(1, 3, [2, 5])
    assert numbers.tolist() == [1, 3, 4] and following == 6, "record 5 (unsplittable) ends the block"
    numbers, following = _record_numbers(following, 2, [])
    assert numbers.tolist() == [6, 7] and following == 8
    numbers, following = _record_numbers(8, 0, [])
    assert numbers.tolist() == [] and following == 8
    numbers, following = _record_numbers(8, 2, [8, 9])
    assert numbers.tolist() == [10, 11] and following == 12
