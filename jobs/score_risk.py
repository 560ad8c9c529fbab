"""Spark entrypoint of the risk job: ``spark-submit jobs/score_risk.py --date YYYY-MM-DD``.

Parses the date, reads the settings from the environment, runs :func:`jianguan.risk.job.run`, prints the summary.
"""

from __future__ import annotations

import argparse
import json
from datetime import date

from jianguan.logs import configure_logging
from jianguan.risk.job import run
from jianguan.settings import load_settings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--date", type=date.fromisoformat, required=True, help="logical date, YYYY-MM-DD")
    args = parser.parse_args()
    settings = load_settings()
    configure_logging(settings.log_level, json_lines=settings.log_json)
    print(json.dumps(run(settings, args.date), ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
