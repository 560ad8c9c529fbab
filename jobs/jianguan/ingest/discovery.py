"""Which landed files belong to which feed, for one source and logical date.

Landing layout (design.md): ``<landing>/<source>/<YYYY-MM-DD>/<file>``. A file matching no feed of its source
is not ignored — it is reported as unrecognised so it can be quarantined with a reason; nothing is lost.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from fnmatch import fnmatch
from pathlib import Path

from jianguan.spec.loader import Standard
from jianguan.spec.model import FeedSpec

HASH_CHUNK = 8 * 1024 * 1024
IGNORED_SUFFIXES = (".tmp", ".part", ".crdownload")
"""Files still being transferred; the sender renames them when complete."""


@dataclass(frozen=True)
class LandedFile:
    path: Path
    source: str
    logical_date: date
    feed: FeedSpec | None
    """None when no feed of the source matches the file name."""

    def relative_to(self, landing_root: Path) -> str:
        return self.path.relative_to(landing_root).as_posix()


def feeds_of_source(std: Standard, source: str) -> list[FeedSpec]:
    return sorted((f for f in std.feeds.values() if f.source == source), key=lambda f: f.name)


def sources(std: Standard) -> list[str]:
    return sorted({f.source for f in std.feeds.values()})


def match_feed(feeds: list[FeedSpec], file_name: str) -> FeedSpec | None:
    matches = [f for f in feeds if fnmatch(file_name, f.file_pattern)]
    # The most specific pattern wins when several match (e.g. "*.csv" and "xzcf_*.csv").
    return max(matches, key=lambda f: len(f.file_pattern.replace("*", ""))) if matches else None


def discover(std: Standard, landing_root: Path, source: str, logical_date: date) -> list[LandedFile]:
    folder = landing_root / source / logical_date.isoformat()
    if not folder.is_dir():
        return []
    feeds = feeds_of_source(std, source)
    found = []
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        if path.name.startswith(".") or path.name.endswith(IGNORED_SUFFIXES):
            continue
        found.append(LandedFile(path, source, logical_date, match_feed(feeds, path.name)))
    return found


def content_hash(path: Path) -> str:
    """SHA-256 of the file's bytes: the identity of a delivery (a file is ingested once per content hash)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def batch_id(feed_name: str, logical_date: date, file_name: str, sha256: str) -> str:
    """Stable per (feed, date, file, content): a rerun of the same delivery replaces the same batch."""
    name_digest = hashlib.sha256(file_name.encode("utf-8")).hexdigest()[:8]
    return f"{feed_name}/{logical_date.isoformat()}/{name_digest}-{sha256[:16]}"
