from collections import Counter

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from icop import resources, synth
from icop.io import tables
from icop.synth import ConfigError, load_config, pools
from icop.synth.obfuscation import FAMILIES
from icop.synth.schema import CORPUS_SCHEMA, FIELDS, SPLITS
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
    a = synth.write_corpus(config, 2000, 5, tmp_path / "a", jsonl=True)
    b = synth.write_corpus(config, 2000, 5, tmp_path / "b", jsonl=True)
    for name in a:
        assert a[name].read_bytes() == b[name].read_bytes(), name
    c = synth.write_corpus(config, 2000, 6, tmp_path / "c")
    assert c["corpus.parquet"].read_bytes() != a["corpus.parquet"].read_bytes()


def test_parquet_schema_round_trip_and_data_sheet(tmp_path, config, records):
    written = synth.write_corpus(config, 500, 11, tmp_path)
    table = tables.read_table(written["corpus.parquet"])
    assert table.schema == CORPUS_SCHEMA and table.column_names == list(FIELDS)
    assert table.to_pylist()[:3] == [{f: getattr(r, f) for f in FIELDS} for r in records[:3]]
    sheet = written["DATASHEET.md"].read_text()
    for section in ("## Motivation", "## Composition", "## Collection process", "## Uses", "## Distribution", "## Maintenance"):
        assert section in sheet
    assert "SURROGATE" in sheet and "wordfreq 3.1.1" in sheet and "| software-files |" in sheet


def test_length_carries_no_label(records):
    """Negatives are built like positives with a real word in the marker's slot."""
    lengths = np.array([[len(r.text)] for r in records], dtype=float)
    labels = np.array([r.label for r in records])
    assert abs(roc_auc_score(labels, lengths[:, 0]) - 0.5) < 0.05
    fitted = LogisticRegression().fit(np.log1p(lengths), labels)
    assert roc_auc_score(labels, fitted.decision_function(np.log1p(lengths))) <= 0.55


def test_no_benign_item_is_in_two_splits():
    built = pools.build()
    for lang in LANGUAGES:
        for kind in ("words", "events", "names", "places", "companies", "streets"):
            seen = {}
            for split in SPLITS:
                for item in getattr(built.languages[split][lang], kind):
                    assert seen.setdefault(normalize(item.text).fold, split) == split, (lang, kind, item.text)


def test_test_names_share_no_word_with_training(records):
    """Long single-token words of the test pools never occur in a training name (names whose
    tokens an obfuscation re-cut or romanised are left out: 'pen.dukung' splits a word in two, a
    transliterated Russian word can spell an English one)."""
    built = pools.build()
    recut = {"transliterated", "transliteration", "mixed_script", "separators"}
    train = [r for r in records if r.split == "train" and not recut & {*r.groups, *r.obfuscation}]
    train_tokens = {t for r in train for t in normalize(r.text).fold.split()}
    test_words = {normalize(i.text).fold for lang in LANGUAGES for i in built.languages["test"][lang].words if len(i.text) >= 6}
    test_words = {w for w in test_words if " " not in w}
    used = {t for r in records if r.split == "test" for t in normalize(r.text).fold.split()} & test_words
    assert len(used) > 200 and not used & train_tokens


def test_held_out_software_names_appear_in_the_test_split_only(records):
    splits = Counter(r.split for r in records if any(s.startswith("software-") for s in r.sources))
    assert set(splits) == {"test"} and splits["test"] > 20


def test_mix_follows_the_config(records, config):
    assert abs(sum(r.label for r in records) / N - config.prevalence) < 0.015
    languages = Counter(r.lang for r in records)
    assert set(languages) == set(LANGUAGES)
    assert all(abs(count - N / len(LANGUAGES)) < 0.15 * N / len(LANGUAGES) for count in languages.values())
    for split, share in config.splits.items():
        assert abs(sum(r.split == split for r in records) / N - share) < 0.03
    segments = Counter(r.segments for r in records)
    assert all(abs(segments[k] / N - w) < 0.02 for k, w in config.segments.items())
    assert abs(sum(r.path_depth > 0 for r in records) / N - config.path_rate) < 0.02


def test_composition_and_obfuscation_are_alike_in_both_classes(records):
    by_label = {label: [r for r in records if r.label == label] for label in (0, 1)}
    for key in (lambda r: r.segments, lambda r: r.path_depth, lambda r: bool(r.obfuscation)):
        shares = [Counter(map(key, rows)) for rows in by_label.values()]
        for value in set(shares[0]) | set(shares[1]):
            a, b = (s[value] / len(rows) for s, rows in zip(shares, by_label.values()))
            assert abs(a - b) < 0.03, (value, a, b)


def test_every_obfuscation_family_group_and_origin_occurs(records):
    assert set(Counter(f for r in records for f in r.obfuscation)) == set(FAMILIES)
    groups = {g for r in records for g in r.groups}
    assert {"gender", "nationality", "person_name", "age", "lexical_overlap", "code_switch", "zawgyi"} <= groups
    assert {"TH", "JP", "NG", "IN", "CN", "ID", "VN", "RU", "MM"} <= {o for r in records for o in r.origins}


def test_identity_words_appear_at_the_same_rate_in_both_classes(records):
    identity = {"gender", "nationality", "person_name", "age"}
    shares = [
        np.mean([bool(identity & set(r.groups)) for r in records if r.informative and r.label == label]) for label in (0, 1)
    ]
    assert abs(shares[0] - shares[1]) < 0.02 and 0.1 < shares[0] < 0.2


def test_positives_carry_only_latent_surrogate_markers(records, lexicon, matcher):
    by_id = {t.id: t for t in lexicon}
    for r in records:
        if r.label and r.informative:
            assert r.marker_ids and all(by_id[m].kind in ("listed", "unlisted", "novel") for m in r.marker_ids)
        else:
            assert r.marker_ids == [] and r.marker_kind == "none"
    plain = [r for r in records if r.marker_kind == "listed" and not r.obfuscation and "zawgyi" not in r.groups][:300]
    found = sum(set(r.marker_ids) <= {h.entry_id for h in matcher.scan(r.text)} for r in plain)
    assert found >= 0.97 * len(plain)


def test_negatives_contain_no_marker(records, matcher):
    assert sum(bool(matcher.scan(r.text)) for r in records if r.label == 0) == 0


def test_unlisted_markers_of_the_test_split_are_unseen_in_training(records):
    by_split = {s: {m for r in records if r.split == s for m in r.marker_ids if "-u" in m or "-n" in m} for s in SPLITS}
    assert by_split["test"] and not by_split["test"] & by_split["train"]


def test_later_periods_introduce_new_variants_and_families(records, lexicon, config):
    period_of = {t.id: t.period for t in lexicon}
    for r in records:
        assert all(period_of[m] <= r.period for m in r.marker_ids)
        assert set(r.obfuscation) <= set(config.families_in(r.period))


@pytest.mark.parametrize(
    "patch, message",
    [
        (("prevalence = 0.2", "prevalence = 1.5"), "corpus.prevalence must be a number from 0 to 1"),
        (("th = 1.0", "xx = 1.0"), "unknown key 'xx'"),
        (("test = 0.15", "test = 0.5"), "[splits] must add up to 1"),
        (('0 = ["leet"', '0 = ["rot13"'), "families_by_period.0"),
        (("[corpus]", "[korpus]"), "unknown key 'korpus'; did you mean 'corpus'?"),
        (("path_rate = 0.3", "path_rat = 0.3"), "unknown key 'path_rat'; did you mean 'path_rate'?"),
        (("4 = 0.05 }", "5 = 0.05 }"), "composition.segments: unknown entry '5'"),
    ],
)
def test_bad_configs_fail_with_the_key_and_fix(tmp_path, patch, message):
    text = resources.read_text(resources.SYNTH_CONFIG)
    assert patch[0] in text
    path = tmp_path / "bad.toml"
    path.write_text(text.replace(patch[0], patch[1], 1))
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert message in str(err.value) and str(path) in str(err.value)


def test_novel_markers_appear_in_the_test_split_only(records):
    novel = Counter(r.split for r in records if r.marker_kind in ("novel", "mixed") and any("-n" in m for m in r.marker_ids))
    assert set(novel) == {"test"}


def test_writing_a_corpus_reports_its_stages_and_draws_no_random_number(tmp_path, small_corpus):
    heard = []
    synth.write_corpus(synth.load_config(), 6000, 3, tmp_path, progress=lambda *step: heard.append(step))
    stages = list(dict.fromkeys(stage for stage, _, _ in heard))
    assert stages == ["read the real benign sources", "build names", "write the corpus and its data sheet"]
    assert [done for stage, done, _ in heard if stage == "build names"] == [5000, 6000]
    assert (tmp_path / "corpus.parquet").read_bytes() == small_corpus.read_bytes()
