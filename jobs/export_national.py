"""Spark-submit / ``python`` entrypoint of the nightly national export: ``export_national.py --date YYYY-MM-DD``."""

from __future__ import annotations

import argparse
import json
from datetime import date

from jianguan.export.job import run
from jianguan.logs import configure_logging
from jianguan.settings import load_settings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--date", type=date.fromisoformat, required=True)
    args = parser.parse_args()
    settings = load_settings()
    configure_logging(settings.log_level, json_lines=settings.log_json)
    print(json.dumps(run(settings, args.date), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
