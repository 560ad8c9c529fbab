"""Which text encoding a landed file really uses, checked against what its feed declares.

Departments declare an encoding per feed, but files arrive re-saved by hand (GBK declared, UTF-8 delivered, or
a BOM added by Excel). A file is trusted only when exactly one candidate decodes it: a UTF-8 BOM settles it (if
UTF-8 decodes what follows); else the declared encoding, if it decodes; else the single other candidate that
decodes. ASCII-only content decodes in every candidate, which is harmless. A file that decodes except for an
incomplete last character was cut off (``file_truncated``). Otherwise the file is quarantined with a clear reason.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

from jianguan.errors import SourceFileError

CANDIDATES = ("utf-8", "gb18030")
"""GB18030 is a superset of GBK, so it decodes every GBK file; UTF-8 and GB18030 rarely both decode CJK text."""
SAMPLE_BYTES = 4 * 1024 * 1024
MIN_NON_ASCII_FOR_UTF8 = 12
"""Valid UTF-8 with at least this many non-ASCII bytes is UTF-8, whatever a GB-family declaration says."""


@dataclass(frozen=True)
class EncodingDecision:
    encoding: str
    note: str | None = None
    """A warning for the ingestion log when the file did not use the declared encoding."""


def _decodes(data: bytes, encoding: str, *, final: bool) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        decoder.decode(data, final=final)
    except UnicodeDecodeError:
        return False
    return True


def _looks_like_utf8(sample: bytes, at_end: bool) -> bool:
    non_ascii = sum(byte >= 0x80 for byte in sample[:65536])
    return non_ascii >= MIN_NON_ASCII_FOR_UTF8 and _decodes(sample, "utf-8", final=at_end)


def _family(encoding: str) -> str:
    return "gb" if encoding in {"gbk", "gb18030", "gb2312"} else encoding.replace("-sig", "")


def _refuse_cut_character(path: Path, sample: bytes, encoding: str, at_end: bool) -> None:
    """A whole file that decodes except for an incomplete last character was cut off in transfer.

    Said so explicitly: otherwise another candidate may "decode" it into nonsense or it is reported as an
    unknown encoding, and the department fixes its encoding instead of resending the file.
    """
    if at_end and _decodes(sample, encoding, final=False) and not _decodes(sample, encoding, final=True):
        raise SourceFileError(
            str(path), f"文件被截断：末尾字符不完整（按{encoding}编码）", rule_id="file_truncated"
        )


def decide_encoding(path: Path, declared: str) -> EncodingDecision:
    with path.open("rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
        at_end = not handle.read(1)
    if sample.startswith(codecs.BOM_UTF8):
        _refuse_cut_character(path, sample, "utf-8", at_end)
        if not _decodes(sample, "utf-8", final=at_end):
            raise SourceFileError(
                str(path), "文件带UTF-8 BOM，但内容不是有效的UTF-8，编码无法识别", rule_id="file_encoding"
            )
        note = None if declared in {"utf-8", "utf-8-sig"} else f"声明编码为{declared}，文件实际为UTF-8(BOM)"
        return EncodingDecision("utf-8-sig", note)
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise SourceFileError(str(path), "文件为UTF-16编码，不在约定编码之内", rule_id="file_encoding")
    declared_plain = "utf-8" if declared == "utf-8-sig" else declared
    if _decodes(sample, declared_plain, final=at_end):
        if _family(declared_plain) == "gb" and _looks_like_utf8(sample, at_end):
            # UTF-8 CJK often also decodes as GBK (into nonsense); the reverse is vanishingly rare.
            return EncodingDecision("utf-8", f"声明编码为{declared}，文件实际为utf-8")
        return EncodingDecision(declared_plain)
    _refuse_cut_character(path, sample, declared_plain, at_end)
    working = [
        c for c in CANDIDATES if _family(c) != _family(declared_plain) and _decodes(sample, c, final=at_end)
    ]
    if len(working) == 1:
        return EncodingDecision(working[0], f"声明编码为{declared}，文件实际为{working[0]}")
    if not working:
        raise SourceFileError(str(path), f"文件编码无法识别（声明为{declared}）", rule_id="file_encoding")
    raise SourceFileError(
        str(path), f"文件编码有歧义（声明为{declared}，可按{'/'.join(working)}解码）", rule_id="file_encoding"
    )
