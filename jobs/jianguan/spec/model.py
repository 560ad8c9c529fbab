"""Typed model of the files under ``schemas/`` (the format is documented in ``schemas/README.md``).

Pydantic models with ``extra="forbid"`` so a typo in a schema file is an error naming the file and the key,
not a silently ignored setting.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
DECIMAL_TYPE = re.compile(r"^decimal\((\d+),(\d+)\)$")
SIMPLE_TYPES = frozenset({"string", "integer", "long", "double", "boolean", "date", "timestamp"})
FORMATS = frozenset(
    {"uscc", "org_code", "id_number", "party_code", "region_code", "item_code", "checklist_code", "phone", "url",
     "ratio"}
)  # fmt: skip
PII_CLASSES = ("none", "name", "id_number", "phone", "address", "free_text")
LAYERS = ("bronze", "silver", "gold", "export")

Provenance = Literal["seen", "inferred"]
PiiClass = Literal["none", "name", "id_number", "phone", "address", "free_text"]
MatchKey = Literal["name", "address", "uscc"]
"""How a field names a party for entity resolution: staging adds ``<field>_match_key`` (see schemas/README.md)."""
MATCH_KEY_SUFFIX = "_match_key"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _snake(value: str) -> str:
    if not SNAKE_CASE.match(value):
        raise ValueError(f"{value!r} is not English snake_case")
    return value


class FieldSpec(_Strict):
    """One column of a table."""

    name: str
    label_zh: str = Field(min_length=1)
    description: str = Field(min_length=1)
    type: str
    required: bool = False
    length: int | None = Field(default=None, gt=0)
    format: str | None = None
    code_list: str | None = None
    multi_value: bool = False
    min: float | None = None
    max: float | None = None
    pii: PiiClass
    provenance: Provenance
    severity: Literal["error", "warn"] = "error"
    match_key: MatchKey | None = None

    _check_name = field_validator("name")(classmethod(lambda cls, v: _snake(v)))

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        value = value.replace(" ", "")
        if value not in SIMPLE_TYPES and not DECIMAL_TYPE.match(value):
            raise ValueError(f"unknown type {value!r} (use {sorted(SIMPLE_TYPES)} or decimal(p,s))")
        return value

    @field_validator("format")
    @classmethod
    def _known_format(cls, value: str | None) -> str | None:
        if value is not None and value not in FORMATS:
            raise ValueError(f"unknown format {value!r} (use one of {sorted(FORMATS)})")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> FieldSpec:
        if self.multi_value and not self.code_list:
            raise ValueError("multi_value needs a code_list")
        if self.length is not None and self.type != "string":
            raise ValueError("length applies to string fields only")
        if (self.min is not None or self.max is not None) and not self.is_numeric:
            raise ValueError("min/max apply to numeric fields only")
        if self.match_key is not None and self.type != "string":
            raise ValueError("match_key applies to string fields only")
        if (self.match_key == "uscc") != (self.match_key is not None and self.format == "uscc"):
            raise ValueError("match_key uscc goes with format uscc (and a uscc field's match_key is uscc)")
        return self

    @property
    def is_numeric(self) -> bool:
        return self.type in {"integer", "long", "double"} or self.type.startswith("decimal")

    @property
    def decimal_precision_scale(self) -> tuple[int, int] | None:
        match = DECIMAL_TYPE.match(self.type)
        return (int(match.group(1)), int(match.group(2))) if match else None


class TableSpec(_Strict):
    """One bronze table of a library (``schemas/tables/<library>/<name>.yaml``)."""

    name: str
    library: str
    label_zh: str = Field(min_length=1)
    description: str = Field(min_length=1)
    grain: str = Field(min_length=1)
    provenance: Provenance
    sources: list[str] = Field(default_factory=list)
    business_key: list[str] = Field(min_length=1)
    order_by: str | None = None
    partition_by: list[str] = Field(default_factory=list)
    history: list[str] = Field(default_factory=list)
    """Fields whose every change is kept (SCD2): the staging layer then also keeps every version, ordered by
    ``order_by``, in ``stg_<library>__<table>_versions``."""
    fields: list[FieldSpec] = Field(min_length=1)

    _check_name = field_validator("name")(classmethod(lambda cls, v: _snake(v)))

    @model_validator(mode="after")
    def _keys_exist(self) -> TableSpec:
        names = [f.name for f in self.fields]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"duplicate field names: {duplicates}")
        roles = (
            ("business_key", self.business_key),
            ("partition_by", self.partition_by),
            ("history", self.history),
        )
        for role, cols in roles:
            missing = [c for c in cols if c not in names]
            if missing:
                raise ValueError(f"{role} names unknown fields {missing}")
        if self.order_by is not None and self.order_by not in names:
            raise ValueError(f"order_by names unknown field {self.order_by!r}")
        if self.history and self.order_by is None:
            raise ValueError("history needs order_by (the field that orders the versions)")
        clashes = [f.name for f in self.fields if f.match_key and f"{f.name}{MATCH_KEY_SUFFIX}" in names]
        if clashes:
            raise ValueError(
                f"fields {clashes} have a match_key, and a field already has its {MATCH_KEY_SUFFIX} name"
            )
        return self

    def field(self, name: str) -> FieldSpec:
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(f"{self.name} has no field {name!r}")

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]


class Code(_Strict):
    code: str
    label_zh: str = Field(min_length=1)
    description: str | None = None
    parent: str | None = None
    level: Literal["province", "prefecture", "county"] | None = None
    is_local: bool = False

    @field_validator("code", mode="before")
    @classmethod
    def _code_is_text(cls, value: object) -> str:
        # YAML reads 01 as 1 and A as "A": codes must be quoted, but refuse silently-converted numbers loudly.
        if not isinstance(value, str):
            raise ValueError(f"code {value!r} must be a quoted string in YAML")
        return value


class CodeList(_Strict):
    name: str
    label_zh: str = Field(min_length=1)
    provenance: Provenance
    source: str | None = None
    description: str | None = None
    codes: list[Code] = Field(min_length=1)

    _check_name = field_validator("name")(classmethod(lambda cls, v: _snake(v)))

    @model_validator(mode="after")
    def _unique_codes(self) -> CodeList:
        seen: set[str] = set()
        for code in self.codes:
            if code.code in seen:
                raise ValueError(f"code {code.code!r} appears twice")
            seen.add(code.code)
        return self

    @property
    def values(self) -> frozenset[str]:
        return frozenset(c.code for c in self.codes)

    def label(self, code: str) -> str:
        for entry in self.codes:
            if entry.code == code:
                return entry.label_zh
        raise KeyError(f"{self.name} has no code {code!r}")


class FeedColumn(_Strict):
    header: str = Field(min_length=1)
    field: str


class CsvOptions(_Strict):
    delimiter: str = ","
    quotechar: str = '"'


class XlsxOptions(_Strict):
    sheet: int | str = 0
    title_rows: int = Field(default=0, ge=0)


class JsonOptions(_Strict):
    records_path: str | None = None


class XmlOptions(_Strict):
    record_tag: str
    max_bytes: int = Field(default=512 * 1024 * 1024, gt=0)


class FeedSpec(_Strict):
    """How one source system writes one kind of file (``schemas/feeds/<source>/<name>.yaml``)."""

    name: str
    source: str
    label_zh: str = Field(min_length=1)
    system: str = Field(min_length=1)
    table: str
    format: Literal["csv", "xlsx", "json", "jsonl", "xml"]
    encoding: Literal["utf-8", "utf-8-sig", "gbk", "gb18030"] = "utf-8"
    file_pattern: str = Field(min_length=1)
    reject_threshold: float = Field(default=0.2, ge=0, le=1)
    reject_gate_min_rows: int = Field(default=50, ge=0)
    """The reject-ratio gate judges files of at least this many rows: on fewer, one bad row is noise, not a
    broken export (its rows are still quarantined one by one)."""
    description: str | None = None
    csv: CsvOptions | None = None
    xlsx: XlsxOptions | None = None
    json_options: JsonOptions | None = Field(default=None, alias="json")
    xml: XmlOptions | None = None
    columns: list[FeedColumn] = Field(min_length=1)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    _check_name = field_validator("name", "source")(classmethod(lambda cls, v: _snake(v)))

    @model_validator(mode="after")
    def _options_match_format(self) -> FeedSpec:
        if self.format == "xml" and self.xml is None:
            raise ValueError("an xml feed needs xml.record_tag")
        headers = [c.header for c in self.columns]
        fields = [c.field for c in self.columns]
        for what, values in (("header", headers), ("field", fields)):
            dupes = sorted({v for v in values if values.count(v) > 1})
            if dupes:
                raise ValueError(f"{what}s mapped twice: {dupes}")
        return self

    @property
    def header_to_field(self) -> dict[str, str]:
        return {c.header: c.field for c in self.columns}


class ExportField(_Strict):
    code: str
    label_zh: str = Field(min_length=1)
    source_field: str | None = Field(default=None, alias="from")
    type: str = "string"
    length: int | None = Field(default=None, gt=0)
    required: bool = False
    format: str | None = None
    code_list: str | None = None
    date_format: str | None = None
    description: str | None = None
    fallback: str | None = None
    """Source field whose value is exported when ``from`` is empty (e.g. the clear USCC of a unit party)."""
    provenance: Provenance | None = None
    """Whether the national field name was seen in a public source or is the house name (inferred)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class OrderCheck(_Strict):
    """A cross-field rule of a layout: ``later`` must come after ``earlier`` (both national field codes).

    The national import validators state such rules (报送时间 after 检查时间, 结案日期 after 立案时间); a record
    where either value is empty is not checked.
    """

    rule_id: str
    later: str
    earlier: str
    strict: bool = False
    message_zh: str = Field(min_length=1)

    _check_rule = field_validator("rule_id")(classmethod(lambda cls, v: _snake(v)))


class ExportLayout(_Strict):
    """One national export dataset (``schemas/exports/<name>.yaml``)."""

    name: str
    label_zh: str = Field(min_length=1)
    table: str
    format: Literal["jsonl", "csv", "xml"] = "jsonl"
    encoding: Literal["utf-8", "gbk", "gb18030"] = "utf-8"
    record_id: str | list[str]
    version: str = "1.0"
    description: str | None = None
    xml_record_tag: str | None = None
    fields: list[ExportField] = Field(min_length=1)
    order_checks: list[OrderCheck] = Field(default_factory=list)

    _check_name = field_validator("name")(classmethod(lambda cls, v: _snake(v)))

    @property
    def record_id_fields(self) -> list[str]:
        """The source fields whose values (joined by ``|``) make the record's unique id."""
        return [self.record_id] if isinstance(self.record_id, str) else list(self.record_id)

    def export_field(self, code: str) -> ExportField:
        for spec in self.fields:
            if spec.code == code:
                return spec
        raise KeyError(f"export layout {self.name} has no field {code!r}")


class Envelope(_Strict):
    version: str
    fields: list[ExportField] = Field(min_length=1)


class Library(_Strict):
    slug: str
    label_zh: str
    description: str


class PiiTreatment(_Strict):
    name: PiiClass
    label_zh: str
    treatment: Literal["keep", "token", "mask", "token_and_mask"]
    mask: str | None = None
    description: str


class GlossaryEntry(_Strict):
    zh: str = Field(min_length=1)
    en: str

    _check_en = field_validator("en")(classmethod(lambda cls, v: _snake(v)))


class LineageColumns(_Strict):
    bronze: list[FieldSpec]
    rejected: list[FieldSpec]
