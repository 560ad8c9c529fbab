"""Check characters and shapes of the codes that identify parties, places and catalogue items.

Every ``check_*`` function takes one value and returns None when it is valid, or a short Chinese message
that a department's data clerk can act on (the rule engine puts it in the rejection report). Checks do not
normalise: the engine converts full-width characters and trims first (:mod:`jianguan.validate.text`), so a
check that meets a full-width character says so instead of guessing.

Standards: GB 32100-2015 (统一社会信用代码), GB 11714-1997 (组织机构代码), GB 11643-1999 (公民身份号码),
GB/T 2260 (行政区划代码); the 监管事项 and 检查实施清单 code shapes follow the Jiangsu import validator cited
in ``shared/reference/standards.md`` §2.4.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Literal, cast
from urllib.parse import urlsplit

__all__ = [
    "FORMAT_CHECKS",
    "ID_WEIGHTS",
    "ORG_CODE_WEIGHTS",
    "USCC_CHARSET",
    "USCC_PATTERN",
    "USCC_REG_DEPTS",
    "USCC_WEIGHTS",
    "FormatCheck",
    "Region",
    "RegionCatalog",
    "check_checklist_code",
    "check_id_number",
    "check_item_code",
    "check_org_code",
    "check_party_code",
    "check_phone",
    "check_ratio",
    "check_url",
    "check_uscc",
    "id_check_char",
    "id_number_gender",
    "make_format_checks",
    "make_id_number",
    "make_org_code",
    "make_uscc",
    "normalise_phone",
    "org_code_check_char",
    "structural_level",
    "upgrade_id15",
    "uscc_check_char",
]

FormatCheck = Callable[[str], str | None]

# -- 统一社会信用代码 (GB 32100-2015) ------------------------------------------------------------------------
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
"""The 31 characters of a USCC, in value order (I, O, Z, S, V are never used)."""
USCC_WEIGHTS: tuple[int, ...] = tuple(pow(3, i, 31) for i in range(17))
"""W_i = 3^(i-1) mod 31. 31 is prime and no weight is 0 mod 31, so w·(a−b) ≢ 0 for any two distinct
characters a, b: every single-character substitution changes the check character."""
USCC_REG_DEPTS = frozenset("123456789ANY")
"""登记管理部门代码 (position 1): 1 机构编制 … 9 市场监管, A 中央军委改革和编制办公室, N 农业, Y 其他."""
USCC_PATTERN = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}")
_USCC_VALUE = {char: value for value, char in enumerate(USCC_CHARSET)}
_FORBIDDEN_LETTERS = "IOZSV"

# -- 组织机构代码 (GB 11714-1997) --------------------------------------------------------------------------
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_BODY = re.compile(r"[0-9A-Z]{8}")
_ORG_CODE = re.compile(r"(?P<body>[0-9A-Z]{8})-?(?P<check>[0-9X])")

# -- 公民身份号码 (GB 11643-1999) --------------------------------------------------------------------------
ID_WEIGHTS: tuple[int, ...] = tuple(pow(2, 17 - i, 11) for i in range(17))
"""W_i = 2^(18−i) mod 11 (ISO 7064 MOD 11-2): 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2."""
_ID_CHECK_CHARS = "10X98765432"
_ID18 = re.compile(r"[0-9]{17}[0-9Xx]")
_ID15 = re.compile(r"[0-9]{15}")
_EARLIEST_BIRTH_YEAR = 1800
# Province-level prefixes of GB/T 2260 (every revision since 1980) plus 83, the prefix of the 台湾居民居住证;
# 81/82 cover the 港澳居民居住证. ID address codes are those in force when the number was issued, so they are
# checked for structure only, never against today's catalogue.
_ID_PROVINCES = frozenset(
    str(n) for n in (11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50)
).union(str(n) for n in (51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83))

# -- 监管事项目录编码 / 检查实施清单编码 ---------------------------------------------------------------------
_ITEM_CODE = re.compile(r"[0-9]{14}")
_CHECKLIST_LEVELS = "12345"

# -- phones ------------------------------------------------------------------------------------------------
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_SERVICE = re.compile(r"1[0-2][0-9]{3}|9[56][0-9]{3}")
_HOTLINE = re.compile(r"[48]00[0-9]{7}")
_LOCAL_NUMBER = re.compile(r"[2-9][0-9]{6,7}")
_EXTENSION_MARK = re.compile(r"(?:转|分机|ext\.?|x|#)", re.IGNORECASE)
_PHONE_SEPARATORS = re.compile(r"[\s\-()]+")
_PHONE_ALLOWED = re.compile(r"[0-9+\s\-()]*")
_SEVERAL_NUMBERS = re.compile(r"[0-9]\s*[/,，;；、]\s*[0-9+]")

_HOST = re.compile(r"[\w.\-]+|\[[0-9A-Fa-f:.]+\]")


def _has_fullwidth(text: str) -> bool:
    """Full-width ASCII or the ideographic space: the caller skipped ``to_halfwidth``."""
    return any("\uff01" <= char <= "\uff5e" or char == "\u3000" for char in text)


# ==========================================================================================================
# 统一社会信用代码 and 组织机构代码
# ==========================================================================================================
def uscc_check_char(first17: str) -> str:
    """The 18th character of a USCC whose first 17 characters are ``first17`` (GB 32100 MOD 31)."""
    if len(first17) != 17 or any(char not in _USCC_VALUE for char in first17):
        raise ValueError(f"not 17 USCC characters: {first17!r}")
    total = sum(_USCC_VALUE[char] * weight for char, weight in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def org_code_check_char(body8: str) -> str:
    """The 9th character of a 组织机构代码 (GB 11714 MOD 11; letters A=10 … Z=35, 10 → X, 11 → 0)."""
    if not _ORG_BODY.fullmatch(body8):
        raise ValueError(f"not an 8-character 组织机构代码 body: {body8!r}")
    total = sum(int(char, 36) * weight for char, weight in zip(body8, ORG_CODE_WEIGHTS, strict=True))
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def make_org_code(body8: str) -> str:
    """``body8`` followed by its check character, without the hyphen (the form embedded in a USCC)."""
    return body8 + org_code_check_char(body8)


def make_uscc(reg_dept: str, org_type: str, region6: str, org_body8: str) -> str:
    """Assemble a valid USCC: both check characters are computed (the data simulator relies on this)."""
    if reg_dept not in USCC_REG_DEPTS or len(reg_dept) != 1:
        raise ValueError(f"unknown 登记管理部门代码 {reg_dept!r}")
    if len(org_type) != 1 or org_type not in _USCC_VALUE:
        raise ValueError(f"机构类别代码 must be one USCC character: {org_type!r}")
    if not re.fullmatch(r"[0-9]{6}", region6):
        raise ValueError(f"region must be 6 digits: {region6!r}")
    if len(org_body8) != 8 or any(char not in _USCC_VALUE for char in org_body8):
        raise ValueError(f"主体标识码 body must be 8 USCC characters: {org_body8!r}")
    first17 = reg_dept + org_type + region6 + make_org_code(org_body8)
    return first17 + uscc_check_char(first17)


def check_uscc(value: str) -> str | None:
    """None for a valid 统一社会信用代码, else what is wrong with it (first problem found)."""
    if not value:
        return "统一社会信用代码为空"
    if len(value) != 18:
        return f"统一社会信用代码长度错误：应为18位，实为{len(value)}位"
    problem = _charset_problem("统一社会信用代码", value)
    if problem:
        return problem
    if value[0] not in USCC_REG_DEPTS:
        return f"登记管理部门代码错误：{value[0]}"
    if not value[2:8].isdigit():
        return f"登记管理机关行政区划码错误：{value[2:8]}（应为6位数字）"
    return _uscc_check_problem(value)


def _charset_problem(label: str, value: str) -> str | None:
    """Name the first kind of character a USCC may not contain: full-width, lower case, I/O/Z/S/V, other.

    Position 18 is left to the check-character comparison, which then says what it should be.
    """
    if _has_fullwidth(value):
        return f"{label}含全角字符，须先转为半角"
    if any(char.islower() for char in value):
        return f"{label}含小写字母，须大写"
    bad = [char for char in value[:17] if char not in _USCC_VALUE]
    if not bad:
        return None
    forbidden = "".join(sorted({c for c in bad if c in _FORBIDDEN_LETTERS}))
    if forbidden:
        return f"{label}含非法字符：{forbidden}（不使用I、O、Z、S、V）"
    return f"{label}含非法字符：{''.join(sorted(set(bad)))}"


def _uscc_check_problem(value: str) -> str | None:
    """Both check characters; when both fail, both are named (the typo is then likely in positions 9–17)."""
    problems = []
    org_body, org_check = value[8:16], value[16]
    expected_org = org_code_check_char(org_body) if _ORG_BODY.fullmatch(org_body) else None
    if expected_org is not None and org_check != expected_org:
        problems.append(f"组织机构代码校验位错误（第17位应为{expected_org}）")
    expected = uscc_check_char(value[:17])
    if value[17] != expected:
        problems.append(f"统一社会信用代码校验位错误（第18位应为{expected}）")
    return "；".join(problems) or None


def check_org_code(value: str) -> str | None:
    """None for a valid 组织机构代码: 8 characters, an optional hyphen, and the GB 11714 check character."""
    if not value:
        return "组织机构代码为空"
    match = _ORG_CODE.fullmatch(value)
    if match is None:
        if _has_fullwidth(value):
            return "组织机构代码含全角字符，须先转为半角"
        return f"组织机构代码格式错误：应为8位数字或大写字母加1位校验码，实为{value[:20]}"
    expected = org_code_check_char(match["body"])
    if match["check"] != expected:
        return f"组织机构代码校验位错误（应为{expected}）"
    return None


# ==========================================================================================================
# 公民身份号码
# ==========================================================================================================
def id_check_char(first17: str) -> str:
    """The 18th character of a 公民身份号码 (GB 11643, ISO 7064 MOD 11-2)."""
    if not re.fullmatch(r"[0-9]{17}", first17):
        raise ValueError(f"not 17 digits: {first17!r}")
    total = sum(int(char) * weight for char, weight in zip(first17, ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def upgrade_id15(id15: str) -> str:
    """A 15-digit (pre-1999) number as 18 characters: 19 inserted before the birth year, check added."""
    if not _ID15.fullmatch(id15):
        raise ValueError(f"not a 15-digit 身份证号: {id15!r}")
    first17 = id15[:6] + "19" + id15[6:]
    return first17 + id_check_char(first17)


def make_id_number(region6: str, birth: date, seq3: int) -> str:
    """Assemble a valid 18-character number (used by the data simulator); odd ``seq3`` means male."""
    if not re.fullmatch(r"[0-9]{6}", region6):
        raise ValueError(f"region must be 6 digits: {region6!r}")
    if not 0 <= seq3 <= 999:
        raise ValueError(f"sequence must be 0–999: {seq3}")
    first17 = f"{region6}{birth.year:04d}{birth.month:02d}{birth.day:02d}{seq3:03d}"
    return first17 + id_check_char(first17)


def check_id_number(
    value: str, *, known_regions: Container[str] | None = None, today: date | None = None
) -> str | None:
    """None for a valid 公民身份号码 (18 characters, or 15 digits which are upgraded first).

    ``known_regions``: when given, the address code must be one of them (pass a catalogue that includes
    historical codes — numbers keep the code in force when they were issued). ``today``: when given, a birth
    date after it is an error; None skips that check, so the library never reads the clock by itself.
    """
    if not value:
        return "公民身份号码为空"
    if len(value) not in (15, 18):
        return f"公民身份号码长度错误：应为18位，实为{len(value)}位"
    if _has_fullwidth(value):
        return "公民身份号码含全角字符，须先转为半角"
    if len(value) == 15:
        if not _ID15.fullmatch(value):
            return "15位公民身份号码应全部为数字"
        value = upgrade_id15(value)
    elif not _ID18.fullmatch(value):
        return "公民身份号码格式错误：前17位应为数字，第18位为数字或X"
    return (
        _id_region_problem(value[:6], known_regions)
        or _id_birth_problem(value[6:14], today)
        or (_id_check_problem(value))
    )


def _id_region_problem(region: str, known_regions: Container[str] | None) -> str | None:
    if region[:2] not in _ID_PROVINCES or region == "000000":
        return f"公民身份号码地址码错误：{region}"
    if known_regions is not None and region not in known_regions:
        return f"公民身份号码地址码不在行政区划代码表中：{region}"
    return None


def _id_birth_problem(digits: str, today: date | None) -> str | None:
    try:
        birth = date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return f"公民身份号码出生日期不存在：{digits}"
    if birth.year < _EARLIEST_BIRTH_YEAR:
        return f"公民身份号码出生日期不合理：{digits}"
    if today is not None and birth > today:
        return f"公民身份号码出生日期晚于今天：{digits}"
    return None


def _id_check_problem(value: str) -> str | None:
    expected = id_check_char(value[:17])
    if value[17].upper() != expected:
        return f"公民身份号码校验位错误（第18位应为{expected}）"
    return None


def id_number_gender(value: str) -> Literal["1", "2"]:
    """GB/T 2261.1 gender of a valid number: "1" (male) for an odd sequence code, "2" (female) for even."""
    problem = check_id_number(value)
    if problem:
        raise ValueError(problem)
    sequence_digit = value[14] if len(value) == 15 else value[16]
    return "1" if int(sequence_digit) % 2 else "2"


def check_party_code(value: str, *, today: date | None = None) -> str | None:
    """A 行政相对人编码 is valid when it is a valid USCC or a valid 公民身份号码.

    When neither holds, the message of the kind the value most resembles is returned: a value of digits
    with a plausible birth date is reported as an ID number, anything else as a USCC.
    """
    id_problem = check_id_number(value, today=today)
    if id_problem is None:
        return None
    uscc_problem = check_uscc(value)
    if uscc_problem is None:
        return None
    return id_problem if _looks_like_id_number(value) else uscc_problem


def _looks_like_id_number(value: str) -> bool:
    if _ID15.fullmatch(value):
        return True
    if not re.fullmatch(r"[0-9]{17}.", value) or value[:2] not in _ID_PROVINCES:
        return False
    return value[6:8] in ("18", "19", "20") and "01" <= value[10:12] <= "12"


# ==========================================================================================================
# 行政区划代码 (GB/T 2260)
# ==========================================================================================================
RegionLevel = Literal["province", "prefecture", "county"]
_LEVELS: tuple[RegionLevel, ...] = ("province", "prefecture", "county")


@dataclass(frozen=True)
class Region:
    """One entry of ``codes/regions.yaml``."""

    code: str
    level: RegionLevel
    parent: str | None
    is_local: bool


def structural_level(code: str) -> RegionLevel | None:
    """The level a 6-digit code's shape implies (XX0000, XXXX00, other), or None when it cannot be a code."""
    if not re.fullmatch(r"[0-9]{6}", code) or code[:2] == "00":
        return None
    if code[2:] == "0000":
        return "province"
    if code[4:] == "00":
        return "prefecture"
    return None if code[2:4] == "00" else "county"


class RegionCatalog:
    """GB/T 2260 codes plus whitelisted local codes, built from ``codes/regions.yaml`` rows.

    The catalogue is data, never Python literals: codes change with every MCA revision, and local systems
    use non-GB codes (东湖高新区 420118) that only the schema file may admit.
    """

    def __init__(self, entries: Iterable[tuple[str, str, str | None, bool]]) -> None:
        self._regions: dict[str, Region] = {}
        for code, level, parent, is_local in entries:
            if code in self._regions:
                raise ValueError(f"region {code} is listed twice")
            self._regions[code] = _region(code, level, parent or None, bool(is_local))
        for region in self._regions.values():
            if region.parent is not None and region.parent not in self._regions:
                raise ValueError(f"region {region.code}: parent {region.parent} is not in the catalogue")

    def __contains__(self, code: object) -> bool:
        return code in self._regions

    def __len__(self) -> int:
        return len(self._regions)

    def check(self, code: str) -> str | None:
        """None when ``code`` is a well-formed code of the catalogue (local codes included)."""
        if not code:
            return "行政区划代码为空"
        if not re.fullmatch(r"[0-9]{6}", code):
            return f"行政区划代码应为6位数字：{code[:20]}"
        if structural_level(code) is None:
            return f"行政区划代码结构错误：{code}"
        if code not in self._regions:
            return f"行政区划代码不在代码表中：{code}"
        return None

    def level(self, code: str) -> RegionLevel | None:
        region = self._regions.get(code)
        return region.level if region else None

    def is_local(self, code: str) -> bool:
        region = self._regions.get(code)
        return bool(region and region.is_local)

    def province_of(self, code: str) -> str | None:
        """The province a known code belongs to (itself for a province); None for an unknown code."""
        return self._ancestor(code, "province")

    def prefecture_of(self, code: str) -> str | None:
        """The prefecture-level unit of a known county or prefecture; None for a province or when the county
        hangs directly under its province in the catalogue."""
        return self._ancestor(code, "prefecture")

    def _ancestor(self, code: str, level: RegionLevel) -> str | None:
        region = self._regions.get(code)
        seen: set[str] = set()
        while region is not None and region.code not in seen:
            if region.level == level:
                return region.code
            seen.add(region.code)
            region = self._regions.get(region.parent) if region.parent else None
        return None


def _region(code: str, level: str, parent: str | None, is_local: bool) -> Region:
    """Validate one catalogue row: a GB code's level must match its shape; local codes are trusted."""
    shape = structural_level(code)
    if shape is None:
        raise ValueError(f"region {code!r} is not a well-formed 6-digit code")
    if level not in _LEVELS:
        raise ValueError(f"region {code}: level {level!r} is not one of {_LEVELS}")
    if not is_local and level != shape:
        raise ValueError(f"region {code}: declared level {level} but the code's shape says {shape}")
    return Region(code, cast(RegionLevel, level), parent, is_local)


# ==========================================================================================================
# catalogue codes
# ==========================================================================================================
def check_item_code(value: str) -> str | None:
    """监管事项目录编码: exactly 14 digits (its inner structure is not published)."""
    if not value:
        return "监管事项目录编码为空"
    if not _ITEM_CODE.fullmatch(value):
        return f"监管事项目录编码应为14位数字：{value[:30]}"
    return None


def check_checklist_code(value: str) -> str | None:
    """检查实施清单编码: the agency's valid USCC, then the 行使层级 1–5, then more characters."""
    if not value:
        return "检查实施清单编码为空"
    if len(value) < 19:
        return f"检查实施清单编码长度错误：至少19位，实为{len(value)}位"
    prefix = value[:18]
    if not USCC_PATTERN.fullmatch(prefix):
        return f"检查实施清单编码前18位不是统一社会信用代码：{prefix}"
    problem = check_uscc(prefix)
    if problem:
        return f"检查实施清单编码前18位：{problem}"
    if value[18] not in _CHECKLIST_LEVELS:
        return f"检查实施清单编码第19位应为1–5：{value[18]}"
    return None


# ==========================================================================================================
# phones, URLs, ratios
# ==========================================================================================================
def normalise_phone(value: str) -> str | None:
    """The canonical form of a mainland number, or None when it is not one.

    Mobile → 13812345678; fixed line → 027-88888888 (with -123 for an extension); service numbers → 12345,
    95588; 400/800 hotlines → 4001234567. The canonical form is what tokens are computed over, so one number
    written as +86 138 1234 5678, 138-1234-5678 or (027)8888 8888 tokenises identically.
    """
    try:
        return _parse_phone(value)
    except _NotAPhone:
        return None


def check_phone(value: str) -> str | None:
    """None for a mainland mobile, fixed-line (with extension), service (12345, 95xxx) or 400/800 number."""
    try:
        _parse_phone(value)
    except _NotAPhone as problem:
        return str(problem)
    return None


class _NotAPhone(ValueError):
    """Why a value is not a phone number (internal: the public functions return None or the message)."""


def _parse_phone(value: str) -> str:
    """The canonical number; raises :class:`_NotAPhone` with the reason otherwise."""
    text = value.strip() if value else ""
    if not text:
        raise _NotAPhone("电话号码为空")
    if _has_fullwidth(text):
        raise _NotAPhone("电话号码含全角字符，须先转为半角")
    if _SEVERAL_NUMBERS.search(text):
        raise _NotAPhone("含多个电话号码，每个字段只填一个")
    main, extension = _split_extension(text)
    if not _PHONE_ALLOWED.fullmatch(main) or (extension and not extension.isdigit()):
        raise _NotAPhone(f"电话号码含非法字符：{value[:30]}")
    groups = [g for g in _PHONE_SEPARATORS.split(main) if g]
    digits, international = _strip_country_code("".join(groups))
    if international is None:
        raise _NotAPhone(f"电话号码格式错误：{value[:30]}")
    if not extension and not international and len(groups) == 3 and groups[0].startswith("0"):
        extension = _three_group_extension(groups)
        if extension:
            digits = groups[0] + groups[1]
    return _canonical(digits, extension, international, value)


def _split_extension(text: str) -> tuple[str, str]:
    parts = _EXTENSION_MARK.split(text, maxsplit=1)
    if len(parts) == 1:
        return text, ""
    return parts[0].strip(), parts[1].strip()


def _strip_country_code(digits: str) -> tuple[str, bool | None]:
    """Drop +86 / 0086 / 86; a bare 86 only before a mobile number (86xxxxxx is also a local number).

    Returns the national number and whether a country code was present; None when another country's code
    or a stray + is present.
    """
    if digits.startswith("+"):
        if not digits.startswith("+86"):
            return digits, None
        return digits[3:], True
    if "+" in digits:
        return digits, None
    if digits.startswith("0086"):
        return digits[4:], True
    if digits.startswith("86") and _MOBILE.fullmatch(digits[2:]):
        return digits[2:], True
    return digits, False


def _three_group_extension(groups: list[str]) -> str:
    """In 027-88888888-123 the last group is an extension; in 027 8888 8888 it is not."""
    area, local, last = groups
    if _area_code(area + local) == area and _LOCAL_NUMBER.fullmatch(local) and 1 <= len(last) <= 6:
        return last
    return ""


def _area_code(digits: str) -> str | None:
    """010 and 02x are three digits long, every other area code four (0xxx)."""
    if re.match(r"010|02[0-9]", digits):
        return digits[:3]
    if re.match(r"0[3-9][0-9]{2}", digits):
        return digits[:4]
    return None


def _canonical(digits: str, extension: str, international: bool, raw: str) -> str:
    if _MOBILE.fullmatch(digits) and not extension:
        return digits
    if not international and not extension and (_SERVICE.fullmatch(digits) or _HOTLINE.fullmatch(digits)):
        return digits
    if international and digits[:1] in "23456789":
        digits = "0" + digits  # +86 27 8888 8888: the trunk 0 is dropped in international form
    if digits.startswith("1"):
        raise _NotAPhone(f"手机号码格式错误：{raw[:30]}")
    if _LOCAL_NUMBER.fullmatch(digits):
        raise _NotAPhone(f"固定电话缺少区号：{raw[:30]}")
    area = _area_code(digits)
    if area is None:
        raise _NotAPhone(f"区号错误：{raw[:30]}")
    local = digits[len(area) :]
    if not _LOCAL_NUMBER.fullmatch(local):
        raise _NotAPhone(f"固定电话号码错误（7–8位，不以0或1开头）：{raw[:30]}")
    if extension and len(extension) > 6:
        raise _NotAPhone(f"分机号过长：{raw[:30]}")
    return f"{area}-{local}" + (f"-{extension}" if extension else "")


def check_url(value: str) -> str | None:
    """None for an absolute http(s) URL with a host."""
    if not value:
        return "网址为空"
    if any(char.isspace() for char in value):
        return "网址含空白字符"
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return f"网址格式错误：{value[:60]}"
    if parts.scheme.lower() not in ("http", "https"):
        return "网址应以http://或https://开头"
    host = parts.netloc.rsplit("@", 1)[-1]
    if port is not None:
        host = host.rsplit(":", 1)[0]
    if not host or not _HOST.fullmatch(host) or host.startswith((".", "-")) or ".." in host:
        return f"网址主机名错误：{value[:60]}"
    return None


def check_ratio(value: str | float | Decimal) -> str | None:
    """None for a number in [0, 1] (抽查比例). Percent signs are refused: 5% vs 0.05 must not be guessed."""
    if isinstance(value, bool):
        return "比例不是数字"
    if isinstance(value, str):
        text = value.strip()
        if text.endswith(("%", "％")):
            return "比例应写成0到1之间的小数，不用百分号"
        try:
            number = Decimal(text)
        except InvalidOperation:
            return f"比例不是数字：{text[:20]}"
    else:
        number = Decimal(str(value))
    if not number.is_finite():
        return "比例不是有限数值"
    if not 0 <= number <= 1:
        return f"比例应在0到1之间：{value}"
    return None


# ==========================================================================================================
# registry
# ==========================================================================================================
FORMAT_CHECKS: dict[str, FormatCheck] = {
    "uscc": check_uscc,
    "org_code": check_org_code,
    "id_number": check_id_number,
    "party_code": check_party_code,
    "item_code": check_item_code,
    "checklist_code": check_checklist_code,
    "phone": check_phone,
    "url": check_url,
    "ratio": check_ratio,
}
"""Checks of the ``format:`` values in schemas/README.md that need no dictionary (all but ``region_code``)."""


def make_format_checks(regions: RegionCatalog, *, today: date | None = None) -> dict[str, FormatCheck]:
    """Every format check, ``region_code`` bound to ``regions``.

    ``today`` (the batch's business date, passed in by the job) turns on the future-birth-date check of ID
    numbers; leaving it None keeps runs reproducible when old batches are replayed.
    """
    checks = dict(FORMAT_CHECKS)
    checks["region_code"] = regions.check
    if today is not None:
        checks["id_number"] = partial(check_id_number, today=today)
        checks["party_code"] = partial(check_party_code, today=today)
    return checks
