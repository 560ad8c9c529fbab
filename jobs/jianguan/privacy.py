"""Tokenising and masking of personal data: the treatments named in ``schemas/pii.yaml``.

A *token* (``tk_`` + 32 hex characters) is a keyed HMAC-SHA256 of the normalised value. The same person's ID
number, written 15 or 18 characters long, with a lower-case x or full-width digits, gives the same token in
every source, so marts can join and deduplicate people without holding their identity; without the secret
the token cannot be reversed by enumerating ID numbers or phone numbers.

A *mask* is a readable partial value for people who need to recognise a record (张**, 138****5678). Masks are
for display, never for joining. Both functions are pure: no I/O, no logging of values.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable

from jianguan.validate.codes import normalise_phone, upgrade_id15
from jianguan.validate.text import normalise_code, to_halfwidth

__all__ = [
    "MASKS",
    "TOKENISED_CLASSES",
    "TOKEN_PREFIX",
    "mask",
    "mask_keep_first3_last4",
    "mask_keep_first6_last4",
    "mask_keep_first_char",
    "mask_keep_to_county",
    "mask_redact_embedded",
    "token_key",
    "tokenise",
]

TOKEN_PREFIX = "tk_"
_TOKEN_HEX_CHARS = 32
_MIDDLE_DOTS = re.compile("[\u00b7\u2022\u2027\u30fb\uff65.]")
_WHITESPACE = re.compile(r"[\s\u00a0\u3000\u200b-\u200d\ufeff]+")
_PHONE_NOISE = re.compile(r"[\s\-()]+")


# ==========================================================================================================
# tokens
# ==========================================================================================================
def _name_key(value: str) -> str:
    """Whitespace removed, Latin letters upper-cased, and the middle dots of transliterated names
    (阿依古丽·买买提, typed as ·, •, ・ or ．) written as one, so one name typed differently still matches."""
    return _MIDDLE_DOTS.sub("\u00b7", normalise_code(value))


def _id_number_key(value: str) -> str:
    """Upper-case X, no whitespace, and a 15-digit number upgraded: one person has one key."""
    code = normalise_code(value)
    return upgrade_id15(code) if len(code) == 15 and code.isdigit() else code


def _phone_key(value: str) -> str:
    """The canonical phone number; an invalid number keeps its characters minus separators."""
    text = to_halfwidth(value)
    return normalise_phone(text) or _PHONE_NOISE.sub("", text)


TOKENISED_CLASSES: dict[str, Callable[[str], str]] = {
    "name": _name_key,
    "id_number": _id_number_key,
    "phone": _phone_key,
}
"""PII classes whose treatment includes a token (pii.yaml), with the normalisation applied before hashing."""


def token_key(value: str, pii_class: str) -> str:
    """The normalised value a token is computed over (exposed so other engines can reproduce tokens)."""
    try:
        normalise = TOKENISED_CLASSES[pii_class]
    except KeyError:
        raise ValueError(
            f"PII class {pii_class!r} is not tokenised; known: {sorted(TOKENISED_CLASSES)}"
        ) from None
    key = normalise(value)
    if not key:
        raise ValueError("cannot tokenise an empty value (keep it null)")
    return key


def tokenise(value: str, secret: bytes | str, *, pii_class: str) -> str:
    """``tk_`` + the first 32 hex characters of HMAC-SHA256(secret, normalised value).

    128 bits make accidental collisions negligible across every person in the province. An empty secret is
    refused: a token keyed with nothing can be recomputed by anyone.
    """
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    if not key:
        raise ValueError("the token secret is empty")
    message = token_key(value, pii_class).encode("utf-8")
    return TOKEN_PREFIX + hmac.new(key, message, hashlib.sha256).hexdigest()[:_TOKEN_HEX_CHARS]


# ==========================================================================================================
# masks
# ==========================================================================================================
def _keep_ends(text: str, head: int, tail: int) -> str:
    """Star every letter or digit except the first ``head`` and last ``tail``; separators stay.

    When the value is too short to keep that many, at most a quarter is kept at each end, so at least half
    of a short value is always hidden.
    """
    positions = [i for i, char in enumerate(text) if char.isalnum()]
    count = len(positions)
    if count <= head + tail:
        head = tail = count // 4
    hidden = set(positions[head : count - tail])
    return "".join("*" if i in hidden else char for i, char in enumerate(text))


def mask_keep_first_char(value: str) -> str:
    """张三丰 → 张**: the surname stays, one star per hidden character; a one-character value is hidden."""
    text = _WHITESPACE.sub("", to_halfwidth(value))
    if len(text) <= 1:
        return "*" * len(text)
    return text[0] + "*" * (len(text) - 1)


def mask_keep_first6_last4(value: str) -> str:
    """420102199001011234 → 420102********1234: the address code and the last four stay."""
    return _keep_ends(normalise_code(value), 6, 4)


def mask_keep_first3_last4(value: str) -> str:
    """13812345678 → 138****5678; 027-88888888 → 027-****8888 (the number is written canonically first)."""
    text = _WHITESPACE.sub("", to_halfwidth(value))
    return _keep_ends(normalise_phone(text) or text, 3, 4)


# -- keep_to_county ----------------------------------------------------------------------------------------
_PROVINCE = re.compile(
    r"[^省市区县]{2,3}省|[^省市区县]{2,9}?自治区|(?:北京|天津|上海|重庆)市|(?:香港|澳门)特别行政区"
)
_PREFECTURE_SUFFIXES = ("自治州", "地区", "市", "盟")
_COUNTY_SUFFIXES = ("自治县", "自治旗", "县", "区", "市", "旗")
_ADMIN_CHARS = frozenset("省市区县")
# Characters that end street-level names. Inside a stem they mean we have left the county (光谷大道某某小区);
# at the first or last position they belong to real names (路桥区, 镇江市, 新乡市, 道县).
_STREET_MARKS = frozenset("街道路镇乡村号巷弄栋楼室")
_NOT_COUNTY_ENDINGS = ("小区", "社区", "校区")
_MAX_STEM = 12  # 双江拉祜族佤族布朗族傣族自治县


def _plausible_stem(stem: str) -> bool:
    """Could ``stem`` be the name part of an administrative unit (before 市/县/区/自治州 …)?"""
    if not all("\u4e00" <= char <= "\u9fff" for char in stem) or stem[0] == "省":
        return False
    inner = stem[1:]
    if any(char in _ADMIN_CHARS for char in inner):
        return False
    return not any(char in _STREET_MARKS for char in stem[1:-1])


def _admin_unit_end(text: str, start: int, suffixes: tuple[str, ...]) -> int | None:
    """End of the shortest administrative unit name at ``start`` ending in one of ``suffixes``."""
    for stem_end in range(start + 1, min(len(text), start + _MAX_STEM) + 1):
        if not _plausible_stem(text[start:stem_end]):
            return None  # implausible stays implausible when it grows
        for suffix in suffixes:
            if text.startswith(suffix, stem_end):
                end = stem_end + len(suffix)
                if _suffix_is_part_of_name(text, start, end) or text[start:end].endswith(_NOT_COUNTY_ENDINGS):
                    break  # 红旗区: the 旗 belongs to the name, the unit ends at 区
                return end
    return None


def _suffix_is_part_of_name(text: str, start: int, end: int) -> bool:
    """True when another one-character unit suffix follows and the longer name is still plausible."""
    return text[end : end + 1] in ("区", "县", "市", "旗") and _plausible_stem(text[start:end])


def mask_keep_to_county(value: str) -> str:
    """湖北省武汉市武昌区中南路99号 → 湖北省武汉市武昌区***: nothing below the county-level unit survives.

    The province and prefecture prefixes are optional; a county-level unit directly after the province
    (仙桃市) counts. Without a county the recognised prefix is kept; without any, the first six characters
    (at most half of a short value). Best effort by design: when unsure it keeps less, never more.
    """
    text = _WHITESPACE.sub("", to_halfwidth(value))
    if not text:
        return ""
    province = _PROVINCE.match(text)
    start = province.end() if province else 0
    prefecture_end = _admin_unit_end(text, start, _PREFECTURE_SUFFIXES)
    county_end = _admin_unit_end(text, prefecture_end, _COUNTY_SUFFIXES) if prefecture_end else None
    if county_end is None:
        county_end = _admin_unit_end(text, start, _COUNTY_SUFFIXES)
    keep = county_end or prefecture_end or start or min(6, len(text) // 2)
    return text[:keep] + "***"


# -- redact_embedded ---------------------------------------------------------------------------------------
_EMBEDDED = re.compile(
    r"(?<![0-9A-Za-z])(?:"
    r"(?P<id18>[1-9][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx])"
    r"|(?P<id15>[1-9][0-9]{7}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3})"
    r"|(?P<mobile>(?:\+?86[ -]?)?1[3-9][0-9][ -]?[0-9]{4}[ -]?[0-9]{4})"
    r"|(?P<fixed>(?:\(0[0-9]{2,3}\)|0[0-9]{2,3}-) ?[2-9][0-9]{6,7})"
    r")(?![0-9A-Za-z])"
)


def mask_redact_embedded(value: str) -> str:
    """Mask ID numbers (also with a wrong check character) and phone numbers inside free text.

    Matching runs on a half-width copy, which has the same length, so full-width digits are found too and
    the rest of the text is returned exactly as written.
    """
    halfwidth = to_halfwidth(value)
    pieces: list[str] = []
    last = 0
    for match in _EMBEDDED.finditer(halfwidth):
        found = match.group()
        masked = (
            mask_keep_first6_last4(found) if match["id18"] or match["id15"] else _mask_phone_in_place(found)
        )
        pieces.extend((value[last : match.start()], masked))
        last = match.end()
    pieces.append(value[last:])
    return "".join(pieces)


def _mask_phone_in_place(found: str) -> str:
    """Keep the text's own spacing (138 1234 5678 → 138 **** 5678), after any +86 prefix."""
    country = re.match(r"\+?86[ -]?(?=1)", found)
    prefix = country.group() if country else ""
    return prefix + _keep_ends(found[len(prefix) :], 3, 4)


MASKS: dict[str, Callable[[str], str]] = {
    "keep_first_char": mask_keep_first_char,
    "keep_first6_last4": mask_keep_first6_last4,
    "keep_first3_last4": mask_keep_first3_last4,
    "keep_to_county": mask_keep_to_county,
    "redact_embedded": mask_redact_embedded,
}
"""The ``mask:`` methods of pii.yaml."""


def mask(value: str, method: str) -> str:
    """Apply the mask ``method`` named in pii.yaml; an unknown method is a programming error (ValueError)."""
    try:
        masker = MASKS[method]
    except KeyError:
        raise ValueError(f"unknown mask method {method!r}; known: {sorted(MASKS)}") from None
    return masker(value)
