"""Pairwise precision/recall/F1 of the marts' dedup and entity resolution (jianguan.marts.quality), no Spark."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from deltalake import write_deltalake

from jianguan.marts.dbt_run import DBT_PROJECT_DIR
from jianguan.marts.quality import (
    MENTION_SOURCES,
    WorldNames,
    clean_identifier,
    evaluate_complaints,
    evaluate_entities,
    load_complaint_clustering,
    load_entity_clustering,
    pairwise_quality,
    recall_by_group,
    source_id,
)
from jianguan.validate.codes import make_uscc

# true clusters: T1 = {a, b, c}, T2 = {d, e}, T3 = {f}  → 3 + 1 = 4 true pairs
TRUTH = {"a": "T1", "b": "T1", "c": "T1", "d": "T2", "e": "T2", "f": "T3"}


# ---------------------------------------------------------------------------------------------------------
# pairwise_quality
# ---------------------------------------------------------------------------------------------------------
def test_perfect_prediction_with_singletons() -> None:
    predicted = {"a": 1, "b": 1, "c": 1, "d": 2, "e": 2, "f": 3}
    q = pairwise_quality(predicted, TRUTH)
    assert (q.true_pairs, q.predicted_pairs, q.tp, q.fp, q.fn) == (4, 4, 4, 0, 0)
    assert (q.precision, q.recall, q.f1) == (1.0, 1.0, 1.0)
    assert (q.items, q.true_clusters, q.predicted_clusters) == (6, 3, 3)
    assert q.false_merges == q.missed_merges == ()


def test_partly_wrong_prediction_hand_computed() -> None:
    # P1 = {a, b}, P2 = {c, d, e}, P3 = {f}: pairs 1 + 3 = 4; TP = ab + de = 2
    predicted = {"a": "P1", "b": "P1", "c": "P2", "d": "P2", "e": "P2", "f": "P3"}
    q = pairwise_quality(predicted, TRUTH)
    assert (q.true_pairs, q.predicted_pairs, q.tp, q.fp, q.fn) == (4, 4, 2, 2, 2)
    assert (q.precision, q.recall, q.f1) == (0.5, 0.5, 0.5)
    assert q.false_merges == (("c", "d"),)  # same predicted cluster, different real ones
    assert q.missed_merges == (("a", "c"),)  # same real cluster, split by the prediction


def test_all_merged_prediction() -> None:
    q = pairwise_quality(dict.fromkeys(TRUTH, "all"), TRUTH)
    assert (q.predicted_pairs, q.tp, q.fp, q.fn) == (15, 4, 11, 0)
    assert q.precision == pytest.approx(4 / 15)
    assert q.recall == 1.0
    assert q.f1 == pytest.approx(8 / 19)
    assert q.predicted_clusters == 1
    assert len(q.false_merges) == 2  # the one cluster holds three real ones: two example pairs


def test_fully_split_prediction() -> None:
    q = pairwise_quality({item: item for item in TRUTH}, TRUTH)
    assert (q.predicted_pairs, q.tp, q.fn) == (0, 0, 4)
    assert q.precision == 1.0  # no pair predicted: no false merge (documented convention)
    assert q.recall == 0.0
    assert q.f1 == 0.0


def test_no_pairs_anywhere_is_perfect() -> None:
    truth = {"x": 1, "y": 2}
    q = pairwise_quality({"x": "p", "y": "q"}, truth)
    assert (q.true_pairs, q.predicted_pairs, q.precision, q.recall, q.f1) == (0, 0, 1.0, 1.0, 1.0)


def test_items_on_one_side_only() -> None:
    truth = {**TRUTH, "g": "T2"}  # T2 = {d, e, g}: 3 + 3 = 6 true pairs
    predicted = {"a": "P1", "b": "P1", "z": "P1", "c": "P2", "d": "P2", "e": "P2", "f": "P3"}
    q = pairwise_quality(predicted, truth)
    assert (q.only_truth, q.only_predicted) == (1, 1)
    assert q.only_truth_examples == ("g",)
    assert q.only_predicted_examples == ("z",)
    # g is a predicted singleton; z is not scored, so P1 still has one pair (a, b)
    assert (q.items, q.true_pairs, q.predicted_pairs, q.tp) == (7, 6, 4, 2)
    assert (q.fp, q.fn) == (2, 4)
    assert q.recall == pytest.approx(2 / 6)
    assert q.predicted_clusters == 4


def test_missing_items_are_separate_singletons() -> None:
    # two lost items of one real cluster are not "predicted together"
    q = pairwise_quality({"f": "P"}, TRUTH)
    assert (q.only_truth, q.predicted_clusters, q.predicted_pairs, q.tp, q.fn) == (5, 6, 0, 0, 4)
    assert (q.precision, q.recall) == (1.0, 0.0)


def test_labels_of_the_two_sides_are_never_compared() -> None:
    # the prediction reuses the truth's label names, crossed: only the partition matters
    predicted = {"a": "T2", "b": "T2", "c": "T2", "d": "T1", "e": "T1", "f": "T3"}
    assert pairwise_quality(predicted, TRUTH).f1 == 1.0


def test_large_clusters_are_counted_not_enumerated() -> None:
    n = 100_000
    truth = {f"i{k}": k % 2 for k in range(n)}
    q = pairwise_quality(dict.fromkeys(truth, 0), truth)
    half = n // 2
    assert q.tp == 2 * (half * (half - 1) // 2)
    assert q.predicted_pairs == n * (n - 1) // 2
    assert q.recall == 1.0


def test_recall_by_group() -> None:
    predicted = {"a": "P1", "b": "P1", "c": "P2", "d": "P2", "e": "P2", "f": "P3"}
    result = recall_by_group(predicted, TRUTH, {"T1": "refiled", "T2": "linked"})
    assert result["refiled"] == {
        "true_clusters": 1,
        "true_pairs": 3,
        "tp": 1,
        "recall": pytest.approx(1 / 3, abs=1e-6),
    }
    assert result["linked"] == {"true_clusters": 1, "true_pairs": 1, "tp": 1, "recall": 1.0}


# ---------------------------------------------------------------------------------------------------------
# ids, names, the mention mapping
# ---------------------------------------------------------------------------------------------------------
def test_source_id_like_staging() -> None:
    assert clean_identifier("９１４２０１０２ＭＡ８６ＤＴＴＭ１Ｒ") == "91420102MA86DTTM1R"
    assert clean_identifier(" 9142-0102 ma86dttm1r ") == "91420102MA86DTTM1R"
    row = {
        "uscc": "ｕ１",
        "rating_source_code": " a1 ",
        "rated_date": __import__("datetime").date(2026, 10, 31),
    }
    assert source_id(("uscc", "rating_source_code", "rated_date"), row) == "U1|A1|2026-10-31"
    assert (
        source_id(("licence_decision_no", "licensing_authority_uscc"), {"licence_decision_no": "许 1号"})
        == "许 1号"
    )
    assert source_id(("work_order_no",), {"work_order_no": None}) is None


def _split_args(text: str) -> list[str]:
    args, depth, quote, current = [], 0, "", ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            args.append(current.strip())
            current = ""
            continue
        current += char
    args.append(current.strip())
    return args


def test_mention_sources_mirror_the_dbt_model() -> None:
    sql = (DBT_PROJECT_DIR / "models" / "intermediate" / "int_entity_mentions.sql").read_text(
        encoding="utf-8"
    )
    parsed = {}
    for call in re.findall(r"entity_mention\((.*?)\)\s*}}", sql, flags=re.S):
        args = _split_args(" ".join(call.split()))
        model = args[0].strip("'")
        id_expr = args[1].strip("'\"")
        if id_expr.startswith("concat_ws"):
            parts = _split_args(id_expr[len("concat_ws(") : -1])[1:]
            columns = tuple(re.sub(r"cast\((\w+) as \w+\)", r"\1", p) for p in parts)
        else:
            columns = (id_expr,)
        name = args[3].strip("'")
        parsed[model] = (columns, args[2].strip("'"), None if name == "null" else name)
    mirrored = {s.model: (s.id_columns, s.uscc_column, s.name_column) for s in MENTION_SOURCES}
    assert mirrored == parsed


def test_world_names_lookup() -> None:
    world = WorldNames(
        [("U1", "甲（武汉）有限公司", "420102"), ("U2", "乙店", "420102"), ("U3", "乙店", "420103")]
    )
    assert world.lookup("甲(武汉)有限公司 ", "420999") == ("U1", "world_name")
    assert world.lookup("乙店", "420103") == ("U3", "world_name_region")
    assert world.lookup("乙店", "420104") == (None, "name_ambiguous")
    assert world.lookup("乙*", "420102") == (None, "name_masked")
    assert world.lookup("未知商家", "420102") == (None, "name_not_a_party")
    assert world.lookup(None, "420102") == (None, "no_name")


# ---------------------------------------------------------------------------------------------------------
# loaders over a small lakehouse and truth written here
# ---------------------------------------------------------------------------------------------------------
U1 = make_uscc("9", "1", "420102", "0000000A")
U2 = make_uscc("9", "1", "420102", "0000000B")
U3 = make_uscc("9", "2", "420102", "0000000C")
BAD_U1 = U1[:-1] + ("0" if U1[-1] != "0" else "1")


def _table(root: Path, layer: str, name: str, rows: list[dict[str, Any]]) -> None:
    columns = list(rows[0])
    schema = pa.schema([(c, pa.int64() if c == "source_row_number" else pa.string()) for c in columns])
    write_deltalake(str(root / layer / name), pa.Table.from_pylist(rows, schema=schema))


def _jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


@pytest.fixture
def lake(tmp_path: Path) -> tuple[Path, Path]:
    lake, truth = tmp_path / "lake", tmp_path / "truth"
    truth.mkdir()
    ent, ib, hot = "samr/ent.csv", "samr/ib.csv", "hotline/gd.csv"

    def row(file: str, number: int, **values: Any) -> dict[str, Any]:
        return {**values, "region_code": "420102", "source_file": file, "source_row_number": number}

    _table(lake, "bronze", "enterprises", [
        row(ent, 1, entity_pripid="P1", uscc=U1, party_name="甲公司"),
        row(ent, 2, entity_pripid="P2", uscc=U2, party_name="乙公司"),
    ])  # fmt: skip
    _table(
        lake, "bronze", "individual_businesses", [row(ib, 1, entity_pripid="P3", uscc=U3, party_name="丙**")]
    )
    _table(lake, "bronze", "hotline_work_orders", [
        row(hot, 1, work_order_no="GD1", target_uscc=U1, target_name="甲公司"),
        row(hot, 2, work_order_no="GD2", target_uscc=None, target_name="乙公司"),   # → world
        row(hot, 3, work_order_no="GD3", target_uscc=BAD_U1, target_name="甲公司"),  # → dirty_rows
        row(hot, 4, work_order_no="GD4", target_uscc=None, target_name="未知商家"),  # → excluded
        row(hot, 5, work_order_no="GD3", target_uscc=BAD_U1, target_name="甲公司"),  # a later version of GD3
        row(hot, 6, work_order_no="GD5", target_uscc=None, target_name="丙 商店"),   # → entity_names
    ])  # fmt: skip
    _table(lake, "bronze", "penalties", [row("p.csv", 1, penalty_action_code="X1", uscc=U1, party_name="甲")])
    _table(lake, "bronze", "consumer_complaints", [{"complaint_no": "TS1"}, {"complaint_no": "TS2"}])
    _table(lake, "bronze", "national_dispatches", [{"dispatch_id": "N1"}])
    resolved = [
        ("stg_objects__enterprises", "P1", "k1"), ("stg_objects__enterprises", "P2", "k2"),
        ("stg_objects__individual_businesses", "P3", "k3"),
        ("stg_complaints__hotline_work_orders", "GD1", "k1"), ("stg_complaints__hotline_work_orders", "GD2", "k1"),
        ("stg_complaints__hotline_work_orders", "GD3", "k1"), ("stg_complaints__hotline_work_orders", "GD4", "k4"),
        ("stg_complaints__hotline_work_orders", "GD5", "k5"), ("stg_complaints__hotline_work_orders", "GD9", "k9"),
    ]  # fmt: skip
    _table(lake, "silver", "int_entities_resolved", [
        {"source_model": m, "source_id": i, "entity_key": k, "match_reason": "uscc"} for m, i, k in resolved
    ])  # fmt: skip
    dedup = {"12345:GD1": "c1", "12315:TS1": "c1", "12345:GD2": "c2", "12315:TS2": "c2", "NATIONAL:N1": "c3",
             "12345:GD3": "c4", "12345:GD4": "c4", "12345:GD5": "c5"}  # fmt: skip
    _table(lake, "silver", "int_complaints_deduplicated", [
        {"record_key": k, "complaint_id": v} for k, v in dedup.items()
    ])  # fmt: skip
    _table(lake, "gold", "fct_complaints", [
        {"complaint_id": "c1", "hotline_work_order_nos": "GD1", "consumer_complaint_nos": "TS1", "national_dispatch_ids": ""},
        {"complaint_id": "c2", "hotline_work_order_nos": "GD2", "consumer_complaint_nos": "TS2", "national_dispatch_ids": ""},
        {"complaint_id": "c3", "hotline_work_order_nos": "", "consumer_complaint_nos": "", "national_dispatch_ids": "N1"},
        {"complaint_id": "c4", "hotline_work_order_nos": "GD3,GD4,GD5", "consumer_complaint_nos": "", "national_dispatch_ids": ""},
    ])  # fmt: skip
    (truth / "manifest.json").write_text(json.dumps({"run": {"scale": "tiny", "seed": 1, "days": 1}}))
    _jsonl(truth / "entity_names.jsonl", [
        {"file": hot, "row": 6, "canonical_uscc": U3, "canonical_name": "丙商店", "variants": ["uscc_missing"]},
    ])  # fmt: skip
    _jsonl(truth / "dirty_rows.jsonl", [
        {"file": hot, "row": 3, "kind": "bad_check_char", "field": "target_uscc", "original": U1, "written": BAD_U1},
        {"file": hot, "row": 5, "kind": "bad_check_char", "field": "target_uscc", "original": U1, "written": BAD_U1},
        {"file": hot, "row": 1, "kind": "odd_date", "field": "accepted_at", "original": "x", "written": "y"},
    ])  # fmt: skip

    def link(event: str, table: str, key: str, value: str, transfer: bool) -> dict[str, Any]:
        return {"event_id": event, "table": table, "key": {key: value}, "linked_transfer": transfer}

    _jsonl(truth / "complaint_links.jsonl", [
        link("EV1", "hotline_work_orders", "work_order_no", "GD1", True),
        link("EV1", "consumer_complaints", "complaint_no", "TS1", True),
        link("EV2", "hotline_work_orders", "work_order_no", "GD2", False),
        link("EV2", "consumer_complaints", "complaint_no", "TS2", False),
        link("EV2", "national_dispatches", "dispatch_id", "N1", False),
        link("EV3", "consumer_complaints", "complaint_no", "TS9", False),
    ])  # fmt: skip
    return lake, truth


WORLD = WorldNames([(U1, "甲公司", "420102"), (U2, "乙公司", "420102"), (U3, "丙商店", "420102")])


def test_entity_loader_joins_rows_to_truth(lake: tuple[Path, Path]) -> None:
    clustering = load_entity_clustering(*lake, world=WORLD)
    hot = "stg_complaints__hotline_work_orders"
    assert clustering.truth == {
        "stg_objects__enterprises:P1": U1, "stg_objects__enterprises:P2": U2,
        "stg_objects__individual_businesses:P3": U3,
        f"{hot}:GD1": U1, f"{hot}:GD2": U2, f"{hot}:GD3": U1, f"{hot}:GD5": U3,
    }  # fmt: skip
    assert dict(clustering.truth_method) == {
        "written": 4,
        "world_name": 1,
        "dirty_rows": 1,
        "entity_names": 1,
    }
    assert dict(clustering.excluded) == {"name_not_a_party": 1}
    assert clustering.excluded_examples == {"name_not_a_party": [f"{hot}:GD4"]}
    assert f"{hot}:GD4" not in clustering.predicted
    assert clustering.notes["models_without_any_mention"] == ["stg_actions__penalties"]
    assert clustering.kind[f"{hot}:GD5"] == "individual_business"


def test_entity_scores_hand_computed(lake: tuple[Path, Path]) -> None:
    scores = evaluate_entities(load_entity_clustering(*lake, world=WORLD))
    # real: U1 {P1, GD1, GD3}, U2 {P2, GD2}, U3 {P3, GD5} → 5 pairs; predicted k1 {P1, GD1, GD2, GD3} → 6 pairs
    everything = scores["all_parties"]
    assert (everything.true_pairs, everything.predicted_pairs, everything.tp) == (5, 6, 3)
    assert (everything.precision, everything.recall) == (0.5, 0.6)
    assert everything.f1 == pytest.approx(6 / 11)
    assert everything.only_predicted == 1  # GD9: no bronze row
    enterprises = scores["enterprises"]
    assert (enterprises.true_pairs, enterprises.predicted_pairs, enterprises.tp) == (4, 6, 3)
    assert enterprises.recall == 0.75
    individual = scores["individual_businesses"]
    assert (individual.true_pairs, individual.tp, individual.recall, individual.f1) == (1, 0, 0.0, 0.0)
    assert individual.missed_merges == (
        ("stg_complaints__hotline_work_orders:GD5", "stg_objects__individual_businesses:P3"),
    )


def test_entities_without_world_exclude_rows_without_uscc(lake: tuple[Path, Path]) -> None:
    clustering = load_entity_clustering(*lake, world=None)
    assert dict(clustering.excluded) == {"no_uscc_and_no_world": 2}  # GD2 and GD4; GD5 is in entity_names
    assert "stg_complaints__hotline_work_orders:GD5" in clustering.truth


def test_complaint_loader_and_scores(lake: tuple[Path, Path]) -> None:
    clustering = load_complaint_clustering(*lake)
    assert clustering.truth["12345:GD1"] == clustering.truth["12315:TS1"] == "EV1"
    assert clustering.truth["12345:GD3"] == "record:12345:GD3"
    assert clustering.notes["truth_link_records_not_in_bronze"] == 1
    assert clustering.notes["fct_complaints_check"]["records_under_another_complaint_id"] == 1  # GD5
    quality, by_kind = evaluate_complaints(clustering)
    # real: EV1 (1 pair), EV2 (3 pairs); predicted pairs: c1, c2, c4 (GD3 ~ GD4, a false merge)
    assert (quality.true_pairs, quality.predicted_pairs, quality.tp, quality.fp, quality.fn) == (
        4,
        3,
        2,
        1,
        2,
    )
    assert quality.f1 == pytest.approx(4 / 7)
    assert quality.false_merges == (("12345:GD3", "12345:GD4"),)
    assert by_kind["linked_transfer"]["recall"] == 1.0
    assert by_kind["independent_refiling"]["recall"] == pytest.approx(1 / 3, abs=1e-6)


def test_eval_marts_script(lake: tuple[Path, Path], tmp_path: Path) -> None:
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "eval_marts.py"
    spec = importlib.util.spec_from_file_location("eval_marts", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "report.json"
    args = ["--lakehouse", str(lake[0]), "--truth", str(lake[1]), "--no-world", "--json", str(out)]
    assert module.main(args) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["scores"]["complaints"]["f1"] == pytest.approx(4 / 7, abs=1e-6)
    assert report["targets"]["complaints"]["met"] is False
    assert module.main(["--lakehouse", str(lake[0]), "--truth", str(tmp_path / "nowhere")]) == 2
