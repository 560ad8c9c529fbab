"""``manifest.json`` of an export batch: what the folder must hold, byte for byte.

The manifest lists every dataset file with its record count, operation counts, SHA-256 and size, the layout
and envelope versions, the batch number (``cd_batch``) and the source table versions the batch was cut from.
It holds no wall-clock time, so it is as deterministic as the files. It is written last (see
:mod:`jianguan.export.writers`): a folder with a valid manifest is a complete batch.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = 1


@dataclass(frozen=True)
class DatasetEntry:
    dataset: str
    file: str
    format: str
    encoding: str
    layout_version: str
    records: int
    operations: dict[str, int]
    bytes: int
    sha256: str
    source_table: str
    source_version_from: int | None
    source_version_to: int | None


@dataclass(frozen=True)
class Manifest:
    batch: str
    directory: str
    logical_date: str
    province_code: str
    envelope_version: str
    datasets: list[DatasetEntry]
    holds: int
    resubmissions: int
    manifest_format: int = MANIFEST_FORMAT
    config_version: str = ""
    totals: dict[str, int] = field(default_factory=dict)

    def to_bytes(self) -> bytes:
        data = asdict(self)
        return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n").encode("utf-8")

    def sha256(self) -> str:
        return hashlib.sha256(self.to_bytes()).hexdigest()


def read_manifest(folder: Path) -> dict[str, Any]:
    with (folder / MANIFEST_NAME).open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data
