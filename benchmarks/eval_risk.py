"""Evaluate the five risk models against the simulator's planted ground truth.

    .venv/bin/python benchmarks/eval_risk.py --workdir /tmp/risk_eval --seed 7301 --scale small --days 3

Steps (each skipped when its output is already there; ``--fresh`` redoes everything):

1. ``jianguan simulate`` into ``<workdir>/landing`` with ground truth in ``<workdir>/truth``;
2. ``jianguan ingest --date D`` for every delivery date into ``<workdir>/lake`` (bronze);
3. silver staging: ``jianguan marts build --date D`` when that command exists. When it does not (yet), a clearly
   labelled *stand-in* writes ``silver/stg_<library>__<table>`` from bronze — the latest row per business key
   (order_by, then delivery) with the bronze columns, which is the staging contract minus dbt's standardisation
   (the risk job normalises USCCs and names itself);
4. the risk job for every date in order (warnings and clues continue from day to day);
5. scoring on the last date, per model: precision and recall of the entities with a warning of that model
   against the entities planted for it, and the top-k hit rate (k = number planted) of the model's score ranking.

The ground truth is read only here, never by the job. Use a seed that was not looked at while building the
models (the figures in docs/risk.md name theirs).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import subprocess
import time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads

from jianguan.lake import LakeTable
from jianguan.settings import Settings
from jianguan.spec.loader import load_standard

ROOT = Path(__file__).resolve().parents[1]
JIANGUAN = [str(ROOT / ".venv" / "bin" / "jianguan")]
log = logging.getLogger("eval_risk")


def sh(args: list[str], env: dict[str, str]) -> str:
    log.info("$ %s", " ".join(args))
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(
            f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    return done.stdout


def has_command(name: str, env: dict[str, str]) -> bool:
    out = subprocess.run([*JIANGUAN, "--help"], env=env, capture_output=True, text=True, check=False).stdout
    return f"{name}" in out.split("positional arguments")[0]


def standin_staging(settings: Settings, upto: date) -> list[str]:
    """silver/stg_* from bronze delivered up to ``upto``: the latest row per business key (stand-in until dbt
    staging runs here)."""
    std = load_standard(settings.schemas_root)
    written = []
    for name, spec in sorted(std.tables.items()):
        bronze = LakeTable(settings.table_path("bronze", name))
        if not bronze.exists():
            continue
        data = bronze.read(filter=pads.field("logical_date") <= pa.scalar(upto))
        if data.num_rows:
            order = [c for c in (spec.order_by, "logical_date", "ingested_at", "source_row_number") if c]
            frame = data.to_pandas(types_mapper=None)
            frame = frame.sort_values(order, na_position="first", kind="stable")
            frame = frame.drop_duplicates(subset=list(spec.business_key), keep="last")
            data = pa.Table.from_pandas(frame, schema=data.schema, preserve_index=False)
        target = settings.table_path("silver", f"stg_{spec.library}__{name}")
        if target.exists():
            shutil.rmtree(target)
        schema = pa.schema([f.with_nullable(True) for f in bronze.schema()])
        LakeTable.create(target, schema).append(data.cast(schema))
        written.append(target.name)
    return written


def evaluate(settings: Settings, truth: Path, as_of: date) -> dict[str, Any]:
    planted: dict[str, set[str]] = defaultdict(set)
    for line in (truth / "risk_entities.jsonl").read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        planted[entry["model"]].add(entry["uscc"])
    day = pads.field("as_of_date") == pa.scalar(as_of)
    warnings = LakeTable(settings.table_path("gold", "risk_warnings")).read(filter=day)
    scores = LakeTable(settings.table_path("gold", "risk_scores")).read(filter=day)
    open_warnings = warnings.filter(pc.equal(warnings["status"], "open")).to_pylist()
    all_planted = set().union(*planted.values()) if planted else set()
    results: dict[str, Any] = {}
    for model in sorted(planted):
        truth_set = planted[model]
        predicted = {w["uscc"] for w in open_warnings if w["model"] == model}
        hits = predicted & truth_set
        ranked = sorted(
            (r for r in scores.to_pylist() if r["model"] == model),
            key=lambda r: (-r["risk_score"], r["uscc"]),
        )
        k = len(truth_set)
        top = {r["uscc"] for r in ranked[:k]}
        results[model] = {
            "planted": k,
            "warned": len(predicted),
            "true_positives": len(hits),
            "precision": round(len(hits) / len(predicted), 3) if predicted else None,
            "recall": round(len(hits) / k, 3) if k else None,
            f"top_k_hit_rate(k={k})": round(len(top & truth_set) / k, 3) if k else None,
            "false_positives_planted_for_other_models": len((predicted - truth_set) & all_planted),
        }
    flagged = {w["uscc"] for w in open_warnings}
    results["any_model"] = {
        "planted": len(all_planted),
        "warned": len(flagged),
        "precision": round(len(flagged & all_planted) / len(flagged), 3) if flagged else None,
        "recall": round(len(flagged & all_planted) / len(all_planted), 3) if all_planted else None,
    }
    return results


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/risk_eval"))
    parser.add_argument("--seed", type=int, default=7301)
    parser.add_argument("--scale", default="small")
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--start", type=date.fromisoformat, default=date(2026, 11, 2))
    parser.add_argument("--fresh", action="store_true", help="delete the workdir first")
    parser.add_argument(
        "--standin", action="store_true", help="stand-in staging from bronze even if dbt exists"
    )
    parser.add_argument(
        "--only-last",
        action="store_true",
        help="run the risk job for the last date only (faster; no history)",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    work: Path = args.workdir.resolve()
    if args.fresh and work.exists():
        shutil.rmtree(work)
    landing, truth, lake = work / "landing", work / "truth", work / "lake"
    env = {**os.environ, "JIANGUAN_LAKEHOUSE_ROOT": str(lake), "JIANGUAN_LANDING_ROOT": str(landing),
           "JIANGUAN_TRUTH_ROOT": str(truth), "JIANGUAN_LOG_LEVEL": "WARNING"}  # fmt: skip
    settings = Settings(lakehouse_root=lake, landing_root=landing, truth_root=truth)
    dates = [args.start + timedelta(days=n) for n in range(args.days)]
    started = time.monotonic()

    if not (truth / "risk_entities.jsonl").exists():
        sh([*JIANGUAN, "simulate", "--scale", args.scale, "--seed", str(args.seed), "--days", str(args.days),
            "--start", args.start.isoformat(), "--landing", str(landing), "--truth", str(truth)], env)  # fmt: skip
    marker = work / ".ingested"
    if not marker.exists():
        for day in dates:
            sh([*JIANGUAN, "ingest", "--date", day.isoformat()], env)
        marker.write_text("ok\n")
    if has_command("marts", env) and not args.standin:
        for day in dates:
            sh([*JIANGUAN, "marts", "build", "--date", day.isoformat()], env)
        staging = "dbt (jianguan marts build)"
    else:
        tables = standin_staging(settings, dates[-1])
        staging = f"stand-in from bronze ({len(tables)} tables; dbt staging not used)"
    log.info("silver staging: %s", staging)

    from jianguan.risk.job import run
    from jianguan.spark import spark_session

    spark = spark_session(settings, app_name="eval_risk")
    summaries = [run(settings, day, spark) for day in (dates[-1:] if args.only_last else dates)]
    figures = evaluate(settings, truth, dates[-1])
    report = {
        "seed": args.seed, "scale": args.scale, "days": args.days, "as_of": dates[-1].isoformat(),
        "staging": staging, "job_seconds": [s["seconds"] for s in summaries],
        "total_seconds": round(time.monotonic() - started, 1), "models": figures,
        "last_summary": summaries[-1],
    }  # fmt: skip
    print(
        f"risk evaluation — seed {args.seed}, {args.scale}, {args.days} day(s), as of {dates[-1]}; silver: {staging}"
    )
    print(f"{'model':<28}{'planted':>8}{'warned':>8}{'TP':>5}{'precision':>11}{'recall':>8}{'top-k':>8}")
    for model, row in figures.items():
        topk = next((v for k, v in row.items() if k.startswith("top_k")), None)
        print(
            f"{model:<28}{row['planted']:>8}{row['warned']:>8}{row.get('true_positives', ''):>5}"
            f"{_fmt(row['precision']):>11}{_fmt(row['recall']):>8}{_fmt(topk):>8}"
        )
    if args.json:
        args.json.write_text(
            json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8"
        )
    spark.stop()
    return 0


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


if __name__ == "__main__":
    raise SystemExit(main())
