from __future__ import annotations

import copy
from pathlib import Path

import pyarrow as pa
import pytest
import yaml

from jianguan.errors import SchemaError
from jianguan.spec.loader import load_standard
from jianguan.spec.render.dbt_sources import render_sources, staging_arrow_schema
from jianguan.spec.render.schemas import bronze_arrow_schema, rejected_arrow_schema
from tests.unit.mini_standard import FEED, TABLE, write_mini_standard


def test_mini_standard_loads_with_cross_references(tmp_path: Path) -> None:
    std = load_standard(write_mini_standard(tmp_path))
    table = std.table("penalties")
    assert table.field("fine_amount").decimal_precision_scale == (18, 2)
    assert std.code_list("punishment_type").values == {"01", "02"}
    assert std.feeds["samr_penalties"].header_to_field["处罚种类"] == "punishment_type"
    assert std.export_mapping()[("penalties", "penalty_code")] == [("penalties", "punish_action_code")]


def _broken(**changes: object) -> dict:
    table = copy.deepcopy(TABLE)
    table.update(changes)
    return table


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        (_broken(library="nowhere"), "library 'nowhere' is not one of"),
        (_broken(business_key=["missing"]), "business_key names unknown fields ['missing']"),
        (_broken(name="Penalties"), "is not English snake_case"),
    ],
)
def test_table_problems_name_the_file_and_the_problem(tmp_path: Path, table: dict, expected: str) -> None:
    with pytest.raises(SchemaError) as error:
        load_standard(write_mini_standard(tmp_path, table=table))
    assert "tables/actions/penalties.yaml" in str(error.value)
    assert expected in str(error.value)


def test_field_problems_name_the_field(tmp_path: Path) -> None:
    table = copy.deepcopy(TABLE)
    table["fields"][3]["type"] = "money"
    del table["fields"][4]["pii"]
    table["fields"][2]["code_list"] = "no_such_list"
    with pytest.raises(SchemaError) as error:
        load_standard(write_mini_standard(tmp_path, table=table))
    message = str(error.value)
    assert "fields[3] (name=fine_amount).type" in message
    assert "fields[4] (name=decision_date).pii" in message


def test_unknown_code_list_is_reported(tmp_path: Path) -> None:
    table = copy.deepcopy(TABLE)
    table["fields"][2]["code_list"] = "no_such_list"
    with pytest.raises(SchemaError, match="field punishment_type: code list 'no_such_list' does not exist"):
        load_standard(write_mini_standard(tmp_path, table=table))


def test_feed_must_map_every_required_field(tmp_path: Path) -> None:
    feed = copy.deepcopy(FEED)
    feed["columns"] = [c for c in feed["columns"] if c["field"] != "decision_date"]
    with pytest.raises(SchemaError, match=r"required fields of penalties not mapped: \['decision_date'\]"):
        load_standard(write_mini_standard(tmp_path, feed=feed))


def test_unquoted_numeric_codes_are_refused(tmp_path: Path) -> None:
    root = write_mini_standard(tmp_path)
    (root / "codes" / "punishment_type.yaml").write_text(
        "name: punishment_type\nlabel_zh: 处罚种类\nprovenance: seen\ncodes:\n  - {code: 01, label_zh: 警告}\n",
        encoding="utf-8",
    )
    with pytest.raises(SchemaError, match="must be a quoted string"):
        load_standard(root)


def test_arrow_schema_carries_types_nullability_and_chinese_comments(tmp_path: Path) -> None:
    std = load_standard(write_mini_standard(tmp_path))
    schema = bronze_arrow_schema(std, "penalties")
    assert schema.field("fine_amount").type == pa.decimal128(18, 2)
    assert schema.field("decision_date").type == pa.date32()
    assert not schema.field("penalty_code").nullable
    assert schema.field("fine_amount").nullable
    assert schema.field("penalty_code").metadata[b"label_zh"].decode() == "处罚行为编号"
    assert schema.field("contact_phone").metadata[b"pii"] == b"phone"
    # lineage columns follow the table's own fields
    assert schema.names[-len(std.lineage.bronze) :] == [c.name for c in std.lineage.bronze]
    assert "reject_reasons" in rejected_arrow_schema(std).names


def test_personal_fields_get_a_token_column_in_bronze(tmp_path: Path) -> None:
    std = load_standard(write_mini_standard(tmp_path))
    names = [f.name for f in std.bronze_fields("penalties")]
    assert names.index("contact_phone_token") > names.index("updated_at")
    assert "penalty_code_token" not in names


def test_party_fields_get_a_match_key_in_staging_only(tmp_path: Path) -> None:
    table = copy.deepcopy(TABLE)
    table["fields"][1]["match_key"] = "uscc"
    std = load_standard(write_mini_standard(tmp_path, table=table))
    spec = std.table("penalties")
    assert [f.name for f in std.match_key_fields(spec)] == ["party_code_match_key"]
    assert "party_code_match_key" not in [f.name for f in std.bronze_fields("penalties")]
    staged = staging_arrow_schema(std, spec)
    assert staged.names[-1] == "party_code_match_key"
    assert (
        staged.field("party_code_match_key").type == pa.string()
        and staged.field("party_code_match_key").nullable
    )
    assert staged.field("party_code_match_key").metadata[b"label_zh"].decode() == "行政相对人编码匹配键"
    column = next(c for t in yaml.safe_load(render_sources(std, "actions"))["sources"][0]["tables"]
                  if t["name"] == "penalties" for c in t["columns"] if c["name"] == "party_code")  # fmt: skip
    assert column["meta"]["match_key"] == "uscc"  # what stage_bronze reads


@pytest.mark.parametrize(
    ("field", "match_key", "expected"),
    [
        (1, "name", "match_key uscc goes with format uscc"),  # a USCC field's key is the code itself
        (0, "uscc", "match_key uscc goes with format uscc"),  # no USCC format: nothing to check it against
        (3, "name", "match_key applies to string fields only"),
        (0, "phonetic", "fields[0] (name=penalty_code).match_key"),
    ],
)
def test_match_key_problems_name_the_field(tmp_path: Path, field: int, match_key: str, expected: str) -> None:
    table = copy.deepcopy(TABLE)
    table["fields"][field]["match_key"] = match_key
    with pytest.raises(SchemaError) as error:
        load_standard(write_mini_standard(tmp_path, table=table))
    assert expected in str(error.value)


def test_a_match_key_may_not_shadow_a_field(tmp_path: Path) -> None:
    table = copy.deepcopy(TABLE)
    table["fields"][1]["match_key"] = "uscc"
    table["fields"].append({**table["fields"][0], "name": "party_code_match_key", "required": False})
    with pytest.raises(SchemaError, match="already has its _match_key name"):
        load_standard(write_mini_standard(tmp_path, table=table))
