"""The package's exception hierarchy.

Bad rows are data (they go to quarantine with reasons), not exceptions. Exceptions are for conditions that stop
a unit of work: wrong configuration, an invalid schema file, a source file that cannot be read at all, a failed
quality gate, an export that does not pass its checks, a storage operation that cannot proceed.
"""

from __future__ import annotations


class JianguanError(Exception):
    """Base class of every error raised on purpose by this package."""


class ConfigError(JianguanError):
    """A setting is missing or invalid."""


class SchemaError(JianguanError):
    """A file under ``schemas/`` is invalid or inconsistent with another one."""


class SourceFileError(JianguanError):
    """A landed file cannot be read as a whole (encoding, header, truncation, size, format)."""

    def __init__(self, path: str, reason: str, *, rule_id: str = "file_unreadable") -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason
        self.rule_id = rule_id


class QualityGateError(JianguanError):
    """A batch-level quality gate failed (reject ratio, row-count change, freshness …)."""


class ExportValidationError(JianguanError):
    """An export batch failed its pre-send checks or its manifest does not verify."""


class StorageError(JianguanError):
    """A lakehouse table operation cannot proceed (unsupported protocol feature, conflict, missing table)."""


class CommitConflictError(StorageError):
    """A concurrent writer committed first and the retry budget is exhausted."""
