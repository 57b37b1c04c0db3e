"""The import-time Unicode tables, built with C-level scans for start-up speed, equal the plain
character-by-character definition they stand for."""

import unicodedata

from icop.text import charsets
from icop.text import normalize as normalize_module


def test_code_point_text():
    assert charsets.code_point_text([0x41, 0x1F600, 0xD800]) == "A\U0001f600\ud800"
    assert charsets.code_point_text(range(0x61, 0x64), nul_after_each=True) == "a\0b\0c\0"
    assert charsets.code_point_text([]) == ""


def _plain_tables():
    base = set(charsets.SEPARATORS) | set(charsets._EXTRA_SEPARATORS)
    separators, invisibles, digits = set(), [], {}
    for cp in (*range(0xD800), *range(0xE000, 0x20000), *range(0xE0000, 0xE0200)):
        ch, cat = chr(cp), unicodedata.category(chr(cp))
        folded = unicodedata.normalize("NFKC", ch).casefold()
        if cat[0] in "PZSC" and (ch in base or (folded and all(c in base for c in folded))):
            separators.add(ch)
        elif (cat in ("Cc", "Cf") or cp in charsets._INVISIBLE_MARKS) and ch != charsets.ZWSP:
            invisibles.append(cp)
        elif cat == "Nd" and not ch.isascii() and not 0x1090 <= cp <= 0x1099:
            digits[cp] = str(unicodedata.digit(ch))
    del digits[ord(charsets.MYANMAR_ZERO)]
    return separators, invisibles, digits


def test_tables_equal_the_per_character_definition():
    separators, invisibles, digits = _plain_tables()
    assert separators == charsets.SEPARATOR_CHARS
    assert list(charsets.INVISIBLE_TABLE) == invisibles and set(charsets.INVISIBLE_TABLE.values()) == {None}
    assert digits == charsets.DIGIT_TABLE


def test_foldable_points_are_the_marks_every_decomposition_holding_one_and_the_fold_table():
    marked = {cp for cp in range(0xC0, 0x20000) if any("\u0300" <= c <= "\u036f" for c in unicodedata.normalize("NFD", chr(cp)))}
    expected = set(range(0x300, 0x370)) | marked | set(normalize_module._FOLD_TABLE)
    assert set(normalize_module._foldable_points()) == expected and len(marked) > 900
