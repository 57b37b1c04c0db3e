"""The languages icop handles and how their scripts are written: one definition for the keyword
lists, the corpus generator, training checks and the reports."""

from __future__ import annotations

import regex

#: The languages icop ships lists and vocabularies for (BCP-47), with the script each is written in.
LANGUAGES: dict[str, str] = {
    "th": "thai",
    "km": "khmer",
    "my": "myanmar",
    "vi": "latin",
    "fil": "latin",
    "ms": "latin",
    "id": "latin",
    "zh": "han",
    "ja": "kana",
    "ru": "cyrillic",
    "en": "latin",
}
#: Languages whose script is written without spaces between words.
UNSPACED_LANGUAGES = frozenset({"th", "km", "my", "zh", "ja"})
#: Scripts written without spaces, as regex property classes. A ZWSP next to the first four
#: marks a word boundary; keyword entries in any of them match as bounded substrings.
ZWSP_BOUNDARY_SCRIPTS = r"\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}"
UNSPACED_SCRIPTS = ZWSP_BOUNDARY_SCRIPTS + r"\p{Han}\p{Hiragana}\p{Katakana}"
UNSPACED_RE = regex.compile(f"[{UNSPACED_SCRIPTS}]")
