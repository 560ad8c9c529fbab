"""``jianguan ingest``: landed files of a date (or one file) into bronze, with the accounting printed."""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path

from jianguan.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "ingest",
        help="ingest landed files into the bronze Delta tables (idempotent)",
        description="Every landed file of --date (or one --file) → bronze + quarantine; the ingestion log "
        "accounts for every row.",
    )
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--date", type=date.fromisoformat, help="logical date YYYY-MM-DD")
    target.add_argument("--file", type=Path, help="one file under <landing>/<source>/<YYYY-MM-DD>/")
    parser.add_argument("--source", action="append", help="only this source (repeatable)")
    parser.add_argument(
        "--force", action="store_true", help="ingest even a redelivery of already loaded bytes"
    )
    parser.add_argument("--json", action="store_true", help="print the outcomes as JSON")
    parser.set_defaults(handler=_ingest)


def _ingest(args: argparse.Namespace, settings: Settings) -> int:
    from jianguan.ingest.run import IngestSummary, ingest_date, ingest_path

    if args.file is not None:
        outcome = ingest_path(settings, args.file, force=args.force)
        summary = IngestSummary(outcome.logical_date, [outcome])
    else:
        summary = ingest_date(settings, args.date, sources=args.source, force=args.force)
    if args.json:
        print(
            json.dumps([o.as_record() for o in summary.outcomes], ensure_ascii=False, default=str, indent=2)
        )
    else:
        print(f"{'file':<64} {'status':<18} {'read':>7} {'loaded':>7} {'rejected':>8} {'held':>6}")
        for o in summary.outcomes:
            print(
                f"{o.source_file[-64:]:<64} {o.status:<18} {o.rows_read:>7} {o.rows_loaded:>7} "
                f"{o.rows_rejected:>8} {o.rows_held:>6}"
            )
        print(json.dumps(summary.totals(), ensure_ascii=False))
    if not summary.balanced:
        print("ERROR: row accounting does not balance (rows_read != loaded + rejected + held)")
        return 1
    return 0
