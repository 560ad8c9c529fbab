"""What the rule engine needs from ``schemas/`` beyond one table: code values and the format checks.

The region check is built from ``codes/regions.yaml`` (GB/T 2260 plus whitelisted local codes), so adding a
county is a data change, not a code change.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from jianguan.rules.engine import TableValidator
from jianguan.spec.loader import Standard
from jianguan.validate.codes import FormatCheck, RegionCatalog, make_format_checks

REGIONS_CODE_LIST = "regions"


def region_catalog(std: Standard) -> RegionCatalog:
    code_list = std.code_list(REGIONS_CODE_LIST)
    return RegionCatalog((c.code, c.level or "", c.parent, c.is_local) for c in code_list.codes)


def format_checks(std: Standard, *, today: date | None = None) -> dict[str, FormatCheck]:
    return make_format_checks(region_catalog(std), today=today)


def table_validator(
    std: Standard, table: str, *, today: date | None = None, spill_dir: Path | None = None
) -> TableValidator:
    """A validator for ``table``; ``today`` (the logical date) enables the no-birth-in-the-future check.

    ``spill_dir`` is where a very large file's duplicate index spills (default: the system's temporary folder).
    """
    codes = {name: code_list.values for name, code_list in std.codes.items()}
    return TableValidator(std.table(table), codes, format_checks(std, today=today), spill_dir=spill_dir)
