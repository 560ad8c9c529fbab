"""spark-submit entrypoint of the 双随机 job: ``draw_inspections.py --date YYYY-MM-DD``.

Thin by design: parse the date, read the settings, call :func:`jianguan.inspection.job.run`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json

from jianguan.inspection.job import run
from jianguan.logs import configure_logging
from jianguan.settings import load_settings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--date", type=dt.date.fromisoformat, required=True)
    args = parser.parse_args()
    settings = load_settings()
    configure_logging(settings.log_level, json_lines=settings.log_json)
    print(json.dumps(run(settings, args.date), ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
