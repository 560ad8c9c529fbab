"""Spark entrypoint of the evaluation job: ``spark-submit jobs/evaluate_indices.py --date YYYY-MM-DD``.

Parses the date, reads the settings from the environment and calls :func:`jianguan.evaluation.job.run`.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date


def main(argv: list[str] | None = None) -> int:
    from jianguan.evaluation.job import run
    from jianguan.logs import configure_logging
    from jianguan.settings import load_settings

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--date", type=date.fromisoformat, required=True, help="logical date, YYYY-MM-DD")
    args = parser.parse_args(argv)
    settings = load_settings()
    configure_logging(settings.log_level, json_lines=settings.log_json)
    print(json.dumps(run(settings, args.date), ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
