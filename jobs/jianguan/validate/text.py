"""Text normalisation shared by the validators, the rule engine, tokenising and entity resolution.

Departments type into Chinese input methods, so codes and numbers arrive with full-width digits (１２３), the
ideographic space, non-breaking spaces and invisible zero-width characters pasted from web pages. These
functions undo exactly that and nothing more: NFKC is deliberately *not* used, because it also rewrites CJK
compatibility ideographs and full-width CJK punctuation that SAMR keeps in names (for example （）).
"""

from __future__ import annotations

import re

__all__ = ["normalise_code", "normalise_company_name", "normalise_text", "to_halfwidth"]

_FULLWIDTH_FIRST = 0xFF01
_FULLWIDTH_LAST = 0xFF5E
_FULLWIDTH_OFFSET = 0xFEE0
_HALFWIDTH_TABLE: dict[int, int] = {
    **{cp: cp - _FULLWIDTH_OFFSET for cp in range(_FULLWIDTH_FIRST, _FULLWIDTH_LAST + 1)},
    0x3000: 0x20,
}
_ZERO_WIDTH = re.compile("[\u200b-\u200d\ufeff]")
_WHITESPACE_RUN = re.compile(r"[\s\u00a0\u3000]+")
_NAME_EDGE_PUNCTUATION = ".,;:!?'\"`~、。，；：！？“”‘’…·-_—*"


def to_halfwidth(s: str) -> str:
    """Map full-width ASCII (U+FF01–U+FF5E) to ASCII and the ideographic space to a space.

    One character in, one character out: positions in the result match positions in the input, which lets
    :func:`jianguan.privacy.mask` find numbers in a half-width copy and mask them in the original text.
    """
    return s.translate(_HALFWIDTH_TABLE)


def normalise_text(s: str | None) -> str | None:
    """Half-width, no zero-width characters, single spaces, trimmed; None when nothing is left.

    Empty strings become None so that "missing" has one representation downstream.
    """
    if s is None:
        return None
    text = _ZERO_WIDTH.sub("", to_halfwidth(s))
    text = _WHITESPACE_RUN.sub(" ", text).strip()
    return text or None


def normalise_code(s: str) -> str:
    """Half-width, every whitespace and zero-width character removed, upper-cased.

    For identifiers typed by hand (统一社会信用代码, 身份证号 with a lower-case x). Hyphens are kept: whether
    one is allowed is the validator's business (组织机构代码 may carry one, a USCC may not).
    """
    text = _ZERO_WIDTH.sub("", to_halfwidth(s))
    return _WHITESPACE_RUN.sub("", text).upper()


def normalise_company_name(s: str | None) -> str | None:
    """A matching key for an organisation name, written the way SAMR registers names.

    Half-width first (so （ and ( become the same character), then every parenthesis is written full-width
    （）, whitespace is removed, and punctuation at either end is dropped (a trailing 。 or a pair of
    quotes is an artefact of copying, never part of a registered name). Brackets at the end are kept:
    names such as 某某有限公司（加油站） end with one. Returns None when nothing is left.
    """
    if s is None:
        return None
    text = _ZERO_WIDTH.sub("", to_halfwidth(s))
    text = _WHITESPACE_RUN.sub("", text)
    text = text.replace("(", "（").replace(")", "）")
    text = text.strip(_NAME_EDGE_PUNCTUATION)
    return text or None
