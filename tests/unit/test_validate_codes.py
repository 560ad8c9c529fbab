"""Check characters and code shapes (jianguan.validate.codes), with real codes and property-based tests."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jianguan.settings import PROJECT_ROOT
from jianguan.validate import (
    FORMAT_CHECKS,
    ID_WEIGHTS,
    USCC_CHARSET,
    USCC_REG_DEPTS,
    USCC_WEIGHTS,
    RegionCatalog,
    check_checklist_code,
    check_id_number,
    check_item_code,
    check_org_code,
    check_party_code,
    check_phone,
    check_ratio,
    check_url,
    check_uscc,
    id_check_char,
    id_number_gender,
    make_format_checks,
    make_id_number,
    make_org_code,
    make_uscc,
    normalise_phone,
    org_code_check_char,
    to_halfwidth,
    upgrade_id15,
    uscc_check_char,
)

VALID_USCC = ["91512081MA62K0260E", "91330203674737244W", "91330282L07196379D"]
VALID_IDS = ["11010519491231002X", "513101198201130014"]
ID_CHARS = "0123456789X"


# -- strategies ---------------------------------------------------------------------------------------------
def _chars(alphabet: str, size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet, min_size=size, max_size=size)


uscc_parts = st.tuples(
    st.sampled_from(sorted(USCC_REG_DEPTS)),
    st.sampled_from(USCC_CHARSET),
    _chars("0123456789", 6),
    _chars(USCC_CHARSET, 8),
)
generated_uscc = uscc_parts.map(lambda parts: make_uscc(*parts))
id_regions = st.tuples(st.sampled_from(["11", "32", "42", "51", "65", "81"]), _chars("0123456789", 4)).map(
    "".join
)
generated_id = st.builds(
    make_id_number,
    id_regions,
    st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)),
    st.integers(min_value=0, max_value=999),
)


def _substitute(code: str, position: int, char: str) -> str:
    return code[:position] + char + code[position + 1 :]


# ==========================================================================================================
# 统一社会信用代码
# ==========================================================================================================
@pytest.mark.parametrize("code", VALID_USCC)
def test_real_uscc_codes_are_valid(code: str) -> None:
    assert check_uscc(code) is None
    assert uscc_check_char(code[:17]) == code[17]
    assert org_code_check_char(code[8:16]) == code[16]


def test_published_invalid_uscc_is_rejected_with_the_expected_check_character() -> None:
    assert uscc_check_char("91350100M000100Y4") == "3"
    message = check_uscc("91350100M000100Y4Z")
    assert message is not None
    assert "统一社会信用代码校验位错误" in message
    assert "应为3" in message


def test_weights_are_the_published_ones() -> None:
    assert list(USCC_WEIGHTS) == [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    assert list(ID_WEIGHTS) == [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def test_uscc_weights_make_every_single_substitution_change_the_sum_mod_31() -> None:
    """Why substitutions are always caught: replacing value a by b at position i changes the weighted sum by
    w_i·(b−a). 31 is prime, w_i = 3^(i−1) is not a multiple of 31, and 0 < |b−a| < 31, so the product is
    never ≡ 0 (mod 31) and the expected check character changes. A substituted check character itself
    differs from the one the first 17 positions determine."""
    assert all(31 % k for k in range(2, 31)), "31 is prime"
    for weight in USCC_WEIGHTS:
        for difference in range(1, 31):
            assert weight * difference % 31 != 0


def test_id_weights_make_every_single_digit_substitution_change_the_sum_mod_11() -> None:
    for weight in ID_WEIGHTS:
        for difference in range(1, 10):
            assert weight * difference % 11 != 0


@pytest.mark.parametrize("code", VALID_USCC)
def test_every_single_substitution_of_a_real_uscc_is_detected(code: str) -> None:
    missed = [
        _substitute(code, position, char)
        for position in range(18)
        for char in USCC_CHARSET
        if char != code[position] and check_uscc(_substitute(code, position, char)) is None
    ]
    assert missed == []


@settings(max_examples=200)
@given(parts=uscc_parts)
def test_make_uscc_output_validates(parts: tuple[str, str, str, str]) -> None:
    code = make_uscc(*parts)
    assert len(code) == 18
    assert code[:8] == parts[0] + parts[1] + parts[2]
    assert check_uscc(code) is None
    assert check_org_code(code[8:17]) is None


@settings(max_examples=200)
@given(code=generated_uscc, position=st.integers(0, 17), char=st.sampled_from(USCC_CHARSET))
def test_single_substitution_of_a_generated_uscc_is_detected(code: str, position: int, char: str) -> None:
    mutated = _substitute(code, position, char)
    assert (check_uscc(mutated) is None) == (mutated == code)


@settings(max_examples=200)
@given(code=generated_uscc, position=st.integers(0, 15))
def test_adjacent_transposition_in_the_first_17_characters_is_detected(code: str, position: int) -> None:
    """w_i − w_(i+1) = −2·3^(i−1) is not a multiple of 31 either, so swaps of neighbours are caught too."""
    swapped = code[:position] + code[position + 1] + code[position] + code[position + 2 :]
    assert (check_uscc(swapped) is None) == (swapped == code)


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("91512081MA62K0260F", "统一社会信用代码校验位错误（第18位应为E）"),
        ("91512081MA62K0260", "长度错误：应为18位，实为17位"),
        ("91512081MA62K0260EE", "长度错误：应为18位，实为19位"),
        ("", "为空"),
        ("91512081MA62KI260E", "非法字符：I"),
        ("91512081MA62KO260E", "非法字符：O"),
        ("91512081MA62KZ260E", "非法字符：Z"),
        ("91512081MA62KS260E", "非法字符：S"),
        ("91512081MA62KV260E", "非法字符：V"),
        ("91512081MA62K-260E", "非法字符：-"),
        ("91512081ma62k0260e", "小写字母"),
        ("B1512081MA62K0260E", "登记管理部门代码错误：B"),
        ("915120A1MA62K0260E", "登记管理机关行政区划码错误"),
    ],
)
def test_broken_uscc_is_rejected_with_a_message_naming_the_problem(code: str, fragment: str) -> None:
    message = check_uscc(code)
    assert message is not None
    assert fragment in message


def test_full_width_uscc_needs_to_halfwidth_first() -> None:
    full_width = "９１５１２０８１ＭＡ６２Ｋ０２６０Ｅ"
    message = check_uscc(full_width)
    assert message is not None
    assert "全角" in message
    assert check_uscc(to_halfwidth(full_width)) is None


def test_embedded_organisation_code_is_checked_even_when_the_uscc_check_matches() -> None:
    first17 = "91512081MA62K0261"  # 组织机构代码 MA62K026-1: its check character should be 0
    code = first17 + uscc_check_char(first17)
    message = check_uscc(code)
    assert message == "组织机构代码校验位错误（第17位应为0）"


def test_a_typo_in_the_organisation_code_names_both_check_characters() -> None:
    message = check_uscc("91512081MA62K1260E")
    assert message is not None
    assert "组织机构代码校验位错误" in message
    assert "统一社会信用代码校验位错误" in message


@pytest.mark.parametrize(
    "args",
    [
        ("B", "1", "420100", "MA62K026"),  # unknown 登记管理部门
        ("9", "I", "420100", "MA62K026"),  # I is not a USCC character
        ("9", "1", "42010A", "MA62K026"),
        ("9", "1", "420100", "MA62K02"),
        ("9", "1", "420100", "MA62KO26"),
    ],
)
def test_make_uscc_refuses_parts_that_cannot_form_a_code(args: tuple[str, str, str, str]) -> None:
    with pytest.raises(ValueError):
        make_uscc(*args)


def test_make_uscc_reproduces_a_real_code() -> None:
    assert make_uscc("9", "1", "512081", "MA62K026") == "91512081MA62K0260E"


# ==========================================================================================================
# 组织机构代码
# ==========================================================================================================
@pytest.mark.parametrize("code", ["MA62K026-0", "MA62K0260", "67473724-4", "L0719637-9"])
def test_valid_organisation_codes(code: str) -> None:
    assert check_org_code(code) is None


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("MA62K026-1", "校验位错误（应为0）"),
        ("MA62K02-60", "格式错误"),
        ("MA62K026", "格式错误"),
        ("ＭＡ６２Ｋ０２６-０", "全角"),
        ("", "为空"),
    ],
)
def test_invalid_organisation_codes(code: str, fragment: str) -> None:
    message = check_org_code(code)
    assert message is not None
    assert fragment in message


def test_org_code_check_maps_10_to_x_and_11_to_0_and_letters_from_10() -> None:
    assert make_org_code("00000006") == "00000006X"  # Σ = 6·2 = 12 ≡ 1 → 11 − 1 = 10 → X
    assert make_org_code("00000000") == "000000000"  # Σ = 0 → 11 → 0
    assert make_org_code("00000001") == "000000019"  # Σ = 2 → 9
    assert make_org_code("A0000000") == "A00000003"  # A = 10: Σ = 30 ≡ 8 → 3
    assert make_org_code("Z0000000") == "Z00000005"  # Z = 35: Σ = 105 ≡ 6 → 5
    with pytest.raises(ValueError):
        make_org_code("a0000000")


# ==========================================================================================================
# 公民身份号码
# ==========================================================================================================
@pytest.mark.parametrize("number", [*VALID_IDS, "11010519491231002x", "110105491231002"])
def test_valid_id_numbers(number: str) -> None:
    assert check_id_number(number) is None


def test_fifteen_digit_number_is_upgraded() -> None:
    assert upgrade_id15("110105491231002") == "11010519491231002X"
    with pytest.raises(ValueError):
        upgrade_id15("11010549123100X")


@pytest.mark.parametrize(
    ("number", "fragment"),
    [
        ("110105194912310021", "校验位错误（第18位应为X）"),
        ("513101198201130015", "校验位错误（第18位应为4）"),
        ("11010519490230002X", "出生日期不存在"),
        ("110105194913310021", "出生日期不存在"),
        ("11010517491231002X", "出生日期不合理"),
        ("00010519491231002X", "地址码错误"),
        ("99010519491231002X", "地址码错误"),
        ("1101051949123100", "长度错误"),
        ("11010519491231002Y", "格式错误"),
        ("１１０１０５１９４９１２３１００２Ｘ", "全角"),
        ("11010549123100A", "全部为数字"),
        ("", "为空"),
    ],
)
def test_invalid_id_numbers(number: str, fragment: str) -> None:
    message = check_id_number(number)
    assert message is not None
    assert fragment in message


def test_future_birth_date_is_only_checked_when_today_is_given() -> None:
    number = make_id_number("420102", date(2030, 5, 1), 123)
    assert check_id_number(number) is None
    assert check_id_number(number, today=date(2030, 5, 1)) is None
    message = check_id_number(number, today=date(2030, 4, 30))
    assert message is not None
    assert "晚于" in message


def test_known_regions_restrict_the_address_code() -> None:
    assert check_id_number("11010519491231002X", known_regions={"110105"}) is None
    message = check_id_number("11010519491231002X", known_regions={"420102"})
    assert message is not None
    assert "地址码不在" in message


def test_gender_comes_from_the_parity_of_the_sequence_code() -> None:
    assert id_number_gender("11010519491231002X") == "2"  # sequence 002
    assert id_number_gender("513101198201130014") == "1"  # sequence 001
    assert id_number_gender("110105491231002") == "2"
    with pytest.raises(ValueError, match="校验位错误"):
        id_number_gender("110105194912310021")


@settings(max_examples=200)
@given(number=generated_id)
def test_make_id_number_output_validates(number: str) -> None:
    assert check_id_number(number) is None
    assert len(number) == 18


@given(region=id_regions, birth=st.dates(date(1900, 1, 1), date(2100, 12, 31)), seq=st.integers(0, 999))
def test_make_id_number_encodes_birth_and_gender(region: str, birth: date, seq: int) -> None:
    number = make_id_number(region, birth, seq)
    assert number[:6] == region
    assert number[6:14] == birth.strftime("%Y%m%d").zfill(8)
    assert id_number_gender(number) == ("1" if seq % 2 else "2")


@settings(max_examples=200)
@given(number=generated_id, position=st.integers(0, 17), char=st.sampled_from(ID_CHARS))
def test_single_substitution_of_an_id_number_is_detected(number: str, position: int, char: str) -> None:
    mutated = _substitute(number, position, char)
    assert (check_id_number(mutated) is None) == (mutated == number)


@pytest.mark.parametrize("number", VALID_IDS)
def test_every_single_substitution_of_a_real_id_number_is_detected(number: str) -> None:
    missed = [
        _substitute(number, p, c)
        for p in range(18)
        for c in ID_CHARS
        if c != number[p] and check_id_number(_substitute(number, p, c)) is None
    ]
    assert missed == []


def test_id_check_char_follows_the_published_map_for_every_remainder() -> None:
    """GB 11643: R = Σ a_i·W_i mod 11 maps 0–10 to 1, 0, X, 9, 8, 7, 6, 5, 4, 3, 2."""
    published = ["1", "0", "X", "9", "8", "7", "6", "5", "4", "3", "2"]
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    cases = [f"{'0' * 16}{d}" for d in range(10)] + ["00000000000000050"]
    remainders = set()
    for first17 in cases:
        remainder = sum(int(c) * w for c, w in zip(first17, weights, strict=True)) % 11
        remainders.add(remainder)
        assert id_check_char(first17) == published[remainder]
    assert remainders == set(range(11))


def test_id_check_char_refuses_non_digits() -> None:
    assert id_check_char("11010519491231002") == "X"
    with pytest.raises(ValueError):
        id_check_char("1101051949123100X")


# ==========================================================================================================
# 行政相对人编码
# ==========================================================================================================
@pytest.mark.parametrize("code", [*VALID_USCC, *VALID_IDS, "110105491231002"])
def test_party_code_accepts_uscc_and_id_numbers(code: str) -> None:
    assert check_party_code(code) is None


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("110105194912310021", "公民身份号码校验位错误"),
        ("91512081MA62K0260F", "统一社会信用代码校验位错误"),
        ("12345", "统一社会信用代码长度错误"),
    ],
)
def test_party_code_reports_the_kind_it_resembles(code: str, fragment: str) -> None:
    message = check_party_code(code)
    assert message is not None
    assert fragment in message


# ==========================================================================================================
# 行政区划代码
# ==========================================================================================================
@pytest.fixture
def regions() -> RegionCatalog:
    return RegionCatalog(
        [
            ("420000", "province", None, False),
            ("420100", "prefecture", "420000", False),
            ("420102", "county", "420100", False),
            ("420106", "county", "420100", False),
            ("420118", "county", "420100", True),  # 东湖高新区: local, not GB
            ("429000", "prefecture", "420000", False),
            ("429004", "county", "429000", False),
            ("429005", "county", "420000", False),  # a county hung directly under the province
        ]
    )


@pytest.mark.parametrize("code", ["420000", "420100", "420102", "420106", "420118", "429004"])
def test_catalogue_codes_are_valid(regions: RegionCatalog, code: str) -> None:
    assert regions.check(code) is None


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("420119", "不在代码表中"),
        ("430000", "不在代码表中"),
        ("42010", "应为6位数字"),
        ("42010A", "应为6位数字"),
        ("420003", "结构错误"),
        ("000000", "结构错误"),
        ("", "为空"),
    ],
)
def test_region_problems(regions: RegionCatalog, code: str, fragment: str) -> None:
    message = regions.check(code)
    assert message is not None
    assert fragment in message


def test_region_hierarchy(regions: RegionCatalog) -> None:
    assert regions.level("420102") == "county"
    assert regions.level("420100") == "prefecture"
    assert regions.level("420000") == "province"
    assert regions.level("420119") is None
    assert regions.province_of("420118") == "420000"
    assert regions.province_of("420000") == "420000"
    assert regions.prefecture_of("420106") == "420100"
    assert regions.prefecture_of("420100") == "420100"
    assert regions.prefecture_of("429004") == "429000"
    assert regions.prefecture_of("429005") is None
    assert regions.prefecture_of("420000") is None
    assert regions.province_of("999999") is None
    assert regions.is_local("420118")
    assert not regions.is_local("420102")
    assert "420118" in regions
    assert len(regions) == 8


@pytest.mark.parametrize(
    ("entries", "fragment"),
    [
        ([("420100", "county", None, False)], "shape says prefecture"),
        ([("420102", "county", "420100", False)], "parent 420100 is not in the catalogue"),
        ([("42010", "county", None, False)], "not a well-formed"),
        ([("420000", "state", None, False)], "level 'state'"),
        ([("420000", "province", None, False), ("420000", "province", None, True)], "listed twice"),
    ],
)
def test_inconsistent_catalogue_rows_are_refused(
    entries: list[tuple[str, str, str | None, bool]], fragment: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(fragment)):
        RegionCatalog(entries)


def test_local_codes_may_declare_a_level_their_shape_does_not_show() -> None:
    catalogue = RegionCatalog([("420000", "province", None, False), ("420190", "county", "420000", True)])
    assert catalogue.check("420190") is None


# ==========================================================================================================
# 监管事项目录编码 and 检查实施清单编码
# ==========================================================================================================
def test_item_code_is_14_digits() -> None:
    assert check_item_code("42000012345678") is None
    for bad in ["4200001234567", "420000123456789", "4200001234567A", ""]:
        assert check_item_code(bad) is not None


@pytest.mark.parametrize("code", ["91512081MA62K0260E1", "91512081MA62K0260E342000012345678001"])
def test_valid_checklist_codes(code: str) -> None:
    assert check_checklist_code(code) is None


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("91512081MA62K0260E", "至少19位"),
        ("91512081MA62K0260E6", "第19位应为1–5"),
        ("91512081MA62K0260E0", "第19位应为1–5"),
        ("91512081MA62K0260F3", "统一社会信用代码校验位错误"),
        ("9151208AMA62K0260E3", "不是统一社会信用代码"),
        ("91512081MA62KI260E3", "不是统一社会信用代码"),
    ],
)
def test_invalid_checklist_codes(code: str, fragment: str) -> None:
    message = check_checklist_code(code)
    assert message is not None
    assert fragment in message


# ==========================================================================================================
# phones, URLs, ratios
# ==========================================================================================================
@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("13812345678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("+8613812345678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("0086-138-1234-5678", "13812345678"),
        ("199 0000 1111", "19900001111"),
        ("027-88888888", "027-88888888"),
        ("02788888888", "027-88888888"),
        ("(027)8888 8888", "027-88888888"),
        ("+86 27 8888 8888", "027-88888888"),
        ("010-62345678", "010-62345678"),
        ("0710-3456789", "0710-3456789"),
        ("07103456789", "0710-3456789"),
        ("027-88888888-123", "027-88888888-123"),
        ("027-88888888转123", "027-88888888-123"),
        ("027 88888888 ext 8", "027-88888888-8"),
        ("12345", "12345"),
        ("12315", "12315"),
        ("95588", "95588"),
        ("400-123-4567", "4001234567"),
    ],
)
def test_valid_phones_normalise(raw: str, canonical: str) -> None:
    assert check_phone(raw) is None
    assert normalise_phone(raw) == canonical


def test_full_width_phone_needs_to_halfwidth_first() -> None:
    raw = "（０２７）８８８８８８８８"
    assert "全角" in (check_phone(raw) or "")
    assert normalise_phone(to_halfwidth(raw)) == "027-88888888"


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("1381234567", "手机号码格式错误"),
        ("138123456789", "手机号码格式错误"),
        ("12812345678", "手机号码格式错误"),
        ("88888888", "缺少区号"),
        ("001-88888888", "区号错误"),
        ("027-08888888", "固定电话号码错误"),
        ("027-888888", "固定电话号码错误"),
        ("027-88888888转1234567", "分机号过长"),
        ("13812345678/13912345678", "多个"),
        ("abc", "非法字符"),
        ("１３８１２３４５６７８", "全角"),
        ("+1 202 555 0123", "格式错误"),
        ("", "为空"),
    ],
)
def test_invalid_phones(raw: str, fragment: str) -> None:
    message = check_phone(raw)
    assert message is not None
    assert fragment in message
    assert normalise_phone(raw) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://www.gov.cn",
        "https://www.hubei.gov.cn/zwgk/x.shtml?id=1",
        "https://中国政府网.政务/",
        "http://10.1.2.3:8080/a",
    ],
)
def test_valid_urls(url: str) -> None:
    assert check_url(url) is None


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("www.gov.cn", "http://或https://"),
        ("ftp://www.gov.cn", "http://或https://"),
        ("http://", "主机名"),
        ("http://www..gov.cn", "主机名"),
        ("http://www.gov.cn/a b", "空白"),
        ("http://www.gov.cn:99999/", "格式错误"),
        ("", "为空"),
    ],
)
def test_invalid_urls(url: str, fragment: str) -> None:
    message = check_url(url)
    assert message is not None
    assert fragment in message


@pytest.mark.parametrize("value", ["0", "1", "0.25", " 0.05 ", "1.000", "1e-2", 0, 1, 0.3])
def test_ratios_in_range(value: str | float) -> None:
    assert check_ratio(value) is None


@pytest.mark.parametrize(
    ("value", "fragment"),
    [("1.01", "0到1之间"), ("-0.1", "0到1之间"), (2, "0到1之间"), ("5%", "百分号"), ("abc", "不是数字"),
     ("nan", "有限"), (True, "不是数字")],
)  # fmt: skip
def test_ratios_out_of_range(value: str | float, fragment: str) -> None:
    message = check_ratio(value)
    assert message is not None
    assert fragment in message


# ==========================================================================================================
# registry
# ==========================================================================================================
def _readme_formats() -> set[str]:
    text = (PROJECT_ROOT / "schemas" / "README.md").read_text(encoding="utf-8")
    section = text.split("### Formats", 1)[1].split("## ", 1)[0]
    return set(re.findall(r"^\| `(\w+)` \|", section, flags=re.MULTILINE))


def test_registry_covers_every_format_of_the_standard(regions: RegionCatalog) -> None:
    formats = _readme_formats()
    assert "region_code" in formats
    assert set(FORMAT_CHECKS) == formats - {"region_code"}
    assert set(make_format_checks(regions)) == formats


def test_registry_checks_behave(regions: RegionCatalog) -> None:
    checks = make_format_checks(regions)
    assert checks["region_code"]("420118") is None
    assert checks["region_code"]("420119") is not None
    assert checks["uscc"]("91512081MA62K0260E") is None
    assert checks["party_code"]("11010519491231002X") is None


def test_registry_with_today_checks_future_births(regions: RegionCatalog) -> None:
    number = make_id_number("420102", date(2027, 1, 1), 1)
    assert FORMAT_CHECKS["id_number"](number) is None
    checks = make_format_checks(regions, today=date(2026, 11, 2))
    assert checks["id_number"](number) is not None
    assert checks["party_code"](number) is not None
