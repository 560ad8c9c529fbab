"""Commit information read straight from ``_delta_log/<version>.json``.

delta-rs's ``DeltaTable.history()`` numbers commits downwards from the *loaded* version while listing the commits
*found in storage*, so when another writer commits between loading and listing (or after time travel) the
numbers are off. The file name of a commit is its version, so reading the files is exact.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
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


FILE_TIME_KEY = "fileModificationTime"
"""Key added to each commit info: the commit file's modification time (ms since the epoch)."""


def commit_info(table_uri: str, version: int) -> dict[str, Any]:
    """The ``commitInfo`` of one commit, with ``version`` and :data:`FILE_TIME_KEY` added.

    The file time is what time travel by timestamp goes by (delta-rs and delta-spark, without in-commit
    timestamps, both pick the last commit *file* modified at or before the time asked for). The ``timestamp``
    inside ``commitInfo`` is taken by the writer a moment earlier, so travelling to it can land one version
    short; :meth:`jianguan.lake.tables.LakeTable.history` therefore reports the file time, as delta-spark's
    ``DESCRIBE HISTORY`` does.
    """
    text, modified_ms = _commit_file(table_uri, version)
    extra: dict[str, Any] = {"version": version}
    if modified_ms is not None:
        extra[FILE_TIME_KEY] = modified_ms
    for line in text.splitlines():
        if '"commitInfo"' in line:
            action = json.loads(line)
            if "commitInfo" in action:
                return {**action["commitInfo"], **extra}
    return extra


def _commit_file(table_uri: str, version: int) -> tuple[str, int | None]:
    """The text of a commit file and its modification time (ms since the epoch, ``None`` when unknown)."""
    filesystem, root = filesystem_for(table_uri)
    path = f"{root}/_delta_log/{version:020d}.json"
    with filesystem.open_input_stream(path) as stream:
        text = stream.read().decode("utf-8")
    modified = filesystem.get_file_info(path).mtime_ns
    return text, None if modified is None else modified // 1_000_000


@dataclass(frozen=True)
class CommitActions:
    """The actions of one commit (each a dict as in the log) and the commit's time (its file's, in ms)."""

    version: int
    timestamp_ms: int
    actions: list[dict[str, Any]]

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        """The payloads of the actions of one kind (``add``, ``remove``, ``cdc``, ``commitInfo`` …)."""
        return [action[kind] for action in self.actions if kind in action]


def commit_actions(table_uri: str, version: int) -> CommitActions:
    """Every action of commit ``version``; :class:`FileNotFoundError` when its commit file was cleaned up."""
    text, modified_ms = _commit_file(table_uri, version)
    actions = [json.loads(line) for line in text.splitlines() if line.strip()]
    if modified_ms is None:  # an object store without modification times: the writer's clock
        infos = [a["commitInfo"] for a in actions if "commitInfo" in a]
        modified_ms = int(infos[0].get("timestamp", 0)) if infos else 0
    return CommitActions(version, modified_ms, actions)


def commit_infos(table_uri: str, limit: int | None = None) -> list[dict[str, Any]]:
    """Commit infos, newest first (at most ``limit``)."""
    versions = commit_versions(table_uri)[::-1]
    if limit is not None:
        versions = versions[:limit]
    return [commit_info(table_uri, version) for version in versions]
