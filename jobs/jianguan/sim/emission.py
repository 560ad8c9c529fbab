"""What a table generator hands to the engine: one record plus what the ground truth must know about it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

Record = dict[str, Any]
"""Field name → Python value (str, int, float, Decimal, bool, date, datetime or None)."""


@dataclass(slots=True)
class Emission:
    table: str
    record: Record
    business_day: date | None = None
    """The date the record is about; None for full-load rows (they are never delivered late)."""
    party_uscc: str | None = None
    """Canonical USCC of the registered party the row names (makes the row eligible for name variants)."""
    party_name: str | None = None
    party_fields: tuple[str, str] = ("party_name", "uscc")
    """(name field, code field) that hold the party in this table."""
    event_id: str | None = None
    """Real-world complaint event shared by records on several channels (12345, 12315, national)."""
    risk: tuple[str, str] | None = None
    """(canonical USCC, risk model id) when the row is a planted risk signal."""
    risk_signal: str | None = None
    orphan_of: str | None = None
    """The inspection code that was replaced by a non-existent one (a planted orphan reference)."""
    reference_checked: bool = False
    """The row names an inspection and was eligible to be made an orphan (for the measured orphan rate)."""
    feed: str | None = None
    """Explicit feed name; None lets the router choose from the record's values."""
    notes: dict[str, Any] = field(default_factory=dict)
