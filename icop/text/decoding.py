"""Bytes to text: strict UTF-8 first, then the legacy code pages that P2P names really arrive in.

Generic charset detection guesses wrong on short names, so the candidates are the code pages of
icop's languages, and the winner is the one whose output is most plausibly *one* script
(docs/NORMALIZATION.md, step 0). Nothing here raises on any input.
"""

from __future__ import annotations

import codecs
import contextlib
import unicodedata
from dataclasses import dataclass

import regex

#: Fallback code pages, each with the characters its non-ASCII output should be (for cp1258,
#: the Vietnamese letters and tone marks, not all of Latin-1). Order breaks ties.
FALLBACK_CODEPAGES: tuple[tuple[str, str], ...] = (
    ("cp874", r"\p{Thai}"),
    ("cp1258", r"[ÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝàáâãèéêìíòóôõùúýĂăĐđƠơƯư\u0300\u0301\u0303\u0309\u0323]"),
    ("cp1251", r"\p{Cyrillic}"),
    ("cp932", r"[\p{Han}\p{Hiragana}\p{Katakana}]"),
    ("gbk", r"\p{Han}"),
    ("big5", r"\p{Han}"),
)
_SCRIPT_RES = {codec: regex.compile(pattern) for codec, pattern in FALLBACK_CODEPAGES}
_NON_ASCII_RE = regex.compile(r"[^\x00-\x7f]")
#: Tokens mixing ASCII letters with the code page's own letters: typical of a wrong guess.
_MIXED_TOKEN_RE = regex.compile(r"[a-zA-Z][^\x00-\x7f\s]|[^\x00-\x7f\s][a-zA-Z]")
#: Thai sequences no writer produces: a mark or SARA AM with no consonant before it, a leading
#: vowel with no consonant after it. Seeing them means the code page guess is wrong.
_THAI_BAD_RE = regex.compile(
    r"(?<![\u0e01-\u0e2e\u0e31\u0e34-\u0e3a\u0e47-\u0e4e])[\u0e31\u0e34-\u0e3a\u0e47-\u0e4e]"
    r"|(?<![\u0e01-\u0e2e\u0e48-\u0e4b])\u0e33"
    r"|[\u0e40-\u0e44](?![\u0e01-\u0e2e])"
    r"|[\u0e4f\u0e5a\u0e5b]"
)
#: The "common characters" byte ranges of each CJK code page (level-1 hanzi/kanji, kana).
_COMMON_CJK = {
    "gbk": ("gb2312", lambda b: 0xB0 <= b[0] <= 0xD7),
    "big5": ("big5", lambda b: 0xA4 <= b[0] <= 0xC6),
    "cp932": ("cp932", lambda b: 0x82 <= b[0] <= 0x83 or 0x88 <= b[0] <= 0x98),
}
#: A fallback must score at least this (share of plausible non-ASCII characters).
MIN_PLAUSIBILITY = 0.8
#: Byte-order marks a file may start with, and the codec each announces (the UTF-32 marks
#: first: UTF-32LE's begins with UTF-16LE's).
BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


@dataclass(frozen=True)
class Decoded:
    text: str
    codec: str  # "utf-8", a fallback code page, or "utf-8-replace"
    invalid_bytes: int = 0

    @property
    def fallback(self) -> bool:
        return self.codec != "utf-8"


def decode(data: bytes) -> Decoded:
    """Decode a raw filename; invalid bytes become U+FFFD and are counted, never raised."""
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    best = _most_plausible_codepage(data)
    if best is not None:
        return best
    text = data.decode("utf-8", errors="replace")
    return Decoded(text, "utf-8-replace", invalid_bytes=_count_invalid(data))


def sniff_bom(head: bytes) -> tuple[int, str | None]:
    """(length of the byte-order mark ``head`` starts with, the codec it announces), or (0, None)."""
    for bom, codec in BOMS:
        if head.startswith(bom):
            return len(bom), codec
    return 0, None


def _most_plausible_codepage(data: bytes) -> Decoded | None:
    candidates = []
    for rank, (codec, _) in enumerate(FALLBACK_CODEPAGES):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        score = _plausibility(text, codec)
        if score >= MIN_PLAUSIBILITY:
            candidates.append((-round(score, 6), rank, Decoded(text, codec)))
    return min(candidates)[2] if candidates else None


def _plausibility(text: str, codec: str) -> float:
    """Share of non-ASCII characters that read as natural text in the code page's script."""
    non_ascii = "".join(_NON_ASCII_RE.findall(text))
    if not non_ascii:
        return 0.0
    score = len(_SCRIPT_RES[codec].findall(non_ascii)) / len(non_ascii)
    if codec == "cp1258" and _accented_letter_share(text) > 0.7:
        return 0.0  # real Vietnamese keeps a good share of its letters plain ASCII
    if codec != "cp1258":
        score -= len(_MIXED_TOKEN_RE.findall(text)) / len(non_ascii)
    if codec == "cp874":
        score -= 2 * len(_THAI_BAD_RE.findall(text)) / len(non_ascii)
    if codec in _COMMON_CJK:
        score *= _common_cjk_share(non_ascii, *_COMMON_CJK[codec])
    return score


def _accented_letter_share(text: str) -> float:
    letters = [c for c in unicodedata.normalize("NFC", text) if c.isalpha()]
    return sum(not c.isascii() for c in letters) / max(len(letters), 1)


def _common_cjk_share(non_ascii: str, codec: str, is_common) -> float:
    common = 0
    for ch in non_ascii:
        with contextlib.suppress(UnicodeEncodeError):
            common += is_common(ch.encode(codec))
    return common / len(non_ascii)


def _count_invalid(data: bytes) -> int:
    """Bytes that strict UTF-8 rejects (each maximal invalid subsequence counts its bytes)."""
    count, start = 0, 0
    while start < len(data):
        try:
            data[start:].decode("utf-8")
            break
        except UnicodeDecodeError as err:
            count += err.end - err.start
            start += err.end
    return count
