import random

import numpy as np
import pytest

from icop.compiled import DRIVERS
from icop.features import FeatureSpace
from icop.scoring.scorer import BatchScorer
from icop.synth import generate, load_config
from icop.text.normalize import normalize

MAX_NAME_CHARS = FeatureSpace.MAX_NAME_CHARS


def _hostile_names(rng: random.Random, n: int) -> list[str]:
    alphabet = "aZ09 ._-[]ภาพยนตร์ำ่ស្រ្តីကျမန္ာ၀電影ｶﾗｵｹрасеёđơưọ😀🙂\u200b\u200c\u00ad\ufe0f\u0301\x00"
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(n)]


def test_scorer_equals_training_featuriser_on_100k_names(default_model):
    rng = random.Random(5)
    names = [r.text for r in generate(load_config(), 95_000, 17)]
    names += _hostile_names(rng, 4_990)
    names += [
        "",
        " ",
        "😀" * MAX_NAME_CHARS,
        "x" * MAX_NAME_CHARS,
        "ภ" * MAX_NAME_CHARS,
        "\x00" * 10,
        "IMG_0001.JPG",
        "ျမန္မာ",
        "W3dd1ng.V1de0",
        "m.o.v.i.e",
    ]
    assert len(names) == 100_000
    normalized = [normalize(n) for n in names]
    scorer = BatchScorer(default_model)
    fast = np.concatenate([scorer.integer_logits(normalized[i : i + 10_000])[0] for i in range(0, len(names), 10_000)])
    featuriser = default_model.featuriser()
    slow = np.concatenate(
        [default_model.integer_logits(featuriser.transform(normalized[i : i + 10_000])) for i in range(0, len(names), 10_000)]
    )
    assert np.array_equal(fast, slow)


def test_python_paths_give_the_compiled_paths_results(default_model):
    names = [r.text for r in generate(load_config(), 5_000, 23)] + _hostile_names(random.Random(9), 1_000)
    compiled = BatchScorer(default_model).score(names)
    with DRIVERS.pure_python():
        python = BatchScorer(default_model).score(names)
    assert np.array_equal(compiled.logits, python.logits)
    assert compiled.keyword_ids == python.keyword_ids


def test_compiled_drivers_refuse_non_text_instead_of_crashing():
    fastpath = DRIVERS.module
    if fastpath is None:
        pytest.skip("compiled drivers not built")
    with pytest.raises(TypeError, match="item 1 is NoneType"):
        fastpath.piece_sums(["a", None], {}, lambda tokens: [(0,)] * len(tokens), np.zeros(4, np.int64))
    with pytest.raises(ValueError, match="piece id 9 outside the 4 weights"):
        fastpath.piece_sums(["a"], {}, lambda tokens: [(9,)] * len(tokens), np.zeros(4, np.int64))
    with pytest.raises(TypeError, match="item 0 is bytes"):
        fastpath.ngram_sums([b"x"], np.zeros(16, np.int32), 1, 4, 4, 5, 3, 5)
    with pytest.raises(ValueError, match="needs 65536 weights"):
        fastpath.ngram_sums(["x"], np.zeros(16, np.int32), 1, 16, 4, 5, 3, 5)


def test_batch_size_does_not_change_scores(default_model):
    names = [normalize(r.text) for r in generate(load_config(), 700, 4)]
    scorer = BatchScorer(default_model)
    whole = scorer.integer_logits(names)[0]
    pieces = np.concatenate([scorer.integer_logits(names[i : i + 7])[0] for i in range(0, len(names), 7)])
    assert np.array_equal(whole, pieces)


def test_tampered_reserved_weights_do_not_count(default_model):
    import copy

    tampered = copy.copy(default_model)
    tampered.weights = default_model.weights.copy()
    tampered.weights[default_model.space.reserved_slots("ngram")] = 10**6
    tampered._featuriser = None
    names = [normalize(x) for x in ["a", "IMG_0001.JPG", ""]]
    assert np.array_equal(BatchScorer(tampered).integer_logits(names)[0], BatchScorer(default_model).integer_logits(names)[0])


def test_repeated_pieces_and_ngrams_count_once(default_model):
    """Presence: a name's score does not grow by repeating what it holds."""
    scorer = BatchScorer(default_model)
    for path in (None, "pure"):
        if path:
            with DRIVERS.pure_python():
                logits = (
                    BatchScorer(default_model).score(["xxxxxxxx.jpg", "x" * 800 + ".jpg", "ab ab ab", "ab ab ab ab ab ab"]).logits
                )
        else:
            logits = scorer.score(["xxxxxxxx.jpg", "x" * 800 + ".jpg", "ab ab ab", "ab ab ab ab ab ab"]).logits
        assert logits[2] == logits[3]  # the same tokens, repeated: the same pieces and n-grams
        assert abs(int(logits[1]) - int(logits[0])) < abs(int(logits[0])) + (1 << 20)
