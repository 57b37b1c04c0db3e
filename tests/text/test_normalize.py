import shutil
import sysconfig
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from myanmartools import ZawgyiDetector

from icop import synth
from icop.text import charsets
from icop.text import golden as spec
from icop.text import normalize as normalize_module
from icop.text.normalize import (
    aligned_tokens,
    normalize,
    normalize_batch,
    rejoin_spaced_letters,
    split_extension,
)
from tests.conftest import DATA

GOLDEN = spec.read_tsv(DATA / "normalize_golden.tsv")
DETECTOR = ZawgyiDetector()


def test_golden_file_covers_every_language_with_fifteen_cases():
    counts = {}
    for row in GOLDEN:
        counts[row["lang"]] = counts.get(row["lang"], 0) + 1
    assert set(counts) == {"th", "km", "my", "vi", "fil", "ms", "id", "zh", "ja", "ru", "en"}
    assert min(counts.values()) >= 15


def test_golden_inputs_are_the_curated_cases():
    cases = spec.read_tsv(DATA / "normalize_cases.tsv")
    assert [(c["lang"], spec.unescape(c["input"])) for c in cases] == [(g["lang"], spec.unescape(g["input"])) for g in GOLDEN]


@pytest.mark.parametrize("row", GOLDEN, ids=lambda r: f"{r['lang']}-{r['note']}")
def test_golden_vector(row):
    n = normalize(spec.unescape(row["input"]))
    assert n.ext == row["ext"]
    assert spec.escape(n.norm) == row["norm"]
    assert spec.escape(n.fold) == row["fold"]
    assert spec.escape(n.skel) == row["skel"]
    assert spec.obfuscation_cell(n) == row["obfuscation"]


@pytest.mark.parametrize(
    "raw, norm, fold, skel",
    [
        ("W3dd1ng.V1de0.mkv", "w3dd1ng v1de0", "w3dd1ng v1de0", "wedding video"),
        ("Movie.2019.1080p.x264.mkv", "movie 2019 1080p x264", "movie 2019 1080p x264", "movie 2019 1080p x264"),
        ("ស្រ្តី", "ស្ត្រី", "ស្ត្រី", "ស្ត្រី"),
        ("ภาพยนตร์", "ภาพยนตร์", "ภาพยนตร์", "ภาพยนตร์"),  # Thai marks are never folded away
        ("Đám cưới", "đám cưới", "dam cuoi", "dam cuoi"),
        ("hoà", "hòa", "hoa", "hoa"),
        ("Ёлка", "ёлка", "елка", "елка"),
        ("m.o.v.i.e", "m o v i e", "m o v i e", "movie"),
        ("ｶﾗｵｹ_ＭＯＶＩＥ", "カラオケ movie", "カラオケ movie", "カラオケ movie"),
        ("電影", "电影", "电影", "电影"),
        ("၂၀၂၄ ၀", "2024 ဝ", "2024 ဝ", "2024 ဝ"),
    ],
)
def test_hand_checked_views(raw, norm, fold, skel):
    n = normalize(raw)
    assert (n.norm, n.fold, n.skel) == (norm, fold, skel)


def test_sara_am_survives_nfkc():
    assert "\u0e33" in normalize("ทำ").norm
    assert unicodedata.normalize("NFKC", "ทำ") != "ทำ"  # the reason for the repair


def test_zawgyi_is_converted_only_when_detected():
    zawgyi, unicode = "ျမန္မာ", "မြန်မာ"
    assert normalize(zawgyi).norm == unicode
    assert normalize(zawgyi).obfuscation.zawgyi_converted == 1
    assert normalize(unicode).norm == unicode
    assert normalize(unicode).obfuscation.zawgyi_converted == 0


@pytest.mark.parametrize("text", ["ျမန္မာ ဗီဒီယို", "မြန်မာ ဗီဒီယို abc ဗီဒီယို", "ေမြးေန႔_2024", "ကျောင်း"])
def test_summed_zawgyi_log_odds_equal_the_detector_on_the_whole_name(text):
    assert normalize(text).zawgyi_probability == pytest.approx(DETECTOR.get_zawgyi_probability(text), rel=1e-9)


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from("\u1000\u1031\u103b\u1039\u1014\u1019\u102c\u1037\u104e\u1040\u1090ab1 "), max_size=30))
def test_zawgyi_pair_scores_equal_the_detectors_own(text):
    from math import isnan

    has_myanmar = any("\u1000" <= c <= "\u109f" for c in text)
    expected = -sum(x for x in DETECTOR._llrs(text) if not isnan(x)) if has_myanmar else 0.0
    assert normalize_module._zawgyi_log_odds.__wrapped__(text) == expected


def test_leet_spares_years_resolutions_and_codecs():
    n = normalize("W1ll.2019.1080p.x264.h265.mp3.s01e02")
    assert n.skel == "will 2019 1080p x264 h265 mp3 s01e02"
    assert n.obfuscation.leet == 1


def test_confusables_map_to_the_token_majority_script():
    assert normalize("birthdаy").skel == "birthday"  # Cyrillic а in a Latin word
    assert normalize("свадьбa").skel == "свадьба"  # Latin a in a Cyrillic word
    assert normalize("свадьба").obfuscation.mixed_script_tokens == 0


def test_bytes_are_decoded_with_fallback_and_counted():
    n = normalize("свадьба".encode("cp1251"))
    assert n.norm == "свадьба"
    assert n.obfuscation.fallback_decoding == 1
    bad = normalize(b"abc\xff\xfe\x80")
    assert bad.obfuscation.invalid_bytes == 3
    assert bad.norm == "abc\ufffd\ufffd\ufffd"


def test_extension_rules():
    assert split_extension("IMG_1234.JPG") == ("IMG_1234", "jpg")
    assert split_extension("Show.S01E02.720p") == ("Show.S01E02.720p", "")
    assert split_extension("m.o.v.i.e") == ("m.o.v.i.e", "")
    assert split_extension(".mkv") == (".mkv", "")
    assert split_extension("clip.3gp") == ("clip", "3gp")


def test_aligned_tokens_point_back_into_the_raw_name():
    raw = "ＭＯＶＩＥ_W3dd1ng.ภาพยนตร์\u200bวันเกิด.mp4"
    tokens = aligned_tokens(raw)
    assert [t.norm for t in tokens] == ["movie", "w3dd1ng", "ภาพยนตร์", "วันเกิด"]
    assert [raw[t.start : t.end] for t in tokens] == ["ＭＯＶＩＥ", "W3dd1ng", "ภาพยนตร์", "วันเกิด"]
    assert " ".join(t.fold for t in tokens) == normalize(raw).fold


def test_rejoin_reports_source_ranges():
    assert rejoin_spaced_letters(["a", "m", "o", "v", "i", "e", "2019", "x", "y"]) == [
        ("amovie", (0, 6)),
        ("2019", (6, 7)),
        ("x", (7, 8)),
        ("y", (8, 9)),
    ]


SCRIPTS = st.sampled_from(
    list("abcxyz0135 ._-@$ÀéđơưọЁёрасеоаภาพยนตร์ำ่้ឡស្រ្តីကျမန္ာ၀၁ဝ႔電影毕业ｶﾗｵｹＭ①⑴\u200b\u200c\u00ad\ufe0f\u0301\u0300\u0323")
)
NAMES = st.one_of(st.text(st.characters(codec=None)), st.text(SCRIPTS, max_size=40), st.binary(max_size=60))


@settings(max_examples=600, suppress_health_check=list(HealthCheck), deadline=None)
@given(NAMES)
def test_never_raises_is_deterministic_and_idempotent(raw):
    first = normalize(raw)
    assert normalize(raw) == first
    again = normalize(first.norm)
    assert again.norm == first.norm
    assert len(aligned_tokens(raw)) == len(first.fold.split())


@pytest.mark.skipif(normalize_module.batch_driver() is None, reason="the compiled driver is not built")
@settings(max_examples=300, suppress_health_check=list(HealthCheck), deadline=None)
@given(st.lists(NAMES, max_size=8))
def test_batch_driver_equals_the_reference_on_hostile_batches(raws):
    assert normalize_module.batch_driver()(raws) == [normalize(r) for r in raws]


def test_batch_driver_equals_the_reference_on_golden_and_synthetic_names():
    names = [spec.unescape(row["input"]) for row in GOLDEN] + [r.text for r in synth.generate(synth.load_config(), 20_000, 11)]
    names += ["a b c d.mp4", "x . y . z", "1 2 3", "ab\u200bcd", "", " ", ".", "..mp4", "\ud800x", "\x00" * 5]
    names += ["a.MP4", "a.mp4  ", "a.mp\u212a", "a.\u0130", "a.", "a.abcdef", "a.b1", "x.7z", "a.m p4", "a.mkv\u3000"]
    reference = [normalize(n) for n in names]
    normalize_module._TOKEN_CACHES[False].clear()  # misses go through the driver's own path too
    assert normalize_batch(names) == reference
    assert normalize_batch(names) == reference


@pytest.mark.skipif(not shutil.which((sysconfig.get_config_var("CC") or "cc").split()[0]), reason="no C compiler")
def test_compiled_driver_is_built_where_a_compiler_exists():
    assert normalize_module.batch_driver() is not None, "icop/_fastpath.pyx was not compiled; reinstall with `pip install -e .`"


THAI = st.text(st.characters(min_codepoint=0x0E01, max_codepoint=0x0E5B), max_size=12)
KHMER = st.text(
    st.one_of(st.characters(min_codepoint=0x1780, max_codepoint=0x17FF), st.sampled_from("\u200c\u200d a1")), max_size=16
)


@settings(max_examples=3000, suppress_health_check=list(HealthCheck), deadline=None)
@given(THAI)
def test_thai_repairs_are_skipped_only_when_pythainlp_would_change_nothing(text):
    from pythainlp.util import normalize as thai_normalize

    from icop.text.normalize import _THAI_NEEDS_REPAIR_RE

    if not _THAI_NEEDS_REPAIR_RE.search(text):
        assert thai_normalize(text) == text


MIXED = st.text(
    st.one_of(st.characters(max_codepoint=0x20000), st.sampled_from("aeouyđёøạàảãá\u0300\u0301\u0323\u0e48\u17d2\u1040\u0661")),
    max_size=12,
)


@settings(max_examples=3000, suppress_health_check=list(HealthCheck), deadline=None)
@given(MIXED)
def test_prechecks_skip_steps_only_where_they_would_change_nothing(text):
    from icop.text.normalize import (
        _VI_TONE_MAP,
        _VI_TONE_RE,
        _ascii_digits,
        _fold,
        _strip_latin_marks,
        _vietnamese_old_tone_placement,
    )

    assert _fold(text) == _strip_latin_marks(text)
    assert _vietnamese_old_tone_placement(text) == _VI_TONE_RE.sub(lambda m: _VI_TONE_MAP[m.group()], text)
    if charsets.MYANMAR_ZERO not in text:
        assert _ascii_digits(text)[0] == text.translate(charsets.DIGIT_TABLE)


@settings(max_examples=3000, suppress_health_check=list(HealthCheck), deadline=None)
@given(KHMER)
def test_khmer_syllable_cache_equals_khnormal_on_the_whole_text(text):
    from khmerspell import khnormal

    from icop.text.normalize import _KHMER_SYLLABLE_RE, _khmer_syllable

    assert "".join(_khmer_syllable(s) for s in _KHMER_SYLLABLE_RE.split(text)) == khnormal(text)


SKEL_TOKENS = st.sampled_from(
    ["ก", "วั", "กิ", "วันเกิด", "電", "コーヒー", "ー", "ខ្មែរ", "a", "b", "abc", "é", "e\u0301", "đ", "12", "x1"]
)


@settings(max_examples=3000, deadline=None)
@given(st.lists(SKEL_TOKENS, min_size=1, max_size=8))
def test_the_skel_joins_by_regex_equal_the_token_rule(tokens):
    """The fast path of the skel joins (a regex over the text) gives what rejoin_spaced_letters
    gives token by token, count of spelled-out letters included."""
    text = " ".join(tokens)
    joined = rejoin_spaced_letters(tokens)
    spelled = sum(normalize_module._spelled_out(tokens[lo:hi]) for _, (lo, hi) in joined if hi - lo > 2)
    assert normalize_module._rejoin_spaced_letters(text) == (" ".join(t for t, _ in joined), spelled)


@pytest.mark.skipif(normalize_module.batch_driver() is None, reason="the compiled driver is not built")
@settings(max_examples=3000, deadline=None)
@given(
    st.lists(st.one_of(SKEL_TOKENS, st.sampled_from(["\U00020000", "ㄱ", "ß", "ǅ", "١", "\u0e33", ""])), min_size=1, max_size=9)
)
def test_the_compiled_skel_joins_equal_the_reference(tokens):
    text = " ".join(tokens)
    assert normalize_module.batch_driver().rejoined(text) == normalize_module._rejoin_spaced_letters(text)


TABLES = normalize_module.token_tables()
TABLE_TEXT = st.text(
    st.one_of(
        st.sampled_from(TABLES.chars),
        st.sampled_from("aeouyqg0134@$ààáãảạèéẽẻẹỳýỹỷỵоаеxxxЁё ǅ"),
        st.sampled_from("กขคเแะาำิีึืุู่้๊๋็์ํๅ๑ကခငဥဦေ့်္ါာိီုူ၀၁"),
        st.characters(max_codepoint=0x1F10),
    ),
    max_size=14,
)


@pytest.mark.skipif(normalize_module.batch_driver() is None, reason="the compiled driver is not built")
@settings(max_examples=5000, deadline=None, suppress_health_check=list(HealthCheck))
@given(TABLE_TEXT)
def test_the_compiled_token_tables_give_the_definition(token):
    result = normalize_module.batch_driver().table_token(token)
    if result is not None:
        assert result == normalize_module._normalize_token(token, False)


@pytest.mark.skipif(normalize_module.batch_driver() is None, reason="the compiled driver is not built")
def test_the_token_tables_decide_plain_words_and_leave_neighbour_rules_to_the_definition():
    table_token = normalize_module.batch_driver().table_token
    for word, views in [
        ("Straße", ("strasse", "strasse")),
        ("Ёлка", ("ёлка", "елка")),
        ("Việt", ("việt", "viet")),
        ("ΣΟΦΙΑ", ("σοφια", "σοφια")),
        ("x264", ("x264", "x264")),
        ("วันเกิด", ("วันเกิด", "วันเกิด")),
        ("ที่นี่", ("ที่นี่", "ที่นี่")),
        ("မြန်မာ", ("မြန်မာ", "မြန်မာ")),
    ]:
        assert table_token(word) == (*views, views[1], normalize_module.NO_OBFUSCATION)
    # tone placement (hoà), a Thai repair (tone mark before a vowel, a leading mark), marks out of
    # canonical order, leetspeak (h4ck), squeezed letters (www), mixed scripts, other scripts
    for word in ["hoà", "ก\u0e48\u0e34", "\u0e48ก", "\u1004\u103a\u1037", "h4ck", "www", "p\u0430ypal", "ខ្មែរ", "a\u0301"]:
        assert table_token(word) is None


def test_the_token_tables_hold_only_characters_that_concatenate():
    """No view of a table character begins with a character that canonical composition could
    join to the character before it, so a token's views are its characters' views, concatenated."""
    seconds = set()
    for point in range(0x110000):
        parts = unicodedata.decomposition(chr(point)).split()
        if len(parts) == 2 and not parts[0].startswith("<"):
            seconds.add(chr(int(parts[1], 16)))
    for char, norm, fold in zip(TABLES.chars, TABLES.norms, TABLES.folds):
        assert norm[0] not in seconds and fold[0] not in seconds, char
        assert all(x in TABLES.chars for x in norm + fold), char
    assert len(TABLES.chars) > 1400  # ASCII, Latin, Greek, Cyrillic, Thai and Myanmar
