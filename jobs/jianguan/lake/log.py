"""Commit information read straight from ``_delta_log/<version>.json``.

delta-rs's ``DeltaTable.history()`` numbers commits downwards from the *loaded* version while listing the commits
*found in storage*, so when another writer commits between loading and listing (or after time travel) the
numbers are off. The file name of a commit is its version, so reading the files is exact.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pyarrow.fs as pafs

from jianguan.lake.files import filesystem_for

_COMMIT_FILE = re.compile(r"^(\d{20})\.json$")


def commit_versions(table_uri: str) -> list[int]:
    """Versions whose JSON commit file is still in the log, ascending (older ones may be cleaned up)."""
    filesystem, root = filesystem_for(table_uri)
    selector = pafs.FileSelector(f"{root}/_delta_log", allow_not_found=True)
    versions = []
    for info in filesystem.get_file_info(selector):
        match = _COMMIT_FILE.match(info.base_name)
        if match and info.type == pafs.FileType.File:
            versions.append(int(match[1]))
    return sorted(versions)


def commit_info(table_uri: str, version: int) -> dict[str, Any]:
    """The ``commitInfo`` of one commit, with ``version`` added (empty apart from it when the commit has none)."""
    filesystem, root = filesystem_for(table_uri)
    with filesystem.open_input_stream(f"{root}/_delta_log/{version:020d}.json") as stream:
        text = stream.read().decode("utf-8")
    for line in text.splitlines():
        if '"commitInfo"' in line:
            action = json.loads(line)
            if "commitInfo" in action:
                return {**action["commitInfo"], "version": version}
    return {"version": version}


def commit_infos(table_uri: str, limit: int | None = None) -> list[dict[str, Any]]:
    """Commit infos, newest first (at most ``limit``)."""
    versions = commit_versions(table_uri)[::-1]
    if limit is not None:
        versions = versions[:limit]
    return [commit_info(table_uri, version) for version in versions]
