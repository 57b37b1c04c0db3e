"""The shipped model on real benign names nobody here wrote (held out of its training by item):
longer names, joined names and folder paths must not be flagged more often than single names."""

import random

import numpy as np
import pytest

from icop.model import DEFAULT_POINT
from icop.scoring import BatchScorer
from icop.synth import sources

SOURCES = ("wordfreq-en", "wordfreq-id", "wordfreq-vi", "wordfreq-ru", "pythainlp-words", "faker-person-ja_JP",
           "faker-person-yo_NG", "faker-city-en_US", "faker-company-th_TH", "burmesenlp-places")  # fmt: skip
NAMES_PER_CASE = 4000
EXTENSIONS = (".jpg", ".mp4", ".pdf", ".mp3", ".mkv", ".docx")


@pytest.fixture(scope="module")
def items():
    """Test-split items of several sources (no training name holds any of their tokens)."""
    return [item for name in SOURCES for item in sources.split_items(name)["test"]]


@pytest.fixture(scope="module")
def flag_rate(default_model):
    scorer = BatchScorer(default_model)
    threshold, _ = default_model.threshold(DEFAULT_POINT)

    def rate(names: list[str]) -> float:
        return float(np.mean(scorer.score(names).logits >= threshold))

    return rate


def _names(items, joined: int, seed: int, path_depth: int = 0) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(NAMES_PER_CASE):
        name = rng.choice((" ", "_", ".")).join(rng.choice(items) for _ in range(joined)) + rng.choice(EXTENSIONS)
        folders = [rng.choice(items) for _ in range(path_depth)]
        out.append("/".join([*folders, name]))
    return out


def test_single_real_benign_names_are_rarely_flagged(items, flag_rate):
    assert flag_rate(_names(items, 1, seed=1)) <= 0.003


@pytest.mark.parametrize("joined", [2, 3, 4])
def test_joined_real_names_are_not_flagged_more_often(items, flag_rate, joined):
    single = flag_rate(_names(items, 1, seed=1))
    slack = 3 / NAMES_PER_CASE  # the rule-of-three bound of a zero count
    assert flag_rate(_names(items, joined, seed=joined)) <= 2 * single + slack


@pytest.mark.parametrize("depth", [1, 3])
def test_folder_paths_do_not_raise_the_flag_rate(items, flag_rate, depth):
    single = flag_rate(_names(items, 1, seed=1))
    assert flag_rate(_names(items, 1, seed=10 + depth, path_depth=depth)) <= 1.5 * single + 3 / NAMES_PER_CASE


def test_repeating_a_name_does_not_raise_its_score(default_model):
    scorer = BatchScorer(default_model)
    logits = scorer.score(["x" * 30 + ".jpg", "x" * 300 + ".jpg", "holiday.jpg", "holiday holiday holiday holiday.jpg"]).logits
    assert logits[1] <= logits[0] and logits[3] <= logits[2] + abs(logits[2]) // 2
