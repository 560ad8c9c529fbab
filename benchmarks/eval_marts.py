"""Dedup and entity-resolution quality of the marts against the simulator's ground truth (pairwise P/R/F1).

    # over a built lakehouse (bronze + silver + gold, e.g. after `make run`) and the truth of its simulation:
    .venv/bin/python benchmarks/eval_marts.py --lakehouse /tmp/mr/lakehouse --truth /tmp/mr/ground_truth
    .venv/bin/python benchmarks/eval_marts.py --json /tmp/marts_quality.json      # also write every figure
    .venv/bin/python benchmarks/eval_marts.py --json -                           # JSON on stdout instead

Reads Delta tables with ``deltalake`` (no Spark) and the truth's JSON Lines; rebuilds the simulated world from
the truth manifest's run parameters to name the party of rows that carry no USCC (``--no-world`` skips that and
excludes those mentions). What is scored and how: ``jianguan.marts.quality`` and docs/marts.md ("Measuring
quality"). Targets from the marts issue: F1 ≥ 0.97 for enterprises, ≥ 0.95 for complaints at ``small`` scale.
Exit status 0 whatever the scores; 2 on an error (missing table or truth, unreadable files).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

from jianguan.marts.quality import (
    PairwiseQuality,
    TruthRows,
    WorldNames,
    evaluate_complaints,
    evaluate_entities,
    load_complaint_clustering,
    load_entity_clustering,
)
from jianguan.settings import load_settings

log = logging.getLogger("eval_marts")

TARGETS = {"entities:enterprises": 0.97, "complaints": 0.95}


def evaluate(
    lakehouse: Path, truth: Path, schemas: Path, *, use_world: bool = True, examples: int = 5
) -> dict[str, Any]:
    started = time.monotonic()
    run = TruthRows.load(truth).run
    world = None
    world_error = None
    if use_world:
        try:
            world = WorldNames.from_run(run, schemas)
        except (KeyError, ValueError) as exc:  # an unknown scale, a world too large to list
            world_error = f"{type(exc).__name__}: {exc}"
            log.warning("world not rebuilt (%s): mentions without a USCC are excluded", world_error)
    entities = load_entity_clustering(lakehouse, truth, world=world, examples=examples)
    entity_scores = evaluate_entities(entities, examples=examples)
    complaints = load_complaint_clustering(lakehouse, truth, examples=examples)
    complaint_score, by_kind = evaluate_complaints(complaints, examples=examples)
    scores: dict[str, PairwiseQuality] = {f"entities:{k}": v for k, v in entity_scores.items()}
    scores["complaints"] = complaint_score
    reasons = {**entities.match_reason}
    return {
        "lakehouse": str(lakehouse),
        "truth": str(truth),
        "run": {k: run.get(k) for k in ("scale", "seed", "days", "start", "end")},
        "scores": {name: score.as_dict() for name, score in scores.items()},
        "targets": {
            name: {"f1_at_least": target, "met": scores[name].f1 >= target}
            for name, target in TARGETS.items()
        },
        "entities": {
            "kinds_scored": "every mention whose real party the truth names, by the party's USCC: 91… enterprise, "
            "92… individual_business, 5… other_legal_person (social organisations), else other",
            "truth_method": dict(entities.truth_method.most_common()),
            "excluded": dict(entities.excluded.most_common()),
            "excluded_by_model": dict(entities.excluded_by_model.most_common()),
            "excluded_examples": entities.excluded_examples,
            "world_error": world_error,
            **entities.notes,
            "false_merge_reasons": _pair_reasons(entity_scores["all_parties"].false_merges, reasons),
            "missed_merge_reasons": _pair_reasons(entity_scores["all_parties"].missed_merges, reasons),
        },
        "complaints": {"recall_by_event_kind": by_kind, **complaints.notes},
        "seconds": round(time.monotonic() - started, 1),
    }


def _pair_reasons(pairs: tuple[tuple[str, str], ...], reasons: dict[str, str]) -> list[list[str]]:
    return [[reasons.get(a, "-"), reasons.get(b, "-")] for a, b in pairs]


def print_report(report: dict[str, Any]) -> None:
    run = report["run"]
    print(
        f"marts quality — lakehouse {report['lakehouse']}, truth {report['truth']} "
        f"(scale {run['scale']}, seed {run['seed']}, {run['days']} day(s) from {run['start']})"
    )
    header = (
        f"{'scope':<34}{'items':>7}{'true cl':>9}{'pred cl':>9}{'true pairs':>11}{'pred pairs':>11}"
        f"{'TP':>8}{'FP':>7}{'FN':>7}{'precision':>10}{'recall':>8}{'F1':>8}"
    )
    print(header)
    print("-" * len(header))
    for name, s in report["scores"].items():
        print(
            f"{name:<34}{s['items']:>7}{s['true_clusters']:>9}{s['predicted_clusters']:>9}{s['true_pairs']:>11}"
            f"{s['predicted_pairs']:>11}{s['tp']:>8}{s['fp']:>7}{s['fn']:>7}{s['precision']:>10.4f}"
            f"{s['recall']:>8.4f}{s['f1']:>8.4f}"
        )
    print()
    for name, target in report["targets"].items():
        verdict = "met" if target["met"] else "NOT met"
        print(
            f"target {name}: F1 ≥ {target['f1_at_least']:.2f} — {verdict} ({report['scores'][name]['f1']:.4f})"
        )
    entities = report["entities"]
    print()
    print("entities")
    print(
        f"  mentions predicted {entities['mentions_predicted']}, with a real party {entities['mentions_with_truth']}"
    )
    print(f"  real party found by: {_counts(entities['truth_method'])}")
    print(f"  excluded (truth cannot name the party): {_counts(entities['excluded']) or 'none'}")
    if entities["excluded"]:
        print(f"    by model: {_counts(entities['excluded_by_model'])}")
        for reason, items in entities["excluded_examples"].items():
            print(f"    e.g. {reason}: {', '.join(items)}")
    all_parties = report["scores"]["entities:all_parties"]
    print(
        f"  only in truth (scored as singletons): {all_parties['only_truth']}; "
        f"only predicted (not scored): {all_parties['only_predicted']}"
    )
    for label in ("only_truth_examples", "only_predicted_examples"):
        if all_parties[label]:
            print(f"    {label}: {', '.join(all_parties[label])}")
    for key in (
        "models_without_any_mention", "bronze_tables_missing", "models_not_mapped", "party_conflicts",
        "written_uscc_invalid_without_truth", "unknown_member_mentions", "world_parties", "world_name_check",
        "world_error",
    ):  # fmt: skip
        value = entities.get(key)
        if value not in (None, [], 0):
            print(f"  {key}: {value}")
    _print_pairs("false merges", all_parties["false_merges"], entities["false_merge_reasons"])
    _print_pairs("missed merges", all_parties["missed_merges"], entities["missed_merge_reasons"])
    complaints = report["complaints"]
    score = report["scores"]["complaints"]
    print()
    print("complaints")
    print(
        f"  records in bronze {complaints['records_in_bronze']}, predicted {complaints['records_predicted']}; "
        f"truth link records {complaints['truth_link_records']} "
        f"(not in bronze: {complaints['truth_link_records_not_in_bronze']}"
        + (
            f", e.g. {', '.join(complaints['truth_link_records_not_in_bronze_examples'])})"
            if complaints["truth_link_records_not_in_bronze"]
            else ")"
        )
    )
    for kind, row in complaints["recall_by_event_kind"].items():
        print(
            f"  recall of {kind}: {row['recall']:.4f} ({row['tp']}/{row['true_pairs']} pairs, "
            f"{row['true_clusters']} events)"
        )
    print(f"  fct_complaints check: {complaints['fct_complaints_check']}")
    print(f"  only in truth: {score['only_truth']}; only predicted: {score['only_predicted']}")
    _print_pairs("false merges", score["false_merges"], None)
    _print_pairs("missed merges", score["missed_merges"], None)
    print()
    print(f"{report['seconds']} s")


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items())


def _print_pairs(label: str, pairs: list[list[str]], reasons: list[list[str]] | None) -> None:
    if not pairs:
        return
    print(f"  {label} (examples):")
    for index, (a, b) in enumerate(pairs):
        why = f"  [{' / '.join(reasons[index])}]" if reasons else ""
        print(f"    {a}  ~  {b}{why}")


def main(argv: list[str] | None = None) -> int:
    settings = load_settings()
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lakehouse", type=Path, default=settings.lakehouse_root, help="lakehouse root")
    parser.add_argument("--truth", type=Path, default=settings.truth_root, help="ground-truth root")
    parser.add_argument(
        "--schemas", type=Path, default=settings.schemas_root, help="data standard (for the world)"
    )
    parser.add_argument("--no-world", action="store_true", help="do not rebuild the simulated world")
    parser.add_argument("--examples", type=int, default=5, help="false/missed merge examples per scope")
    parser.add_argument(
        "--json", default=None, help="write the report as JSON to this file ('-': stdout only)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    try:
        report = evaluate(
            args.lakehouse.expanduser().resolve(),
            args.truth.expanduser().resolve(),
            args.schemas,
            use_world=not args.no_world,
            examples=args.examples,
        )
    except (FileNotFoundError, OSError, KeyError, ValueError) as exc:
        print(f"eval_marts: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    text = json.dumps(report, ensure_ascii=False, indent=2, default=str)
    if args.json == "-":
        print(text)
        return 0
    print_report(report)
    if args.json:
        Path(args.json).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
