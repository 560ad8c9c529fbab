"""``python -m jianguan.spec.check [schemas dir]``: load and cross-check ``schemas/``, print a summary."""

from __future__ import annotations

import sys
from pathlib import Path

from jianguan.errors import SchemaError
from jianguan.settings import PROJECT_ROOT
from jianguan.spec.loader import Standard, load_standard


def summary(std: Standard) -> str:
    lines = []
    for slug, library in std.libraries.items():
        tables = std.tables_of(slug)
        fields = [f for t in tables for f in t.fields]
        seen = sum(f.provenance == "seen" for f in fields)
        lines.append(
            f"{slug:<12} {library.label_zh:<10} tables={len(tables):>2} fields={len(fields):>4} "
            f"seen={seen:>4} inferred={len(fields) - seen:>4}  {', '.join(t.name for t in tables)}"
        )
    lines.append(
        f"code lists={len(std.codes)} feeds={len(std.feeds)} exports={len(std.exports)} "
        f"glossary terms={len(std.glossary)}"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    root = Path(args[0]) if args else PROJECT_ROOT / "schemas"
    try:
        std = load_standard(root)
    except SchemaError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(summary(std))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
