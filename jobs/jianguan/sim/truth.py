"""The ground truth: what the simulator planted, written beside (never inside) the landing zone.

The pipeline never reads these files; tests and evaluations do, to measure what was caught. Everything is JSON
Lines, appended as rows are written (bounded memory), plus one ``manifest.json`` with every delivered file and
the counts per dirt kind. Rows are identified by (landing-relative file path, 1-based record number), the same
numbering the ingestion readers use for ``source_row_number``.

Files:
  manifest.json          run parameters, files (rows, bytes, sha256), dirt counts and eligible counts
  dirty_rows.jsonl       one line per planted defect: file, row, kind, field, original, written, detail
  duplicates.jsonl       a duplicated row and the row it duplicates (same file), with the business key
  entity_names.jsonl     a party written under a name variant / without or with a full-width USCC → canonical
  complaint_links.jsonl  one line per channel record of a complaint filed on several channels (group by event)
  risk_entities.jsonl    the parties planted as high-risk, with their risk model
  risk_signals.jsonl     the rows that carry a planted signal for one of those parties
  corrections.jsonl      a row re-delivered corrected, and the dirty row it corrects
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from jianguan.sim.writers import WrittenFile

STREAMS = (
    "dirty_rows",
    "duplicates",
    "entity_names",
    "complaint_links",
    "risk_entities",
    "risk_signals",
    "corrections",
)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


@dataclass
class TruthRecorder:
    root: Path
    dirt_counts: dict[str, int] = field(default_factory=dict)
    eligible_counts: dict[str, int] = field(default_factory=dict)
    files: list[WrittenFile] = field(default_factory=list)
    file_dirt: list[dict[str, Any]] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        for stale in [*(self.root / f"{name}.jsonl" for name in STREAMS), self.root / "manifest.json"]:
            stale.unlink(missing_ok=True)
        self._streams: dict[str, IO[str]] = {
            name: (self.root / f"{name}.jsonl").open("w", encoding="utf-8") for name in STREAMS
        }

    def _write(self, stream: str, entry: dict[str, Any]) -> None:
        line = json.dumps({k: _plain(v) for k, v in entry.items()}, ensure_ascii=False, separators=(",", ":"))
        self._streams[stream].write(line + "\n")

    def count(self, kind: str, amount: int = 1) -> None:
        self.dirt_counts[kind] = self.dirt_counts.get(kind, 0) + amount

    def count_eligible(self, kind: str, amount: int = 1) -> None:
        self.eligible_counts[kind] = self.eligible_counts.get(kind, 0) + amount

    def bump(self, stat: str, amount: int = 1) -> None:
        self.stats[stat] = self.stats.get(stat, 0) + amount

    # -- row-level facts --------------------------------------------------------------------------------------
    def dirty(self, file: str, row: int | None, kind: str, *, field_name: str | None = None,
              original: Any = None, written: Any = None, detail: Any = None) -> None:  # fmt: skip
        self.count(kind)
        self._write(
            "dirty_rows",
            {"file": file, "row": row, "kind": kind, "field": field_name, "original": original,
             "written": written, "detail": detail},
        )  # fmt: skip

    def duplicate(self, file: str, row: int, of_row: int, feed: str, key: dict[str, Any]) -> None:
        self._write(
            "duplicates", {"file": file, "row": row, "duplicate_of_row": of_row, "feed": feed, "key": key}
        )

    def entity_name(self, entry: dict[str, Any]) -> None:
        self._write("entity_names", entry)

    def complaint_link(self, entry: dict[str, Any]) -> None:
        self._write("complaint_links", entry)

    def risk_entity(self, entry: dict[str, Any]) -> None:
        self._write("risk_entities", entry)

    def risk_signal(self, entry: dict[str, Any]) -> None:
        self._write("risk_signals", entry)

    def correction(self, entry: dict[str, Any]) -> None:
        self._write("corrections", entry)

    def file_written(self, written: WrittenFile) -> None:
        self.files.append(written)

    def replace_file(self, written: WrittenFile) -> None:
        self.files = [written if f.relative_path == written.relative_path else f for f in self.files]

    # -- closing ------------------------------------------------------------------------------------------------
    def close(self, run: dict[str, Any]) -> Path:
        for stream in self._streams.values():
            stream.close()
        rates = {
            kind: round(self.dirt_counts.get(kind, 0) / eligible, 6)
            for kind, eligible in sorted(self.eligible_counts.items())
            if eligible
        }
        manifest = {
            "run": run,
            "files": [
                {"path": f.relative_path, "feed": f.feed, "source": f.source, "table": f.table, "format": f.format,
                 "encoding": f.encoding, "delivery_date": f.delivery_date.isoformat(), "rows": f.rows,
                 "bytes": f.bytes, "sha256": f.sha256}
                for f in self.files
            ],
            "totals": {"files": len(self.files), "rows": sum(f.rows for f in self.files),
                       "bytes": sum(f.bytes for f in self.files)},
            "dirt_counts": dict(sorted(self.dirt_counts.items())),
            "dirt_eligible": dict(sorted(self.eligible_counts.items())),
            "dirt_rates": rates,
            "file_dirt": self.file_dirt,
            "stats": dict(sorted(self.stats.items())),
            "truth_files": {name: f"{name}.jsonl" for name in STREAMS},
        }  # fmt: skip
        path = self.root / "manifest.json"
        path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        return path
