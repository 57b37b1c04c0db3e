"""Arbitrary text and bytes through every stage of scoring: no exception, exact sums."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from icop.model import bundle
from icop.scoring.explain import explain
from icop.scoring.scorer import BatchScorer
from icop.text.normalize import normalize
from tests.reliability.conftest import MODEL


@pytest.fixture(scope="module")
def model():
    return bundle.load(MODEL).model


ANY_TEXT = st.one_of(
    st.text(st.characters(codec=None), max_size=80),
    st.text(
        st.sampled_from(list("aZ09 ._-[]ภาพยนตร์ำ่ស្រ្តីကျမန္ာ၀႔電影ｶﾗｵｹрасеёđơưọ😀\u200b\u200c\u00ad\ufe0f\u0301\x00\ud800")),
        max_size=60,
    ),
)
ANY_NAME = st.one_of(ANY_TEXT, st.binary(max_size=80))


@pytest.mark.hostile
@settings(max_examples=2000, suppress_health_check=list(HealthCheck), deadline=None)
@given(st.lists(ANY_NAME, min_size=1, max_size=8))
def test_hostile_names_through_every_stage(model, names):
    scorer = BatchScorer(model)
    normalized = [normalize(n) for n in names]
    for n in normalized:
        assert normalize(n.norm).norm == n.norm
    fast, _ = scorer.integer_logits(normalized)
    slow = model.integer_logits(model.featuriser().transform(normalized))
    assert np.array_equal(fast, slow)
    matcher = model.featuriser().matcher
    for raw, n in zip(names, normalized):
        for hit in matcher.scan(raw, n):
            assert 0 <= hit.start <= hit.end <= len(n.text)
    card = explain(model, names[0], scorer=scorer)
    assert card["exact_sum"]["holds"]
