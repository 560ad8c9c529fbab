from __future__ import annotations

import gc
import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from jianguan.rules import TableValidator, engine, rules_for_table
from jianguan.rules.engine import SeenHashes
from jianguan.spec.loader import load_standard
from jianguan.spec.model import TableSpec
from jianguan.validate.codes import FORMAT_CHECKS
from jianguan.validate.text import to_halfwidth
from tests.unit.mini_standard import TABLE, write_mini_standard

TWO_PART_KEY_TABLE = {**TABLE, "business_key": ["penalty_code", "updated_at"]}


def clean_text(value: str) -> str:
    """The per-value definition of the engine's cleaning of a value that needs it (its vectorised
    ``_clean_strings`` must agree): half-width, zero-width characters removed, whitespace runs as one space."""
    text = to_halfwidth(value)
    text = re.sub(r"[\u200b-\u200d\ufeff]", "", text)
    return re.sub(r"[\s\u00a0]+", " ", text)


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


# -- vectorised string cleaning -------------------------------------------------------------------------------
_SPECIALS = (
    "\x00\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2005\u200a\u200b\u200c\u200d\u200e\u2028\u2029"
    "\u202f\u205f\u3000\u3001\ufeff\uff00\uff01\uff0c\uff1f\uff3f\uff40\uff5e\uff5f\uffe5"
)


def cleaning_cases() -> list[str | None]:
    """Every code point up to U+3100 and the full-width block, alone and in runs, plus random mixtures."""
    points = [*range(0x3101), *range(0xFE00, 0xFF70)]
    cases: list[str | None] = [
        None,
        "",
        "\x00",
        "a\x00",
        "\x00\uff01\x00",
        "\u200b",
        "\ufeff\u200d",
        "\u3000",
    ]
    for cp in points:
        if 0xD800 <= cp <= 0xDFFF:
            continue  # surrogates cannot be encoded in UTF-8 strings
        c = chr(cp)
        cases += [c, f"{c}{c}", f"x{c}\u3000{c}y", f"\uff21{c} \u200b{c}\uff5e"]
    rng = np.random.default_rng(20261102)
    alphabet = list(_SPECIALS + "ab中文１Ａ")
    for _ in range(3000):
        cases.append("".join(rng.choice(alphabet, size=int(rng.integers(0, 14)))))
    cases += [None, "", "\u200b\u200c\ufeff"]
    return cases


def test_vectorised_cleaning_equals_the_per_value_reference() -> None:
    cases = cleaning_cases()
    values = pa.array(cases, pa.string())
    expected = [None if v is None else clean_text(v) for v in cases]
    assert engine._clean_strings(values).to_pylist() == expected
    sliced = values.slice(1001, 5000)  # an array that does not start at its buffers' beginning
    assert engine._clean_strings(sliced).to_pylist() == expected[1001:6001]


def test_whitespace_class_is_pythons_unicode_whitespace() -> None:
    python_space = {cp for cp in range(0x110000) if re.fullmatch(r"[\s\u00a0]", chr(cp))}
    candidates = sorted(python_space | set(range(0x3101)) | {0xFEFF, 0x180E, 0x200B})
    collapsed = engine._clean_strings(pa.array([f"a{chr(cp)}{chr(cp)}b" for cp in candidates], pa.string()))
    vectorised_space = {cp for cp, v in zip(candidates, collapsed.to_pylist(), strict=True) if v == "a b"}
    assert vectorised_space == python_space


def test_normalise_cleans_only_values_that_need_it() -> None:
    cases = cleaning_cases()
    values = pa.array(cases, pa.string())
    needs = re.compile("[\uff01-\uff5e\u3000\u00a0\u200b-\u200d\ufeff]")
    reference = pa.array(
        [clean_text(v) if v is not None and needs.search(v) else v for v in cases], pa.string()
    )
    trimmed = pc.utf8_trim_whitespace(reference)
    expected = pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed).to_pylist()
    assert engine._normalise_strings(values).to_pylist() == expected
    assert engine._normalise_strings(values.slice(333, 4000)).to_pylist() == expected[333:4333]
    regex = pc.fill_null(pc.match_substring_regex(values, engine._FULLWIDTH_OR_SPACE), False)
    assert engine._needs_cleaning(values).tolist() == regex.to_pylist()
    # a null slot may still own bytes: it stays null and is not cleaned
    data = "\uff01\uff01".encode()
    offsets = np.array([0, 3, 6], dtype=np.int32)
    odd = pa.StringArray.from_buffers(
        2, pa.py_buffer(offsets), pa.py_buffer(data), pa.array([False, True]).buffers()[1]
    )
    assert engine._needs_cleaning(odd).tolist() == [False, True]
    assert engine._normalise_strings(odd).to_pylist() == [None, "!"]
    assert engine._normalise_strings(pa.array(["a  b", None, "c"])).to_pylist() == ["a  b", None, "c"]


# -- duplicates -----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def two_part_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[TableSpec, dict, dict]:
    """``penalties`` keyed by (penalty_code, updated_at): updated_at is optional, so a key can be incomplete."""
    std = load_standard(write_mini_standard(tmp_path_factory.mktemp("std2"), table=TWO_PART_KEY_TABLE))
    codes = {name: code_list.values for name, code_list in std.codes.items()}
    return std.table("penalties"), codes, dict(FORMAT_CHECKS)


def make_validator(spec: tuple[TableSpec, dict, dict], **kwargs: object) -> TableValidator:
    table, codes, formats = spec
    return TableValidator(table, codes, formats, **kwargs)  # type: ignore[arg-type]


def duplicate_mask(result) -> list[bool]:
    mask = np.zeros(result.num_rows, dtype=bool)
    for rule, flagged_rows, _ in result.flags:
        if rule.rule_id == "duplicate_key":
            mask |= flagged_rows
    return mask.tolist()


def test_duplicates_within_a_batch_and_incomplete_keys(two_part_key) -> None:
    validator = make_validator(two_part_key)
    validator.start_file()
    no_time = {k: v for k, v in GOOD.items() if k != "updated_at"}
    result = validator.validate(batch([GOOD, no_time, GOOD, no_time, {**GOOD, "fine_amount": "3"}, GOOD]))
    assert duplicate_mask(result) == [False, False, True, False, False, True]
    assert result.error_mask.tolist() == [False, False, True, False, False, True]
    later = validator.validate(batch([no_time, GOOD]))  # an incomplete key never repeats, nor is claimed
    assert duplicate_mask(later) == [False, True]


def test_error_row_does_not_claim_its_content(two_part_key) -> None:
    """'一百元' fails the decimal type and is typed null: the same typed row as one with no amount at all."""
    validator = make_validator(two_part_key)
    validator.start_file()
    without_amount = {k: v for k, v in GOOD.items() if k != "fine_amount"}
    result = validator.validate(batch([{**GOOD, "fine_amount": "一百元"}, without_amount, without_amount]))
    assert result.content_hashes[0] == result.content_hashes[1]
    assert result.error_mask.tolist() == [True, False, True]
    assert duplicate_mask(result) == [False, False, True]


def reference_duplicates(table: TableSpec, results: list) -> list[list[bool]]:
    """The per-row definition: a key -> {content hash} map over eligible rows of the file."""
    seen: dict[tuple, set[int]] = {}
    out = []
    for result in results:
        errors = np.zeros(result.num_rows, dtype=bool)
        for rule, flagged_rows, _ in result.flags:
            if rule.severity == "error" and rule.rule_id != "duplicate_key":
                errors |= flagged_rows
        keys = zip(*(result.typed.column(k).to_pylist() for k in table.business_key), strict=True)
        mask = []
        for row, key in enumerate(keys):
            if errors[row] or None in key:
                mask.append(False)
                continue
            versions = seen.setdefault(key, set())
            content = int(result.content_hashes[row])
            mask.append(content in versions)
            versions.add(content)
        out.append(mask)
    return out


def random_batches(seed: int, count: int) -> list[pa.Table]:
    rng = np.random.default_rng(seed)
    batches = []
    for _ in range(count):
        rows: list[dict[str, str | None]] = []
        for _ in range(int(rng.integers(0, 40))):
            row: dict[str, str | None] = {
                **GOOD,
                "penalty_code": f"CF{int(rng.integers(0, 12)):03d}",
                "fine_amount": str(int(rng.integers(0, 3))),
            }
            roll = rng.random()
            if roll < 0.1:
                row["updated_at"] = None
            elif roll < 0.2:
                row["decision_date"] = "bad"
            elif roll < 0.3:
                row["updated_at"] = "2026-02-01 10:00:00"
            rows.append(row)
        batches.append(batch(rows or [GOOD]))
    return batches


def test_duplicates_match_the_reference_in_memory_and_spilled(two_part_key, tmp_path: Path) -> None:
    table = two_part_key[0]
    batches = random_batches(7, 25)
    in_memory = make_validator(two_part_key)
    spill_dir = tmp_path / "spill"
    spill_dir.mkdir()
    spilling = make_validator(two_part_key, max_hashes_in_memory=4, spill_dir=spill_dir)
    in_memory.start_file()
    spilling.start_file()
    memory_results = [in_memory.validate(b) for b in batches]
    spilled_results = [spilling.validate(b) for b in batches]
    assert any(spill_dir.iterdir())  # the tiny limit really spilled to .npy files
    expected = reference_duplicates(table, memory_results)
    assert any(any(mask) for mask in expected)
    assert [duplicate_mask(r) for r in memory_results] == expected
    assert [duplicate_mask(r) for r in spilled_results] == expected
    spilling.finish_file()
    assert not any(spill_dir.iterdir())
    spilling.validate(batches[0])
    assert any(spill_dir.iterdir())
    spilling.start_file()  # a new file forgets the old one and its spill files
    assert not any(spill_dir.iterdir())


def test_spill_directory_is_removed_when_the_validator_is_dropped(two_part_key, tmp_path: Path) -> None:
    validator = make_validator(two_part_key, max_hashes_in_memory=1, spill_dir=tmp_path)
    validator.start_file()
    for b in random_batches(3, 4):
        validator.validate(b)
    assert any(tmp_path.iterdir())
    del validator
    gc.collect()
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(("limit", "chunk"), [(8_000_000, 1 << 20), (4, 3), (1, 1), (50, 7)])
def test_seen_hashes_is_a_set(limit: int, chunk: int, tmp_path: Path) -> None:
    seen = SeenHashes(limit, tmp_path, chunk=chunk)
    reference: set[int] = set()
    rng = np.random.default_rng(limit + chunk)
    for _ in range(40):
        probe = rng.integers(0, 400, size=int(rng.integers(0, 30))).astype(np.uint64)
        found = seen.contains(probe)
        assert found.tolist() == [int(h) in reference for h in probe]
        new = np.unique(probe[~found])
        seen.add(new)
        reference.update(int(h) for h in new)
        assert len(seen) == len(reference)
    edges = np.array([0, 2**64 - 1, 399, 400], dtype=np.uint64)
    assert seen.contains(edges).tolist() == [int(h) in reference for h in edges]
    seen.clear()
    assert len(seen) == 0 and not any(tmp_path.iterdir())
