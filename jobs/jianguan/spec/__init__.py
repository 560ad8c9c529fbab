"""The data standard (``schemas/``) as typed objects, and the renderers that derive everything else from it."""

from jianguan.spec.loader import Standard, cached_standard, load_standard
from jianguan.spec.model import CodeList, ExportLayout, FeedSpec, FieldSpec, TableSpec

__all__ = [
    "CodeList",
    "ExportLayout",
    "FeedSpec",
    "FieldSpec",
    "Standard",
    "TableSpec",
    "cached_standard",
    "load_standard",
]
