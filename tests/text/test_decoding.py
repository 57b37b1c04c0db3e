import unicodedata

import pytest

from icop.text.decoding import decode


@pytest.mark.parametrize(
    "text, codec",
    [
        ("свадьба", "cp1251"),
        ("Свадьба 2019", "cp1251"),
        ("ภาพยนตร์", "cp874"),
        ("งานแต่งงาน", "cp874"),
        ("ตอนที่๑", "cp874"),
        ("映画 カラオケ", "cp932"),
        ("結婚式", "cp932"),
        ("电影", "gbk"),
        ("婚礼 生日", "gbk"),
        ("電影院", "big5"),
    ],
)
def test_legacy_code_pages_round_trip(text, codec):
    decoded = decode(text.encode(codec))
    assert (decoded.text, decoded.codec, decoded.invalid_bytes) == (text, codec, 0)


def test_vietnamese_cp1258_with_combining_tones():
    decoded = decode("đa\u0301m cươ\u0301i".encode("cp1258"))
    assert decoded.codec == "cp1258"
    assert unicodedata.normalize("NFC", decoded.text) == "đám cưới"


def test_utf8_wins_and_garbage_is_replaced_and_counted():
    assert decode("ภาพยนตร์".encode()).codec == "utf-8"
    garbage = decode(b"abc\xff\xfe\x80")
    assert (garbage.codec, garbage.invalid_bytes, garbage.text) == ("utf-8-replace", 3, "abc\ufffd\ufffd\ufffd")
    assert decode(b"ab\xffcd").invalid_bytes == 1
