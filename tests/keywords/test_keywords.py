import contextlib
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from icop import keywords
from icop.compiled import DRIVERS
from icop.keywords import KeywordListError, KeywordMatcher
from icop.text.normalize import normalize
from tests.conftest import ROOT, term

HEADER = "# icop keyword list v1\n# SURROGATE test list\nid\tterm\tlang\tcategory\tweight\tmatch\tsource\tadded\n"


def write(tmp_path, name, body, header=HEADER):
    path = tmp_path / name
    path.write_text(header + body, encoding="utf-8")
    return path


def problems(*paths):
    with pytest.raises(KeywordListError) as err:
        keywords.load(paths)
    return err.value.problems


def test_token_hits_carry_entry_id_and_raw_span(matcher, lexicon):
    marker = term(lexicon, "en").term
    raw = f"Family.Holiday.{marker}.2019.mkv"
    [hit] = matcher.scan(raw)
    assert (hit.entry_id, hit.view) == ("en-0001", "fold")
    assert raw[hit.start : hit.end] == marker


def test_substring_hits_in_unspaced_scripts_are_grapheme_bounded(matcher, lexicon):
    entry = next(t for t in lexicon if t.lang == "th" and t.form == "stem" and unicodedata.category(t.term[-1]).startswith("M"))
    marker = entry.term
    raw = f"วันเกิด{marker}ตอนที่1.mp4"
    hits = matcher.scan(raw)
    assert [(h.entry_id, raw[h.start : h.end]) for h in hits] == [(entry.id, marker)]
    # A grapheme cut in half is no match: drop the marker's final mark.
    assert matcher.scan(f"วันเกิด{marker[:-1]}") == []


def test_obfuscated_markers_match_in_skel(matcher, lexicon):
    entry = next(t for t in lexicon if t.lang == "en" and t.form == "stem" and "o" in t.term)
    marker = entry.term
    spaced = " ".join(marker.upper())
    homoglyph = marker.replace("o", "о")  # Cyrillic o
    split = marker[:3] + "-" + marker[3:]  # not ".": a short tail after a dot would be an extension
    for raw in (spaced, homoglyph, split):
        hits = matcher.scan(raw)
        assert [(h.entry_id, h.view) for h in hits] == [(entry.id, "skel")], raw
        assert (hits[0].start, hits[0].end) == (0, len(raw))


@pytest.mark.parametrize("lang", ["th", "km", "my", "zh", "ja"])
def test_markers_of_unspaced_scripts_broken_by_separators_match_in_skel(matcher, lexicon, lang):
    import regex

    entry = term(lexicon, lang, form="stem")
    graphemes = regex.findall(r"\X", entry.term)
    half = len(graphemes) // 2
    for broken in ("_".join(graphemes), "".join(graphemes[:half]) + "-" + "".join(graphemes[half:])):
        raw = f"{broken} 2019.mp4"
        hits = [(h.entry_id, h.view, h.start, h.end) for h in matcher.scan(raw)]
        assert (entry.id, "skel", 0, len(broken)) in hits, broken
        assert list(matcher.find_batch([normalize(raw)])[0]) == matcher.find(normalize(raw))


def test_unlisted_variants_of_a_stem_hit_only_the_stem(matcher, lexicon):
    stems = {t.stem_id: t for t in lexicon if t.kind == "listed" and t.form == "stem"}
    variant = next(t for t in lexicon if t.lang == "ru" and t.kind == "unlisted" and stems[t.stem_id].term in t.term)
    stem = stems[variant.stem_id]
    hits = matcher.scan(f"{variant.term} 2019")
    assert stem.id not in {h.entry_id for h in hits}  # token mode: the whole token must match
    assert matcher.scan("IMG_1234.JPG") == []


def test_hashed_lists_give_exactly_the_plain_hits(tmp_path, matcher, lexicon):
    key = b"0123456789abcdef0123456789abcdef"
    hashed_dir = tmp_path / "hashed"
    hashed_dir.mkdir()
    for path in sorted((ROOT / "keywords").glob("*.tsv")):
        (hashed_dir / path.name).write_text(keywords.hash_list(path, key), encoding="utf-8")
    hashed = keywords.load([hashed_dir])
    assert hashed.hashed and all(e.term is None for e in hashed.entries)
    plain_keys = {(e.match, len(keywords.match_key(e.term))) for e in matcher.keywords.entries}
    assert hashed.key_lengths == keywords.KeyLengths(
        frozenset(n for m, n in plain_keys if m == "token"), frozenset(n for m, n in plain_keys if m == "substring")
    )
    hashed_matcher = KeywordMatcher(hashed, key)
    names = [f"x {t.term} y" for t in lexicon[::7]] + [f"{t.term}" for t in lexicon[1::13]] + ["nothing here"]
    names += [f"{a.term}{b.term}" for a, b in zip(lexicon[::11], lexicon[3::11])]  # glued: substring hits
    hits = [matcher.scan(n) for n in names]
    assert sum(map(len, hits)) > 50
    assert [hashed_matcher.scan(n) for n in names] == hits
    with DRIVERS.pure_python():  # the Python reference of the compiled candidate hashing
        assert [KeywordMatcher(hashed, key).scan(n) for n in names] == hits
    # Lists hashed before the key-lengths header still load and match alike, on the slow path.
    for path in hashed_dir.glob("*.tsv"):
        path.write_text("".join(line for line in path.read_text().splitlines(True) if not line.startswith("# key-lengths")))
    old = keywords.load([hashed_dir])
    assert old.key_lengths is None
    assert [KeywordMatcher(old, key).scan(n) for n in names] == hits
    with pytest.raises(KeywordListError, match="wrong key"):
        KeywordMatcher(hashed, b"another key of sixteen bytes at least")
    with pytest.raises(KeywordListError, match="give the key"):
        KeywordMatcher(hashed)


def test_batch_finding_equals_finding_name_by_name(matcher):
    from icop import synth
    from icop.text.normalize import normalize_batch

    names = normalize_batch([r.text for r in synth.generate(synth.load_config(), 20_000, 5)] + ["a\u2028b", "x y z", ""])
    found = matcher.find_batch(names)
    assert [list(f) for f in found] == [matcher.find(n) for n in names]
    assert 500 < sum(map(bool, found)) < 10_000  # positives carry listed markers; most names carry none


WORDS = ["qaz", "vex", "qazvex", "q", "a", "z", "qa", "zv", "ex", "tum", "bo", "ไก", "ไกลอ", "ลอ", "1", "x", "vé"]


@settings(max_examples=500, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(WORDS), max_size=9), st.lists(st.sampled_from(" .-"), min_size=9, max_size=9))
def test_compiled_candidate_pass_finds_what_enumeration_finds(tmp_path_factory, words, separators):
    from icop.text.normalize import normalize

    path = tmp_path_factory.getbasetemp() / "runs.tsv"
    if not path.exists():
        rows = [
            "t-1\tqaz vex\ten\ts\t1\ttoken\tt\t",
            "t-2\tqazvex\ten\ts\t1\ttoken\tt\t",
            "t-3\tvex tum bo\ten\ts\t1\ttoken\tt\t",
            "t-4\tzv\ten\ts\t1\ttoken\tt\t",
            "t-5\tไกลอ\tth\ts\t1\tsubstring\tt\t",
        ]
        path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    matcher = KeywordMatcher(keywords.load([path]))
    name = normalize("".join(w + sep for w, sep in zip(words, separators)))
    assert [list(f) for f in matcher.find_batch([name])] == [matcher.find(name)]
    if words[:2] == ["qaz", "vex"] and not name.ext:  # "qaz.vex" is a name with an extension
        assert matcher.find_batch([name])[0], "the spaced and glued runs of qaz vex are keys"


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(WORDS), max_size=9), st.lists(st.sampled_from(" .-"), min_size=9, max_size=9))
def test_hashed_lists_find_what_plain_lists_find(tmp_path_factory, words, separators):
    from icop.text.normalize import normalize

    key, base = b"k" * 32, tmp_path_factory.getbasetemp()
    plain, hashed = base / "plain-runs.tsv", base / "hashed-runs" / "runs.tsv"
    if not hashed.exists():
        rows = ["t-1\tqaz vex\ten\ts\t1\ttoken\tt\t", "t-2\tqazvex\ten\ts\t1\ttoken\tt\t", "t-4\tzv\ten\ts\t1\ttoken\tt\t"]
        rows += ["t-5\tไกลอ\tth\ts\t1\tsubstring\tt\t", "t-6\tลอ\tth\ts\t1\tsubstring\tt\t", "t-7\tvé\ten\ts\t1\ttoken\tt\t"]
        plain.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
        hashed.parent.mkdir()
        hashed.write_text(keywords.hash_list(plain, key), encoding="utf-8")
    name = normalize("".join(w + sep for w, sep in zip(words, separators)))

    def found(path, key=None):
        return [(e.id, *rest) for e, *rest in KeywordMatcher(keywords.load([path]), key).find(name)]

    with DRIVERS.pure_python():  # the reference: plain list, Python paths
        expected = found(plain)
    assert found(plain) == expected  # plain list, pieces enumerated in C
    for pure in (False, True):
        with DRIVERS.pure_python() if pure else contextlib.nullcontext():
            matcher = KeywordMatcher(keywords.load([hashed]), key)
        assert [(e.id, *rest) for e, *rest in matcher.find(name)] == expected


def test_duplicate_ids_name_both_places(tmp_path):
    a = write(tmp_path, "a.tsv", "x-1\tqazvex\ten\tsurrogate-a\t1\ttoken\ttest\t2026-01-01\n")
    b = write(
        tmp_path, "b.tsv", "x-2\tqozvix\ten\tsurrogate-a\t1\ttoken\ttest\t\nx-1\tquzvax\ten\tsurrogate-a\t1\ttoken\ttest\t\n"
    )
    [problem] = problems(a, b)
    assert f"{b}:5: duplicate id 'x-1' (first at {a}:4)" in problem


@pytest.mark.parametrize(
    "row, message",
    [
        ("x-1\tqazvex\txx\tsurrogate-a\t1\ttoken\ttest\t", "unknown language 'xx'"),
        ("x-1\tqazvex\ten\tsurrogate-a\theavy\ttoken\ttest\t", "bad weight 'heavy'"),
        ("x-1\tqazvex\ten\tsurrogate-a\tnan\ttoken\ttest\t", "bad weight 'nan'"),
        ("x-1\tqazvex\ten\tsurrogate-a\t-1\ttoken\ttest\t", "bad weight '-1'"),
        ("x-1\t\ten\tsurrogate-a\t1\ttoken\ttest\t", "empty term"),
        ("x-1\t._-\ten\tsurrogate-a\t1\ttoken\ttest\t", "empty term"),
        ("x-1\tqazvex\ten\tsurrogate-a\t1\tfuzzy\ttest\t", "match is 'fuzzy'"),
        ("x-1\tqazvex\ten\tsurrogate-a\t1\ttoken\ttest\tyesterday", "use an ISO date"),
        ("\tqazvex\ten\tsurrogate-a\t1\ttoken\ttest\t", "empty id"),
        ("x-1\tqazvex\ten\tsurrogate-a\t1\ttoken", "6 fields, expected 8"),
        ("x-1\ta b c d e\ten\tsurrogate-a\t1\ttoken\ttest\t", "longer than 4 tokens"),
    ],
)
def test_bad_rows_are_reported_with_file_line_and_fix(tmp_path, row, message):
    path = write(tmp_path, "l.tsv", row + "\n")
    [problem] = problems(path)
    assert problem.startswith(f"{path}:4: ") and message in problem


def test_bad_encoding_header_and_columns(tmp_path):
    raw = tmp_path / "latin1.tsv"
    raw.write_bytes(HEADER.encode() + "x-1\tcaf\xe9\ten\tsurrogate-a\t1\ttoken\ttest\t\n".encode("latin-1"))
    assert "latin1.tsv:4: not valid UTF-8" in problems(raw)[0]
    no_header = write(tmp_path, "n.tsv", "x-1\tq\n", header="")
    assert "first line must be" in problems(no_header)[0]
    wrong_columns = write(tmp_path, "c.tsv", "", header="# icop keyword list v1\nid\tword\n")
    assert "columns are ['id', 'word']" in problems(wrong_columns)[0]


def test_plain_and_hashed_lists_cannot_be_mixed(tmp_path):
    plain = write(tmp_path, "plain.tsv", "x-1\tqazvex\ten\tsurrogate-a\t1\ttoken\ttest\t\n")
    hashed = tmp_path / "hashed.tsv"
    hashed.write_text(
        keywords.hash_list(write(tmp_path, "src.tsv", "x-2\tqozvix\ten\tsurrogate-a\t1\ttoken\ttest\t\n"), b"k" * 32)
    )
    assert any("plain and hashed lists mixed" in p for p in problems(plain, hashed))


def test_keys_longer_than_a_hash_block_match(tmp_path, lexicon):
    key = bytes(range(100))  # HMAC hashes a key longer than 64 bytes first
    th = term(lexicon, "th")
    rows = f"x-1\tqazvex\ten\tsurrogate-a\t1\ttoken\ttest\t\nx-2\t{th.term}\tth\tsurrogate-a\t1\tsubstring\ttest\t\n"
    hashed = tmp_path / "hashed.tsv"
    hashed.write_text(keywords.hash_list(write(tmp_path, "src.tsv", rows), key), encoding="utf-8")
    matcher = KeywordMatcher(keywords.load([hashed]), key)
    assert [h.entry_id for h in matcher.scan(f"a qazvex b วันเกิด{th.term}ตอน")] == ["x-1", "x-2"]


def test_malformed_key_lengths_name_the_fix(tmp_path):
    source = write(tmp_path, "src.tsv", "x-1\tqazvex\ten\tsurrogate-a\t1\ttoken\ttest\t\n")
    text = keywords.hash_list(source, b"k" * 32)
    assert "# key-lengths: token 6; substring none\n" in text
    bad = tmp_path / "bad.tsv"
    bad.write_text(text.replace("# key-lengths: token 6;", "# key-lengths: token six;"))
    assert any("malformed '# key-lengths:' line; regenerate the list with 'icop keywords hash'" in p for p in problems(bad))
    plain = write(
        tmp_path,
        "plain.tsv",
        "x-1\tqazvex\ten\tsurrogate-a\t1\ttoken\ttest\t\n",
        header=HEADER.replace("list v1\n", "list v1\n# key-lengths: token 6; substring none\n"),
    )
    assert any("belongs to hashed lists only" in p for p in problems(plain))


def test_key_check_value_is_stable_and_key_dependent():
    assert keywords.key_check_value(b"k" * 32) == keywords.key_check_value(b"k" * 32)
    assert keywords.key_check_value(b"k" * 32) != keywords.key_check_value(b"j" * 32)
    assert len(keywords.key_check_value(b"k" * 32)) == 16


def test_list_hash_changes_with_content(tmp_path):
    a = write(tmp_path, "a.tsv", "x-1\tqazvex\ten\tsurrogate-a\t1\ttoken\ttest\t\n")
    first = keywords.load([a]).sha256
    a.write_text(a.read_text() + "x-2\tqozvix\ten\tsurrogate-a\t1\ttoken\ttest\t\n")
    assert keywords.load([a]).sha256 != first
