"""``jianguan export verify <dir>``: does a folder hold exactly the batch its manifest describes, in the layouts?

Checked: the manifest parses and names this folder (a hidden staging folder of a crashed run never verifies);
the folder holds exactly the manifest's files; each file's size and SHA-256; the layout version, format and
encoding; per record the field order of envelope + layout, ``cd_batch``, ``cd_operation`` (code list),
``cd_id``, unique record ids, required fields of inserts/updates, maximum lengths, CSV cells never starting
with a formula character, and the record and operation counts. Returns the list of problems (empty = valid).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import Counter
from pathlib import Path
from typing import Any

from jianguan.export.manifest import MANIFEST_FORMAT, MANIFEST_NAME
from jianguan.export.writers import FORMULA_PREFIXES
from jianguan.spec.loader import Standard
from jianguan.spec.model import ExportField

MAX_PROBLEMS_PER_FILE = 20


def verify_dir(folder: Path, std: Standard) -> list[str]:
    """Problems found in ``folder`` (an empty list means the batch verifies)."""
    folder = folder.expanduser()
    if not folder.is_dir():
        return [f"{folder}: not a directory"]
    try:
        with (folder / MANIFEST_NAME).open(encoding="utf-8") as handle:
            manifest: dict[str, Any] = json.load(handle)
    except FileNotFoundError:
        return [f"{folder}: no {MANIFEST_NAME} (an incomplete or interrupted export)"]
    except (OSError, ValueError) as exc:
        return [f"{folder}/{MANIFEST_NAME}: unreadable: {exc}"]
    problems: list[str] = []
    try:
        _check_manifest(folder, manifest, std, problems)
    except (KeyError, TypeError, ValueError) as exc:
        problems.append(f"{MANIFEST_NAME}: malformed ({exc!r})")
    return problems


def _check_manifest(folder: Path, manifest: dict[str, Any], std: Standard, problems: list[str]) -> None:
    if manifest.get("manifest_format") != MANIFEST_FORMAT:
        problems.append(f"{MANIFEST_NAME}: unknown manifest_format {manifest.get('manifest_format')!r}")
        return
    if folder.name != manifest["directory"]:
        problems.append(f"folder name {folder.name!r} is not the batch's directory {manifest['directory']!r}")
    batch = manifest["batch"]
    if not (len(batch) == 13 and batch.isdigit() and batch[:8] == manifest["directory"]):
        problems.append(f"batch number {batch!r} is not <YYYYMMDD><5-digit sequence> of the directory")
    if std.envelope is None or manifest["envelope_version"] != std.envelope.version:
        problems.append(f"envelope version {manifest['envelope_version']!r} is not the standard's")
    expected = {MANIFEST_NAME} | {d["file"] for d in manifest["datasets"]}
    present = {p.name for p in folder.iterdir()}
    for extra in sorted(present - expected):
        problems.append(f"{extra}: not listed in the manifest")
    for missing in sorted(expected - present):
        problems.append(f"{missing}: listed in the manifest but missing")
    totals: Counter[str] = Counter()
    for entry in manifest["datasets"]:
        if entry["file"] in present:
            _check_file(folder / entry["file"], entry, batch, std, problems)
        totals.update(entry["operations"])
    for op, count in manifest.get("totals", {}).items():
        if totals.get(op, 0) != count:
            problems.append(
                f"{MANIFEST_NAME}: total {op}={count} but the datasets add up to {totals.get(op, 0)}"
            )


def _check_file(path: Path, entry: dict[str, Any], batch: str, std: Standard, problems: list[str]) -> None:
    name = entry["dataset"]
    layout = std.exports.get(name)
    if layout is None:
        problems.append(f"{path.name}: dataset {name!r} has no layout in schemas/exports/")
        return
    for key, actual in (
        ("layout_version", layout.version),
        ("format", layout.format),
        ("encoding", layout.encoding),
    ):
        if entry[key] != actual:
            problems.append(f"{path.name}: manifest {key} {entry[key]!r} but the layout says {actual!r}")
    data = path.read_bytes()
    if len(data) != entry["bytes"]:
        problems.append(f"{path.name}: {len(data)} bytes, manifest says {entry['bytes']}")
    if hashlib.sha256(data).hexdigest() != entry["sha256"]:
        problems.append(f"{path.name}: SHA-256 does not match the manifest")
        return
    try:
        text = data.decode(layout.encoding)
    except UnicodeDecodeError as exc:
        problems.append(f"{path.name}: not {layout.encoding}: {exc}")
        return
    assert std.envelope is not None
    fields = [*std.envelope.fields, *layout.fields]
    header = [f.code for f in fields]
    try:
        records = _parse(text, layout.format, header)
    except ValueError as exc:
        problems.append(f"{path.name}: {exc}")
        return
    local: list[str] = []
    _check_records(records, fields, layout.format == "csv", name, batch, std, local)
    problems.extend(f"{path.name}: {p}" for p in local[:MAX_PROBLEMS_PER_FILE])
    if len(local) > MAX_PROBLEMS_PER_FILE:
        problems.append(f"{path.name}: … and {len(local) - MAX_PROBLEMS_PER_FILE} more problem(s)")
    if len(records) != entry["records"]:
        problems.append(f"{path.name}: {len(records)} records, manifest says {entry['records']}")
    operations = Counter(r.get("cd_operation") for r in records)
    for op, count in entry["operations"].items():
        if operations.get(op, 0) != count:
            problems.append(
                f"{path.name}: {operations.get(op, 0)} records with cd_operation={op}, manifest says {count}"
            )


def _parse(text: str, fmt: str, header: list[str]) -> list[dict[str, str | None]]:
    if fmt == "jsonl":
        records: list[dict[str, str | None]] = []
        for number, line in enumerate(text.splitlines(), 1):
            record = json.loads(line)
            if not isinstance(record, dict) or list(record) != header:
                raise ValueError(f"line {number}: fields are not the envelope + layout fields in order")
            records.append(record)
        return records
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(text, newline="")))
        if not rows or rows[0] != header:
            raise ValueError("CSV header is not the envelope + layout fields in order")
        out = []
        for number, row in enumerate(rows[1:], 2):
            if len(row) != len(header):
                raise ValueError(f"row {number}: {len(row)} cells, expected {len(header)}")
            out.append({k: (v if v != "" else None) for k, v in zip(header, row, strict=True)})
        return out
    raise ValueError(f"format {fmt!r} cannot be verified")


def _check_records(
    records: list[dict[str, str | None]],
    fields: list[ExportField],
    is_csv: bool,
    dataset: str,
    batch: str,
    std: Standard,
    problems: list[str],
) -> None:
    operations = std.code_list("cd_operation").values
    envelope_codes = {f.code for f in std.envelope.fields} if std.envelope else set()
    seen: set[str] = set()
    for number, record in enumerate(records, 1):
        rid = record.get("record_unique_identity")
        op = record.get("cd_operation")
        if record.get("cd_batch") != batch:
            problems.append(f"record {number}: cd_batch {record.get('cd_batch')!r} is not {batch}")
        if op not in operations:
            problems.append(f"record {number}: cd_operation {op!r} not in {sorted(operations)}")
        if rid is None or rid in seen:
            problems.append(f"record {number}: record_unique_identity missing or repeated")
        seen.add(rid or "")
        if record.get("cd_id") != f"{dataset}:{rid}":
            problems.append(f"record {number}: cd_id {record.get('cd_id')!r} is not {dataset}:<record id>")
        for spec in fields:
            value = record.get(spec.code)
            if value is None:
                if spec.required and (op != "d" or spec.code in envelope_codes):
                    problems.append(f"record {number}: required {spec.code} is empty")
                continue
            if is_csv and spec.type == "string":
                if value.startswith(FORMULA_PREFIXES):
                    problems.append(f"record {number}: {spec.code} starts with a formula character")
                value = (
                    value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_PREFIXES) else value
                )
            if spec.length is not None and len(value) > spec.length:
                problems.append(f"record {number}: {spec.code} longer than {spec.length}")
