"""Which Delta protocol features this package reads and writes, and the properties every table is created with.

Both engines must be able to read every lakehouse table: delta-rs (``deltalake``) here and delta-spark on a
production cluster. So tables are created without deletion vectors and without column mapping, and a table whose
protocol asks for a feature the connector does not implement is refused with a :class:`StorageError` instead of
being read wrongly (a reader that ignores deletion vectors returns deleted rows; one that ignores column mapping
returns nulls).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from jianguan.errors import StorageError

DEFAULT_PROPERTIES: dict[str, str] = {
    # delta-rs writes change data (``_change_data`` files for MERGE/UPDATE/DELETE); delta-spark reads it.
    "delta.enableChangeDataFeed": "true",
    # Explicitly off: both are features the Python connector does not implement.
    "delta.enableDeletionVectors": "false",
    "delta.columnMapping.mode": "none",
}
"""Table properties of every table created by :func:`jianguan.lake.tables.LakeTable.create`."""

READER_FEATURES: frozenset[str] = frozenset({"timestampNtz"})
"""Reader features (protocol v3) the Python connector implements."""

WRITER_FEATURES: frozenset[str] = frozenset({"appendOnly", "changeDataFeed", "timestampNtz"})
"""Writer features (protocol v7) the Python connector's writer implements (it does not enforce invariants,
check constraints or generated columns, so tables using them are written through delta-rs only)."""

MAX_READER_VERSION = 3
MAX_WRITER_VERSION = 7
_LEGACY_WRITER_FEATURES: dict[int, frozenset[str]] = {
    # What a legacy (pre-feature-list) writer version implies, per the Delta protocol.
    1: frozenset(),
    2: frozenset({"appendOnly", "invariants"}),
    3: frozenset({"appendOnly", "invariants", "checkConstraints"}),
    4: frozenset({"appendOnly", "invariants", "checkConstraints", "changeDataFeed", "generatedColumns"}),
    5: frozenset(
        {
            "appendOnly",
            "invariants",
            "checkConstraints",
            "changeDataFeed",
            "generatedColumns",
            "columnMapping",
        }
    ),
    6: frozenset(
        {
            "appendOnly",
            "invariants",
            "checkConstraints",
            "changeDataFeed",
            "generatedColumns",
            "columnMapping",
            "identityColumns",
        }
    ),
}


def reader_features(min_reader_version: int, features: Iterable[str] | None) -> frozenset[str]:
    """The reader features a protocol requires (legacy version 2 means column mapping)."""
    if min_reader_version >= 3:
        return frozenset(features or ())
    return frozenset({"columnMapping"}) if min_reader_version == 2 else frozenset()


def writer_features(min_writer_version: int, features: Iterable[str] | None) -> frozenset[str]:
    """The writer features a protocol enables (legacy versions imply a fixed set)."""
    if min_writer_version >= 7:
        return frozenset(features or ())
    return _LEGACY_WRITER_FEATURES.get(min_writer_version, frozenset())


def check_readable(
    where: str,
    min_reader_version: int,
    features: Iterable[str] | None,
    configuration: Mapping[str, str],
) -> None:
    """Raise :class:`StorageError` when reading the table needs a feature this package does not implement."""
    if min_reader_version > MAX_READER_VERSION:
        raise StorageError(
            f"{where}: reader protocol version {min_reader_version} is newer than supported "
            f"({MAX_READER_VERSION}); refusing to read it"
        )
    unsupported = sorted(reader_features(min_reader_version, features) - READER_FEATURES)
    if configuration.get("delta.columnMapping.mode", "none") not in ("none", ""):
        unsupported.append(f"columnMapping (mode {configuration['delta.columnMapping.mode']})")
    if unsupported:
        raise StorageError(
            f"{where}: the table uses Delta reader features this connector does not implement: "
            f"{', '.join(sorted(set(unsupported)))}; read it with delta-spark or rewrite it without them"
        )


def check_writable(
    where: str,
    min_writer_version: int,
    features: Iterable[str] | None,
    configuration: Mapping[str, str],
    schema_json: Mapping[str, Any],
) -> None:
    """Raise :class:`StorageError` when the Python connector cannot write the table correctly.

    Legacy writer versions 2–4 only *allow* invariants, constraints and generated columns; they are refused only
    when the table actually declares one (a field's ``delta.invariants``/``delta.generationExpression`` metadata,
    a ``delta.constraints.*`` property).
    """
    if min_writer_version > MAX_WRITER_VERSION:
        raise StorageError(f"{where}: writer protocol version {min_writer_version} is not supported")
    # Features that only matter when the metadata declares them count as used only then.
    declared_only = {"invariants", "checkConstraints", "generatedColumns", "identityColumns", "columnMapping"}
    used = set(writer_features(min_writer_version, features) - declared_only)
    if any(key.startswith("delta.constraints.") for key in configuration):
        used.add("checkConstraints")
    for field in schema_json.get("fields", []):
        metadata = field.get("metadata", {})
        if "delta.invariants" in metadata:
            used.add("invariants")
        if "delta.generationExpression" in metadata:
            used.add("generatedColumns")
        if "delta.identity.start" in metadata:
            used.add("identityColumns")
    if configuration.get("delta.columnMapping.mode", "none") not in ("none", ""):
        used.add("columnMapping")
    unsupported = sorted(used - WRITER_FEATURES)
    if configuration.get("delta.enableDeletionVectors", "false").lower() == "true":
        unsupported.append("deletionVectors")
    if unsupported:
        raise StorageError(
            f"{where}: the table uses Delta writer features the Spark connector does not implement: "
            f"{', '.join(sorted(set(unsupported)))}; write it through jianguan.lake.tables (delta-rs) instead"
        )
