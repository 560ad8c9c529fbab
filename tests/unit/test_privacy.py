"""Tokens and masks of personal data (jianguan.privacy) against schemas/pii.yaml."""

from __future__ import annotations

import hashlib
import hmac
import re

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from jianguan.privacy import MASKS, TOKENISED_CLASSES, mask, token_key, tokenise
from jianguan.settings import PROJECT_ROOT

SECRET = "test-secret"
TOKEN = re.compile(r"tk_[0-9a-f]{32}")


def _pii_classes() -> list[dict[str, str]]:
    document = yaml.safe_load((PROJECT_ROOT / "schemas" / "pii.yaml").read_text(encoding="utf-8"))
    classes: list[dict[str, str]] = document["classes"]
    return classes


# ==========================================================================================================
# tokens
# ==========================================================================================================
def test_token_is_a_truncated_hmac_sha256_of_the_normalised_value() -> None:
    expected = hmac.new(b"test-secret", b"11010519491231002X", hashlib.sha256).hexdigest()[:32]
    assert tokenise("11010519491231002X", SECRET, pii_class="id_number") == "tk_" + expected


@pytest.mark.parametrize(
    ("pii_class", "variants"),
    [
        (
            "id_number",
            [
                "11010519491231002X",
                "11010519491231002x",
                " 110105 19491231002X ",
                "110105491231002",
                "１１０１０５４９１２３１００２",
            ],
        ),
        (
            "phone",
            ["13812345678", "+86 138 1234 5678", "138-1234-5678", "8613812345678", "１３８１２３４５６７８"],
        ),
        ("phone", ["027-88888888", "02788888888", "(027) 8888 8888", "+86 27 8888 8888"]),
        ("name", ["张三丰", " 张 三丰 ", "张\u3000三丰", "\u200b张三丰"]),
        ("name", ["阿依古丽·买买提", "阿依古丽•买买提", "阿依古丽・买买提", "阿依古丽．买买提"]),
    ],
)
def test_one_person_has_one_token_across_spellings(pii_class: str, variants: list[str]) -> None:
    tokens = {tokenise(v, SECRET, pii_class=pii_class) for v in variants}
    assert len(tokens) == 1
    assert TOKEN.fullmatch(tokens.pop())


def test_different_people_have_different_tokens() -> None:
    assert tokenise("11010519491231002X", SECRET, pii_class="id_number") != tokenise(
        "513101198201130014", SECRET, pii_class="id_number"
    )
    assert tokenise("张三丰", SECRET, pii_class="name") != tokenise("张三", SECRET, pii_class="name")


def test_normalised_keys() -> None:
    assert token_key("110105491231002", "id_number") == "11010519491231002X"
    assert token_key("(027)8888-8888", "phone") == "027-88888888"
    assert token_key("not a phone", "phone") == "notaphone"
    assert token_key(" 张 三 ", "name") == "张三"


def test_str_and_bytes_secrets_are_the_same_key() -> None:
    assert tokenise("张三", SECRET, pii_class="name") == tokenise("张三", SECRET.encode(), pii_class="name")


@pytest.mark.parametrize(
    ("value", "secret", "pii_class", "message"),
    [
        ("张三", "", "name", "secret is empty"),
        ("张三", b"", "name", "secret is empty"),
        ("  ", SECRET, "name", "empty value"),
        ("湖北省武汉市", SECRET, "address", "not tokenised"),
        ("x", SECRET, "nickname", "not tokenised"),
    ],
)
def test_tokenise_refuses(value: str, secret: str | bytes, pii_class: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        tokenise(value, secret, pii_class=pii_class)


@given(
    value=st.text(min_size=1).filter(lambda v: v.strip() != ""),
    secret_a=st.binary(min_size=1, max_size=64),
    secret_b=st.binary(min_size=1, max_size=64),
    pii_class=st.sampled_from(sorted(TOKENISED_CLASSES)),
)
def test_tokenise_is_deterministic_and_keyed(
    value: str, secret_a: bytes, secret_b: bytes, pii_class: str
) -> None:
    try:
        first = tokenise(value, secret_a, pii_class=pii_class)
    except ValueError:
        return  # nothing left after normalisation (only zero-width characters, …)
    assert TOKEN.fullmatch(first)
    assert tokenise(value, secret_a, pii_class=pii_class) == first
    if hmac.new(secret_a, b"", hashlib.sha256).digest() != hmac.new(secret_b, b"", hashlib.sha256).digest():
        assert tokenise(value, secret_b, pii_class=pii_class) != first


def test_every_tokenised_class_of_pii_yaml_has_a_normaliser() -> None:
    tokenised = {c["name"] for c in _pii_classes() if "token" in c["treatment"]}
    assert tokenised == set(TOKENISED_CLASSES)


# ==========================================================================================================
# masks
# ==========================================================================================================
def test_every_mask_of_pii_yaml_is_implemented() -> None:
    named = {c["mask"] for c in _pii_classes() if "mask" in c["treatment"]}
    assert named == set(MASKS)


def test_pii_yaml_examples() -> None:
    assert mask("张三丰", "keep_first_char") == "张**"
    assert mask("420102199001011234", "keep_first6_last4") == "420102********1234"
    assert mask("13812345678", "keep_first3_last4") == "138****5678"


def test_unknown_mask_method_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown mask method 'keep_all'"):
        mask("张三", "keep_all")


@pytest.mark.parametrize(
    ("method", "value", "masked"),
    [
        ("keep_first_char", "张三", "张*"),
        ("keep_first_char", "欧阳 娜娜", "欧***"),
        ("keep_first_char", "张", "*"),
        ("keep_first_char", "", ""),
        ("keep_first6_last4", "11010519491231002x", "110105********002X"),
        ("keep_first6_last4", "110105491231002", "110105*****1002"),
        ("keep_first6_last4", "E12345678", "E1*****78"),  # too short to keep 10: at most a quarter each end
        ("keep_first3_last4", "+86 138-1234-5678", "138****5678"),
        ("keep_first3_last4", "027-88888888", "027-****8888"),
        ("keep_first3_last4", "12345", "1***5"),
    ],
)
def test_masks(method: str, value: str, masked: str) -> None:
    assert mask(value, method) == masked


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("湖北省武汉市武昌区中南路99号", "湖北省武汉市武昌区***"),
        ("湖北省 武汉市 洪山区 珞瑜路1037号", "湖北省武汉市洪山区***"),
        ("武汉市江岸区沿江大道188号", "武汉市江岸区***"),
        ("江岸区沿江大道188号", "江岸区***"),
        ("北京市海淀区中关村大街1号", "北京市海淀区***"),
        ("湖北省仙桃市干河街道建设社区5组", "湖北省仙桃市***"),
        ("湖北省宜昌市长阳土家族自治县龙舟坪镇", "湖北省宜昌市长阳土家族自治县***"),
        ("湖北省恩施土家族苗族自治州恩施市舞阳坝街道", "湖北省恩施土家族苗族自治州恩施市***"),
        ("湖北省武汉市东湖新技术开发区光谷大道1号", "湖北省武汉市东湖新技术开发区***"),
        ("广西壮族自治区南宁市青秀区民族大道", "广西壮族自治区南宁市青秀区***"),
        ("内蒙古自治区锡林郭勒盟锡林浩特市", "内蒙古自治区锡林郭勒盟锡林浩特市***"),
        ("四川省乐山市市中区嘉定路", "四川省乐山市市中区***"),
        ("河南省新乡市红旗区", "河南省新乡市红旗区***"),
        ("江苏省镇江市京口区", "江苏省镇江市京口区***"),
        ("武汉市光谷大道金色家园小区3栋", "武汉市***"),
        ("珞瑜路1037号华中科技大学", "珞瑜路103***"),
        ("金色家园小区3栋", "金色家园***"),
        ("", ""),
    ],
)
def test_keep_to_county(address: str, masked: str) -> None:
    assert mask(address, "keep_to_county") == masked


def test_redact_embedded_masks_ids_and_phones_and_keeps_the_rest() -> None:
    text = (
        "投诉人张三，身份证420102199001011234，电话13812345678或+86 139 1234 5678，"
        "座机(027)88888888，旧证110105491231002；订单号202601051234567890123，金额12345元。"
    )
    assert mask(text, "redact_embedded") == (
        "投诉人张三，身份证420102********1234，电话138****5678或+86 139 **** 5678，"
        "座机(027)****8888，旧证110105*****1002；订单号202601051234567890123，金额12345元。"
    )


def test_redact_embedded_finds_full_width_digits_and_wrong_check_characters() -> None:
    assert (
        mask("身份证４２０１０２１９９００１０１１２３５号", "redact_embedded")
        == "身份证420102********1235号"
    )
    assert mask("手机１３８１２３４５６７８", "redact_embedded") == "手机138****5678"


@given(st.text(alphabet=st.characters(blacklist_categories=("Nd",)), max_size=50))
def test_redact_embedded_leaves_text_without_digits_unchanged(text: str) -> None:
    assert mask(text, "redact_embedded") == text
