"""``jianguan lake``: look after single Delta tables of the lakehouse from the command line.

Tables are named ``<layer>/<table>`` and resolved with :meth:`Settings.table_path`, so the same command works on
any lakehouse root (``JIANGUAN_LAKEHOUSE_ROOT``)::

    jianguan lake describe bronze/actions__penalties        # schema with comments, properties, version, rows
    jianguan lake history bronze/actions__penalties --limit 5
    jianguan lake optimize bronze/actions__penalties
    jianguan lake checkpoint bronze/actions__penalties
    jianguan lake vacuum bronze/actions__penalties                  # dry run: lists what would be deleted
    jianguan lake vacuum bronze/actions__penalties --apply          # deletes (retention ≥ 168 h)
    jianguan lake maintain                                          # all three, on every table (+ data docs)
    jianguan lake data-docs                                         # rebuild <lakehouse>/data_docs/index.html

Every subcommand takes ``--json`` for scripts. Destructive steps are opt-in: ``vacuum`` only lists files unless
``--apply`` is given, and a retention under the guard (7 days) also needs ``--force``. Errors (no table there,
unsupported protocol features, a refused retention) exit with status 2 and a one-line message.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
from typing import Any

from jianguan.errors import StorageError
from jianguan.settings import Settings

_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
DEFAULT_RETENTION_HOURS = 7 * 24
"""VACUUM's default retention (the guard of :meth:`jianguan.lake.tables.LakeTable.vacuum`)."""


def table_ref(text: str) -> tuple[str, str]:
    """Parse ``<layer>/<table>``; plain names only, so a reference can never leave the lakehouse root."""
    parts = text.strip("/").split("/")
    if len(parts) != 2 or not all(_NAME.match(p) and p not in {".", ".."} for p in parts):
        raise argparse.ArgumentTypeError(
            f"expected <layer>/<table> (e.g. bronze/actions__penalties), not {text!r}"
        )
    return parts[0], parts[1]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "lake",
        help="inspect and maintain Delta tables (describe, history, optimize, vacuum, checkpoint, maintain, "
        "data-docs)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="lake_command", required=True)

    def table_command(name: str, help_text: str) -> argparse.ArgumentParser:
        command = commands.add_parser(name, help=help_text, description=help_text)
        command.add_argument("table", type=table_ref, help="<layer>/<table>, e.g. bronze/actions__penalties")
        command.add_argument("--json", action="store_true", help="print JSON instead of text")
        return command

    describe = table_command("describe", "schema with comments, properties, version, rows and files")
    describe.add_argument("--version", type=int, default=None, help="describe an older version")
    describe.set_defaults(handler=_describe)

    history = table_command("history", "commits, newest first")
    history.add_argument("--limit", type=int, default=20, help="at most this many commits (default 20)")
    history.set_defaults(handler=_history)

    optimize = table_command("optimize", "compact small files (rows unchanged; one commit)")
    optimize.add_argument("--target-size", type=int, default=None, help="target file size in bytes")
    optimize.set_defaults(handler=_optimize)

    table_command("checkpoint", "write a checkpoint at the latest version").set_defaults(handler=_checkpoint)

    vacuum = table_command(
        "vacuum", "delete files no snapshot within the retention needs (dry run by default)"
    )
    vacuum.add_argument(
        "--retention-hours",
        type=float,
        default=DEFAULT_RETENTION_HOURS,
        help=f"keep files needed by snapshots of the last H hours (default {DEFAULT_RETENTION_HOURS})",
    )
    vacuum.add_argument("--apply", action="store_true", help="really delete (default: only list)")
    vacuum.add_argument(
        "--force",
        action="store_true",
        help="allow a retention under 7 days (breaks time travel, may delete a running writer's files)",
    )
    vacuum.set_defaults(handler=_vacuum)

    maintain = commands.add_parser(
        "maintain", help="optimize, vacuum and checkpoint every table (what the maintenance DAG runs)"
    )
    maintain.add_argument("--retention-hours", type=float, default=DEFAULT_RETENTION_HOURS)
    maintain.add_argument("--json", action="store_true", help="print JSON instead of text")
    maintain.set_defaults(handler=_maintain)

    data_docs = commands.add_parser(
        "data-docs",
        help="rebuild the Great Expectations data docs of the batch gate (<lakehouse>/data_docs/index.html)",
    )
    data_docs.add_argument(
        "--keep",
        type=int,
        default=None,
        help="validation results shown per table, the latest ones (default 30)",
    )
    data_docs.add_argument("--json", action="store_true", help="print JSON instead of text")
    data_docs.set_defaults(handler=_data_docs)


def _open(settings: Settings, ref: tuple[str, str]) -> Any:
    from jianguan.lake.tables import LakeTable

    table = LakeTable(settings.table_path(*ref))
    if not table.exists():
        raise StorageError(f"no Delta table {ref[0]}/{ref[1]} at {table.uri}")
    return table


def _print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def describe_table(settings: Settings, ref: tuple[str, str], version: int | None = None) -> dict[str, Any]:
    """Everything ``describe`` prints, as a dict (version, rows, files, partitioning, properties, columns)."""
    table = _open(settings, ref)
    snapshot = table.load(version)
    metadata = snapshot.metadata()
    files = table.files(snapshot.version())
    columns = []
    for field in table.schema_json(snapshot.version())["fields"]:
        field_metadata = field.get("metadata", {})
        columns.append(
            {
                "name": field["name"],
                "type": field["type"] if isinstance(field["type"], str) else json.dumps(field["type"]),
                "nullable": field["nullable"],
                "comment": field_metadata.get("comment") or field_metadata.get("label_zh"),
                "partition": field["name"] in metadata.partition_columns,
            }
        )
    protocol = snapshot.protocol()
    return {
        "table": f"{ref[0]}/{ref[1]}",
        "path": table.uri,
        "name": metadata.name,
        "description": metadata.description,
        "version": snapshot.version(),
        "rows": table.count(table=snapshot),
        "files": len(files),
        "bytes": sum(f.size for f in files),
        "partition_columns": list(metadata.partition_columns),
        "protocol": {
            "min_reader_version": protocol.min_reader_version,
            "min_writer_version": protocol.min_writer_version,
            "reader_features": sorted(protocol.reader_features or []),
            "writer_features": sorted(protocol.writer_features or []),
        },
        "properties": dict(sorted(metadata.configuration.items())),
        "columns": columns,
    }


def _describe(args: argparse.Namespace, settings: Settings) -> int:
    info = describe_table(settings, args.table, args.version)
    if args.json:
        _print_json(info)
        return 0
    print(f"{info['table']}  ({info['path']})")
    if info["description"]:
        print(f"  {info['description']}")
    print(
        f"version {info['version']}  rows {info['rows']:,}  files {info['files']}  "
        f"size {info['bytes'] / 1e6:.1f} MB  partitioned by {info['partition_columns'] or '-'}"
    )
    protocol = info["protocol"]
    print(
        f"protocol reader {protocol['min_reader_version']} writer {protocol['min_writer_version']}"
        + (
            f"  features {protocol['reader_features'] + protocol['writer_features']}"
            if protocol["writer_features"]
            else ""
        )
    )
    print("properties:")
    for key, value in info["properties"].items():
        print(f"  {key} = {value}")
    print("columns:")
    width = max((len(c["name"]) for c in info["columns"]), default=0)
    for column in info["columns"]:
        flags = ("" if column["nullable"] else " not null") + (" partition" if column["partition"] else "")
        comment = f"  -- {column['comment']}" if column["comment"] else ""
        print(f"  {column['name']:<{width}}  {column['type']}{flags}{comment}")
    return 0


def _history(args: argparse.Namespace, settings: Settings) -> int:
    if args.limit < 1:
        raise StorageError("--limit must be at least 1")
    commits = _open(settings, args.table).history(args.limit)
    if args.json:
        _print_json(
            [
                {
                    "version": c.version,
                    "timestamp": c.timestamp.isoformat(),
                    "operation": c.operation,
                    "parameters": c.parameters,
                    "metrics": c.metrics,
                    "custom": c.custom,
                }
                for c in commits
            ]
        )
        return 0
    for commit in commits:
        metrics = ", ".join(
            f"{k}={v}" for k, v in commit.metrics.items() if k.startswith("num") and v not in (0, None)
        )
        extra = {k: v for k, v in commit.custom.items() if k in {"userMetadata", "jianguanJobId", "txn"}}
        print(
            f"v{commit.version:<6} {commit.timestamp.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S}Z  "
            f"{commit.operation:<14} {metrics}" + (f"  {extra}" if extra else "")
        )
    return 0


def _optimize(args: argparse.Namespace, settings: Settings) -> int:
    table = _open(settings, args.table)
    metrics = table.optimize(target_size=args.target_size)
    result = {
        "table": f"{args.table[0]}/{args.table[1]}",
        "version": table.version(),
        "files_removed": int(metrics.get("numFilesRemoved", 0)),
        "files_added": int(metrics.get("numFilesAdded", 0)),
    }
    if args.json:
        _print_json(result)
    else:
        print(
            f"{result['table']}: {result['files_removed']} file(s) compacted into {result['files_added']}, "
            f"now at version {result['version']}"
        )
    return 0


def _checkpoint(args: argparse.Namespace, settings: Settings) -> int:
    version = _open(settings, args.table).checkpoint()
    if args.json:
        _print_json({"table": f"{args.table[0]}/{args.table[1]}", "checkpoint_version": version})
    else:
        print(f"{args.table[0]}/{args.table[1]}: checkpoint written at version {version}")
    return 0


def _retention(hours: float) -> dt.timedelta:
    if hours < 0:
        raise StorageError("--retention-hours must not be negative")
    return dt.timedelta(hours=hours)


def _vacuum(args: argparse.Namespace, settings: Settings) -> int:
    from jianguan.lake.tables import MIN_VACUUM_RETENTION

    table = _open(settings, args.table)
    retention = _retention(args.retention_hours)
    if retention < MIN_VACUUM_RETENTION and not args.force:
        raise StorageError(
            f"vacuum {args.table[0]}/{args.table[1]}: retention {args.retention_hours:g} h is shorter than "
            f"{MIN_VACUUM_RETENTION.days} days ({MIN_VACUUM_RETENTION.days * 24} h): time travel to older versions "
            "would break and files of a running writer could be deleted; add --force if neither matters"
        )
    files = table.vacuum(retention, dry_run=not args.apply, force=args.force)
    shown = sorted(files)  # paths relative to the table folder, as delta-rs reports them
    if args.json:
        _print_json({"table": f"{args.table[0]}/{args.table[1]}", "dry_run": not args.apply, "files": shown})
        return 0
    verb = "deleted" if args.apply else "would delete"
    print(f"{args.table[0]}/{args.table[1]}: {verb} {len(shown)} file(s)")
    for name in shown:
        print(f"  {name}")
    if not args.apply and shown:
        print("dry run: pass --apply to delete them")
    return 0


def _maintain(args: argparse.Namespace, settings: Settings) -> int:
    from jianguan.lake.maintenance import maintain_lakehouse, refresh_data_docs

    try:
        results = maintain_lakehouse(settings, _retention(args.retention_hours))
    finally:  # the data docs are refreshed even when a table failed
        docs = refresh_data_docs(settings)
    if args.json:
        _print_json({"tables": results, "data_docs": docs})
        return 0
    for r in results:
        print(
            f"{r['layer']}/{r['name']}: v{r['version_before']}→v{r['version_after']}, "
            f"{r['files_removed']} file(s) compacted into {r['files_added']}, "
            f"checkpoint v{r['checkpoint_version']}, {r['files_vacuumed']} file(s) vacuumed"
        )
    print(f"{len(results)} table(s) maintained")
    print(f"data docs: {docs.get('index') or docs.get('error') or docs.get('skipped')}")
    return 0


def _data_docs(args: argparse.Namespace, settings: Settings) -> int:
    from jianguan.ingest.data_docs import DEFAULT_KEEP, build_data_docs

    keep = DEFAULT_KEEP if args.keep is None else args.keep
    if keep < 1:
        raise StorageError("--keep must be at least 1")
    index = build_data_docs(settings.resolved_lakehouse_root, keep)
    if args.json:
        _print_json({"index": str(index), "keep": keep})
    else:
        print(index)
    return 0
