from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from jianguan.rules import TableValidator, rules_for_table
from jianguan.spec.loader import load_standard
from jianguan.validate.codes import FORMAT_CHECKS
from tests.unit.mini_standard import write_mini_standard


@pytest.fixture(scope="module")
def validator(tmp_path_factory: pytest.TempPathFactory) -> TableValidator:
    std = load_standard(write_mini_standard(tmp_path_factory.mktemp("std")))
    codes = {name: code_list.values for name, code_list in std.codes.items()}
    return TableValidator(std.table("penalties"), codes, FORMAT_CHECKS)


def batch(rows: list[dict[str, str | None]]) -> pa.Table:
    names = sorted({k for row in rows for k in row})
    return pa.table({n: pa.array([row.get(n) for row in rows], pa.string()) for n in names})


GOOD = {
    "penalty_code": "CF001",
    "party_code": "91512081MA62K0260E",
    "punishment_type": "01,02",
    "fine_amount": "1,200.5",
    "decision_date": "2026年1月5日",
    "officer_count": "2",
    "updated_at": "2026-01-05 08:30:00",
}


def flagged(result, row: int) -> set[tuple[str, str]]:
    return {(rule.rule_id, rule.column) for rule, mask, _ in result.flags if mask[row]}


def test_clean_row_is_typed_and_unflagged(validator: TableValidator) -> None:
    validator.start_file()
    result = validator.validate(batch([GOOD]))
    assert flagged(result, 0) == set()
    row = result.typed.to_pylist()[0]
    assert row["fine_amount"] == Decimal("1200.50")
    assert row["decision_date"] == date(2026, 1, 5)
    assert row["officer_count"] == 2
    assert row["updated_at"].isoformat().startswith("2026-01-05T00:30:00")  # 08:30 Shanghai = 00:30 UTC


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"penalty_code": None}, ("required", "penalty_code")),
        ({"penalty_code": "  "}, ("required", "penalty_code")),
        ({"penalty_code": "CF0000000001"}, ("max_length", "penalty_code")),
        ({"party_code": "91350100M000100Y4Z"}, ("format_uscc", "party_code")),
        ({"punishment_type": "01,99"}, ("code_list", "punishment_type")),
        ({"fine_amount": "-5"}, ("range", "fine_amount")),
        ({"fine_amount": "一百元"}, ("type_decimal", "fine_amount")),
        ({"decision_date": "2026-02-30"}, ("type_date", "decision_date")),
        ({"decision_date": "01/05/26"}, ("type_date", "decision_date")),
    ],
)
def test_each_error_rule_flags_the_row(validator: TableValidator, change: dict, expected: tuple) -> None:
    validator.start_file()
    result = validator.validate(batch([GOOD, {**GOOD, "penalty_code": "CF002", **change}]))
    assert flagged(result, 0) == set()
    assert expected in flagged(result, 1)
    assert result.error_mask.tolist() == [False, True]


def test_warn_rules_keep_the_row_with_a_warning(validator: TableValidator) -> None:
    validator.start_file()
    result = validator.validate(batch([{**GOOD, "officer_count": "0", "contact_phone": "12"}]))
    assert result.error_mask.tolist() == [False]
    assert result.warn_mask.tolist() == [True]
    warnings = json.loads(result.findings_json("warn", np.array([0]))[0])
    assert {w["rule_id"] for w in warnings} == {"range", "format_phone"}
    assert all(w["message_zh"] for w in warnings)


def test_fullwidth_input_is_normalised_before_checks(validator: TableValidator) -> None:
    validator.start_file()
    fullwidth = "９１５１２０８１ＭＡ６２Ｋ０２６０Ｅ"
    result = validator.validate(batch([{**GOOD, "party_code": f"\u3000{fullwidth} "}]))
    assert flagged(result, 0) == set()
    assert result.typed.column("party_code")[0].as_py() == "91512081MA62K0260E"


def test_duplicate_business_key_within_a_file_across_batches(validator: TableValidator) -> None:
    validator.start_file()
    first = validator.validate(batch([GOOD]))
    second = validator.validate(batch([GOOD, {**GOOD, "penalty_code": "CF003"}]))
    assert first.error_mask.tolist() == [False]
    assert second.error_mask.tolist() == [True, False]
    assert ("duplicate_key", "penalty_code") in flagged(second, 0)
    validator.start_file()
    assert validator.validate(batch([GOOD])).error_mask.tolist() == [False]


def test_a_new_version_of_a_key_in_the_same_file_is_kept(validator: TableValidator) -> None:
    """Same key, other values: an update delivered in the file, kept for staging's latest-version choice."""
    validator.start_file()
    first = validator.validate(batch([GOOD]))
    updated = validator.validate(batch([{**GOOD, "fine_amount": "2000"}, {**GOOD, "fine_amount": "2000"}]))
    assert first.error_mask.tolist() == [False]
    assert updated.error_mask.tolist() == [False, True]  # the update kept, its exact repeat refused
    assert ("duplicate_key", "penalty_code") in flagged(updated, 1)


def test_rejected_row_does_not_claim_the_business_key(validator: TableValidator) -> None:
    validator.start_file()
    result = validator.validate(batch([{**GOOD, "decision_date": "bad"}, GOOD]))
    assert result.error_mask.tolist() == [True, False]


def test_rule_catalogue_lists_every_rule_once(tmp_path: Path) -> None:
    std = load_standard(write_mini_standard(tmp_path))
    rules = rules_for_table(std.table("penalties"))
    ids = [(r.rule_id, r.column) for r in rules]
    assert len(ids) == len(set(ids))
    assert ("format_uscc", "party_code") in ids and ("duplicate_key", "penalty_code") in ids
    assert all(r.message_zh for r in rules)
