"""Every consumer of the feature definition computes the same numbers from it.

For random feature spaces (hash seed, table sizes, extension buckets) and random integer weights,
the training featuriser, the batch scorer (compiled and Python paths), the ONNX graph and the
explanations must give the same integer logit for every name.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from icop.compiled import DRIVERS
from icop.features import FAMILIES, FeatureSpace
from icop.model import Calibration, LinearModel
from icop.scoring import BatchScorer
from icop.scoring.explain import explain
from icop.text.normalize import normalize

ALPHABET = "aZ09 ._-[]ภาพยนตร์ำ่ស្រ្តីကျမန္ာ၀電影ｶﾗｵｹрасеёđơưọ😀\u200b\u00ad\u0301W3dd1ng"
NAMES = st.lists(st.text(alphabet=ALPHABET, max_size=40), min_size=1, max_size=12)


def _model(space: FeatureSpace, seed: int, keywords) -> LinearModel:
    rng = np.random.default_rng(seed)
    weights = rng.integers(-(1 << 20), 1 << 20, size=space.size, dtype=np.int64).astype(np.int32)
    weights[space.reserved_columns()] = 0
    return LinearModel(
        kind="linear",
        space=space,
        weights=weights,
        intercept=int(rng.integers(-1000, 1000)),
        calibration=Calibration("platt", 1.0, 0.0),
        operating_points={},
        subword_model=None,
        keywords=keywords,
    )


SPACES = st.builds(
    FeatureSpace,
    ngram_bits=st.integers(6, 14),
    skel_bits=st.integers(4, 12),
    hash_seed=st.integers(0, 2**32 - 1),
    ext_buckets=st.integers(1, 9),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(space=SPACES, names=NAMES, seed=st.integers(0, 10**6))
def test_featuriser_scorer_and_explanations_agree(space, names, seed, shipped_lists):
    entries = tuple(e.id for e in shipped_lists.entries[:40])
    space = FeatureSpace(**{**space.to_json(), "keyword_ids": entries, "categories": ("surrogate-a", "surrogate-b")})
    model = _model(space, seed, shipped_lists)
    normalized = [normalize(n) for n in names]
    reference = model.integer_logits_of(normalized)
    assert np.array_equal(BatchScorer(model).integer_logits(normalized)[0], reference)
    with DRIVERS.pure_python():
        assert np.array_equal(BatchScorer(model).integer_logits(normalized)[0], reference)
    for name, logit in zip(names, reference.tolist()):
        card = explain(model, name, threshold=0.5)
        assert card["logit"] == logit and card["exact_sum"]["holds"]


@pytest.mark.slow
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(space=SPACES, names=NAMES, seed=st.integers(0, 10**6))
def test_onnx_graph_agrees_with_the_definition(space, names, seed, tmp_path_factory):
    from icop.integrations import onnx

    model = _model(space, seed, None)
    path = tmp_path_factory.mktemp("onnx") / "m.onnx"
    onnx.export(model, path)
    logits, _ = onnx.session(path).run(["logit", "probability"], onnx.prepare_inputs(model, names))
    assert logits.tolist() == model.integer_logits_of([normalize(n) for n in names]).tolist()


def test_family_ranges_follow_the_family_order():
    space = FeatureSpace(ngram_bits=4, skel_bits=3, subword_vocab=5, keyword_ids=("a", "b"), categories=("x",), ext_buckets=2)
    slices = [space.family_slice(f) for f in FAMILIES]
    assert [s.start for s in slices] == [0, 16, 24, 29, 31, 32, 42]
    assert all(a.stop == b.start for a, b in zip(slices, slices[1:])) and slices[-1].stop == space.size == 44
    assert len(space.reserved_columns()) == len(space.reserved_slots("ngram")) + len(space.reserved_slots("skel"))


def test_truncation_is_the_definitions():
    long_name = "movie " * 400
    space = FeatureSpace()
    assert space.truncate(long_name) == long_name[: FeatureSpace.MAX_NAME_CHARS]
    model = _model(FeatureSpace(ngram_bits=8, skel_bits=6), 3, None)
    scored = BatchScorer(model).score([long_name]).logits[0]
    assert scored == model.integer_logits_of([normalize(long_name[: FeatureSpace.MAX_NAME_CHARS])])[0]
    assert explain(model, long_name, threshold=0.5)["logit"] == scored
