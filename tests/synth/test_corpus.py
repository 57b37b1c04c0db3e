from collections import Counter

import pytest

from icop import synth
from icop.io import tables
from icop.synth import ConfigError, load_config
from icop.synth.obfuscation import FAMILIES
from icop.text.languages import LANGUAGES
from icop.text.normalize import normalize

N = 12_000


@pytest.fixture(scope="module")
def config():
    return load_config()


@pytest.fixture(scope="module")
def records(config):
    return synth.generate(config, N, seed=11)


def test_same_seed_gives_byte_identical_files(tmp_path, config):
    a = synth.write_corpus(config, 3000, 5, tmp_path / "a", jsonl=True)
    b = synth.write_corpus(config, 3000, 5, tmp_path / "b", jsonl=True)
    for name in a:
        assert a[name].read_bytes() == b[name].read_bytes(), name
    c = synth.write_corpus(config, 3000, 6, tmp_path / "c")
    assert c["corpus.parquet"].read_bytes() != a["corpus.parquet"].read_bytes()


def test_parquet_schema_and_round_trip(tmp_path, config, records):
    written = synth.write_corpus(config, 500, 11, tmp_path)
    table = tables.read_table(written["corpus.parquet"])
    assert table.schema == tables.CORPUS_SCHEMA
    assert table.column_names == list(synth.FIELDS)
    assert table.to_pylist()[:3] == [dict(zip(synth.FIELDS, [getattr(r, f) for f in synth.FIELDS])) for r in records[:3]]
    sheet = written["DATASHEET.md"].read_text()
    for section in ("## Motivation", "## Composition", "## Collection process", "## Uses", "## Distribution", "## Maintenance"):
        assert section in sheet
    assert "SURROGATE" in sheet


def test_no_normalised_text_or_carrier_in_two_splits(records):
    split_of = {}
    for r in records:
        assert split_of.setdefault(normalize(r.text).norm, r.split) == r.split, r.text
    assert set(split_of.values()) == {"train", "validation", "test"}


def test_prevalence_splits_and_language_mix_follow_the_config(records, config):
    assert abs(sum(r.label for r in records) / N - config.prevalence) < 0.015
    languages = Counter(r.lang for r in records)
    assert set(languages) == set(LANGUAGES)
    expected = N / len(LANGUAGES)
    assert all(abs(count - expected) < 0.15 * expected for count in languages.values())
    splits = Counter(r.split for r in records)
    for split, share in config.splits.items():
        assert abs(splits[split] / N - share) < 0.03


def test_every_obfuscation_family_and_group_occurs(records):
    families = Counter(f for r in records for f in r.obfuscation)
    assert set(families) == set(FAMILIES)
    groups = {g for r in records for g in r.groups}
    assert {"gender", "nationality", "person_name", "age", "lexical_overlap", "code_switch", "zawgyi"} <= groups


def test_identity_words_appear_at_the_same_rate_in_both_classes(records):
    informative = [r for r in records if r.informative]
    for label in (0, 1):
        rows = [r for r in informative if r.label == label]
        share = sum(bool({"gender", "nationality", "person_name", "age"} & set(r.groups)) for r in rows) / len(rows)
        assert 0.11 < share < 0.19, (label, share)


def test_positives_carry_only_latent_surrogate_markers(records, lexicon, matcher):
    by_id = {t.id: t for t in lexicon}
    for r in records:
        if r.label and r.informative:
            assert r.marker_ids and all(by_id[m].kind in ("listed", "unlisted") for m in r.marker_ids)
        else:
            assert r.marker_ids == [] and r.marker_kind == "none"
    # A plain listed marker is found by the keyword matcher under its own id.
    plain = [r for r in records if r.marker_kind == "listed" and not r.obfuscation and "zawgyi" not in r.groups]
    found = sum(set(r.marker_ids) <= {h.entry_id for h in matcher.scan(r.text)} for r in plain[:300])
    assert found >= 0.97 * min(len(plain), 300)


def test_negatives_contain_no_marker(records, matcher):
    negatives = [r for r in records if r.label == 0]
    assert sum(bool(matcher.scan(r.text)) for r in negatives[:3000]) == 0


def test_later_periods_introduce_new_variants_and_families(records, lexicon, config):
    period_of = {t.id: t.period for t in lexicon}
    for r in records:
        assert all(period_of[m] <= r.period for m in r.marker_ids)
        assert set(r.obfuscation) <= set(config.families_in(r.period))
    assert {f for r in records if r.period == 0 for f in r.obfuscation} <= set(config.families_by_period[0])


def test_uninformative_names_exist_in_both_classes(records):
    assert set(Counter(r.label for r in records if not r.informative)) == {0, 1}


@pytest.mark.parametrize(
    "patch, message",
    [
        (("prevalence = 0.2", "prevalence = 1.5"), "corpus.prevalence must be a number from 0 to 1"),
        (("th = 1.0", "xx = 1.0"), "unknown language(s) ['xx']"),
        (("test = 0.15", "test = 0.5"), "[splits] must add up to 1"),
        (('0 = ["leet"', '0 = ["rot13"'), "families_by_period.0"),
        (("[corpus]", "[korpus]"), "missing [corpus] section"),
    ],
)
def test_bad_configs_fail_with_the_key_and_fix(tmp_path, patch, message):
    from importlib.resources import files

    text = files("icop.resources").joinpath("synth_default.toml").read_text()
    assert patch[0] in text
    path = tmp_path / "bad.toml"
    path.write_text(text.replace(patch[0], patch[1], 1))
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert message in str(err.value) and str(path) in str(err.value)
