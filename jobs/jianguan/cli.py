"""The ``jianguan`` command: a thin layer over the package (parse arguments, load settings, call one function)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence

from jianguan.errors import JianguanError
from jianguan.logs import configure_logging
from jianguan.settings import PROJECT_ROOT, Settings, load_settings

log = logging.getLogger("jianguan.cli")
Handler = Callable[[argparse.Namespace, Settings], int]


def _schemas_check(args: argparse.Namespace, settings: Settings) -> int:
    from jianguan.spec.check import summary
    from jianguan.spec.loader import load_standard

    print(summary(load_standard(settings.schemas_root)))
    return 0


def _schemas_render(args: argparse.Namespace, settings: Settings) -> int:
    from jianguan.spec.generate import drifted_files, write_generated
    from jianguan.spec.loader import load_standard

    std = load_standard(settings.schemas_root)
    if args.check:
        drifted = drifted_files(std, PROJECT_ROOT)
        for path in drifted:
            print(f"out of date: {path.relative_to(PROJECT_ROOT)}", file=sys.stderr)
        if drifted:
            print("run `jianguan schemas render` and commit the result", file=sys.stderr)
        return 1 if drifted else 0
    for path in write_generated(std, PROJECT_ROOT):
        print(f"wrote {path.relative_to(PROJECT_ROOT)}")
    return 0


def _schemas_mapping(args: argparse.Namespace, settings: Settings) -> int:
    from jianguan.spec.loader import load_standard

    std = load_standard(settings.schemas_root)
    rows = [
        {"table": table, "field": field, "dataset": dataset, "national_field": code}
        for (table, field), targets in sorted(std.export_mapping().items())
        for dataset, code in targets
        if args.table in (None, table)
    ]
    print(json.dumps(rows, ensure_ascii=False, indent=2))
    return 0


def _tables(args: argparse.Namespace, settings: Settings) -> int:
    from jianguan.inventory import table_inventory
    from jianguan.spec.loader import load_standard

    entries = table_inventory(load_standard(settings.schemas_root), settings)
    if args.json:
        print(json.dumps(entries, ensure_ascii=False, indent=2))
        return 0
    for entry in entries:
        version = "-" if entry["version"] is None else entry["version"]
        rows = "-" if entry["rows"] is None else entry["rows"]
        print(f"{entry['layer']:<7} {entry['library']:<12} {entry['name']:<40} v{version:<5} rows={rows}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jianguan", description="Provincial 互联网＋监管 lakehouse engine")
    parser.add_argument("--log-level", default=None, help="override JIANGUAN_LOG_LEVEL")
    commands = parser.add_subparsers(dest="command", required=True)

    schemas = commands.add_parser("schemas", help="the data standard under schemas/")
    schemas_commands = schemas.add_subparsers(dest="schemas_command", required=True)
    schemas_commands.add_parser("check", help="load and cross-check schemas/, print a summary").set_defaults(
        handler=_schemas_check
    )
    render = schemas_commands.add_parser("render", help="write the files generated from schemas/")
    render.add_argument("--check", action="store_true", help="fail when a generated file is out of date")
    render.set_defaults(handler=_schemas_render)
    mapping = schemas_commands.add_parser("mapping", help="national export field of each table field")
    mapping.add_argument("--table", default=None)
    mapping.set_defaults(handler=_schemas_mapping)

    tables = commands.add_parser("tables", help="every lakehouse table with version and row count")
    tables.add_argument("--json", action="store_true", help="print a JSON list")
    tables.set_defaults(handler=_tables)

    for register in _extension_commands():
        register(commands)
    return parser


def _extension_commands() -> list[Callable[[argparse._SubParsersAction], None]]:
    """Subcommands contributed by other modules (simulator, pipeline, export), each registering itself."""
    from jianguan import commands

    return commands.registered()


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = load_settings()
    configure_logging(args.log_level or settings.log_level, json_lines=settings.log_json)
    handler: Handler = args.handler
    try:
        return handler(args, settings)
    except JianguanError as exc:
        log.error("%s", exc)
        return 2


def entrypoint() -> None:
    """The installed ``jianguan`` command: run, flush, and leave without native-library teardown.

    delta-rs keeps Rust runtime threads that can abort the interpreter while it is finalising
    ("terminate called without an active exception", delta-io/delta-rs#2184) after all work is done and
    committed; skipping interpreter teardown makes the exit status reflect the command's result.
    """
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(code)


if __name__ == "__main__":
    entrypoint()
