"""Entity keys: the name normalisation that attaches rows without a USCC to a registered legal person."""

from __future__ import annotations

import pytest

pytest.importorskip("pyspark")

from jianguan.risk.indicators import lexicon_hit
from jianguan.risk.inputs import name_key


@pytest.mark.parametrize(
    "variant",
    [
        "武汉某某医药有限公司",
        "武汉某某医药有限责任公司",
        "武汉某某 医药有限公司",
        "\u3000武汉某某医药有限公司 ",
    ],
)
def test_name_variants_share_a_key(variant: str) -> None:
    assert name_key(variant) == "武汉某某医药有限公司"


def test_brackets_are_half_width() -> None:
    assert (
        name_key("某某科技（武汉）股份公司")
        == name_key("某某科技(武汉)股份有限公司")
        == "某某科技(武汉)股份有限公司"
    )


def test_different_names_differ_and_blank_is_none() -> None:
    assert name_key("武汉甲药房有限公司") != name_key("武汉乙药房有限公司")
    assert name_key("  ") is None
    assert name_key(None) is None


def test_lexicon_hits_ignore_inserted_spaces() -> None:
    assert lexicon_hit("本产品 保本 保息，年化收益高", ("保本保息",))
    assert not lexicon_hit("本店支持七天无理由退货", ("保本保息", "无效退款"))
    assert not lexicon_hit(None, ("保本",))
