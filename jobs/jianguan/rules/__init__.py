"""Row-level rules at the bronze boundary, rendered from ``schemas/`` and applied column-wise to Arrow batches."""

from jianguan.rules.catalog import MESSAGES_ZH, Rule, rules_for_table
from jianguan.rules.engine import BatchResult, Finding, TableValidator

__all__ = ["MESSAGES_ZH", "BatchResult", "Finding", "Rule", "TableValidator", "rules_for_table"]
