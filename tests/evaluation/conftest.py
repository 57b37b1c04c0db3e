"""The evaluation report built once per session, for the report and report-page tests."""

import pytest

from icop import evaluation
from icop.model import training

SMALL_SUITES = """seed = 7
sample_positives = 150
sample_negatives = 150
families = ["homoglyph", "zero_width", "separators", "leet", "repeat", "diacritics", "transliteration", "mixed_script", "zawgyi", "case"]
"""


@pytest.fixture(scope="session")
def suites(tmp_path_factory):
    path = tmp_path_factory.mktemp("suites") / "perturbations.toml"
    path.write_text(SMALL_SUITES)
    return path


@pytest.fixture(scope="session")
def report_dir(tmp_path_factory, small_corpus, trained_bundle, suites, shipped_lists):
    out = tmp_path_factory.mktemp("report")
    keywords_only = training.train(training.load_corpus(small_corpus), shipped_lists, out / "kw", baseline="keywords").path
    evaluation.evaluate(trained_bundle, small_corpus, out / "a", baselines=[keywords_only], perturbations=suites)
    evaluation.evaluate(trained_bundle, small_corpus, out / "b", baselines=[keywords_only], perturbations=suites)
    return out
