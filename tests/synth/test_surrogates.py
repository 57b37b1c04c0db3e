from collections import Counter

import pytest

from icop import resources
from icop.synth import surrogates
from icop.text.normalize import normalize
from tests.conftest import ROOT


def test_every_language_has_at_least_forty_listed_entries(shipped_lists):
    per_language = Counter(e.lang for e in shipped_lists.entries)
    assert set(per_language) == set(surrogates.LANGUAGES)
    assert min(per_language.values()) >= 40


def test_shipped_lists_are_exactly_the_listed_part_of_the_latent_lexicon(lexicon, shipped_lists):
    listed = {(t.id, t.term) for t in lexicon if t.kind == "listed"}
    assert {(e.id, e.term) for e in shipped_lists.entries} == listed
    assert shipped_lists.surrogate


def test_unlisted_variants_share_a_listed_stem_and_are_absent_from_the_lists(lexicon, shipped_lists):
    terms = {e.term for e in shipped_lists.entries}
    unlisted = [t for t in lexicon if t.kind == "unlisted"]
    assert len(unlisted) >= len(terms)
    for t in unlisted:
        assert t.term not in terms
        stem = next(x.term for x in lexicon if x.stem_id == t.stem_id and x.kind == "listed")
        assert stem in t.term, (t.id, t.term)


def test_later_periods_bring_variants_earlier_ones_lack(lexicon):
    periods = Counter(t.period for t in lexicon if t.kind == "unlisted")
    assert set(periods) == set(range(surrogates.PERIODS))
    assert all(t.period == 0 for t in lexicon if t.kind == "listed")


def test_every_term_is_its_own_normal_form(lexicon):
    for t in lexicon:
        assert normalize(t.term).norm == t.term, t.id


def test_generation_is_deterministic_and_matches_the_shipped_files(tmp_path, lexicon):
    check = surrogates.dictionary_checker()
    rebuilt = surrogates.build_latent_lexicon(surrogates.DEFAULT_SEED, check)
    assert rebuilt == lexicon
    surrogates.write_lexicon(rebuilt, tmp_path / "lexicon.tsv")
    shipped = ROOT / "icop" / "resources" / resources.LEXICON
    assert (tmp_path / "lexicon.tsv").read_bytes() == shipped.read_bytes()


def test_no_surrogate_is_or_contains_a_dictionary_word(lexicon):
    is_real_word = surrogates.dictionary_checker()
    assert [t.id for t in lexicon if is_real_word(t.term, t.lang)] == []
    assert is_real_word("wedding", "en") and is_real_word("xxweddingxx", "en")
    assert is_real_word("свадьба", "ru") and is_real_word("งานแต่งงาน", "th")


def test_a_different_seed_gives_a_different_lexicon():
    a = surrogates.build_latent_lexicon(1)
    b = surrogates.build_latent_lexicon(2)
    assert [t.term for t in a] != [t.term for t in b]
    assert len(a) == len(b) == len(surrogates.LANGUAGES) * surrogates.STEMS_PER_LANGUAGE * 5  # 4 markers + 1 decoy


@pytest.mark.parametrize("lang", sorted(surrogates.LANGUAGES))
def test_shipped_list_headers_declare_surrogate(lang):
    head = (ROOT / "keywords" / f"{lang}.tsv").read_text(encoding="utf-8").splitlines()[:2]
    assert head[0] == "# icop keyword list v1"
    assert head[1].startswith("# SURROGATE")


def test_decoys_share_ngrams_with_a_stem_but_contain_no_marker(lexicon, matcher):
    markers = [t.term for t in lexicon if t.kind != "decoy"]
    decoys = [t for t in lexicon if t.kind == "decoy"]
    assert len(decoys) == len(surrogates.LANGUAGES) * surrogates.STEMS_PER_LANGUAGE
    for d in decoys:
        stem = next(t.term for t in lexicon if t.stem_id == d.stem_id and t.kind == "listed")
        assert _bigrams(stem) & _bigrams(d.term), d.id  # n-grams are padded at word boundaries
        assert not any(m in d.term for m in markers), d.id
        assert matcher.scan(f"x {d.term} y") == [], d.id


def _bigrams(word: str) -> set[str]:
    padded = f" {word} "
    return {padded[i : i + 2] for i in range(len(padded) - 1)}
