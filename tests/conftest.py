from pathlib import Path

import pytest

from icop import keywords, resources
from icop.synth.surrogates import latent_lexicon

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parent.parent
#: The shipped default model bundle and keyword lists (package data).
DEFAULT_MODEL = resources.path(resources.MODEL)
DEFAULT_KEYWORDS = resources.path(resources.KEYWORDS)


@pytest.fixture(scope="session")
def default_bundle():
    """The shipped default bundle, loaded once for the whole session."""
    from icop.model import bundle

    return bundle.load(DEFAULT_MODEL)


@pytest.fixture(scope="session")
def default_model(default_bundle):
    return default_bundle.model


@pytest.fixture(scope="session")
def lexicon():
    return latent_lexicon()


@pytest.fixture(scope="session")
def shipped_lists():
    return keywords.load([DEFAULT_KEYWORDS])


@pytest.fixture(scope="session")
def matcher(shipped_lists):
    return keywords.KeywordMatcher(shipped_lists)


def term(lexicon, lang, kind="listed", index=0, form=None):
    """The ``index``-th surrogate of a language of one kind ("listed", "unlisted", "novel"),
    and of one form ("stem", "suffix", ..., "compound") if given."""
    return [t for t in lexicon if t.lang == lang and t.kind == kind and form in (None, t.form)][index]


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory):
    from icop import synth

    out = tmp_path_factory.mktemp("corpus")
    return synth.write_corpus(synth.load_config(), 6000, 3, out)["corpus.parquet"]


@pytest.fixture(scope="session")
def trained_bundle(tmp_path_factory, small_corpus, shipped_lists):
    from icop.model import training

    out = tmp_path_factory.mktemp("bundles") / "linear"
    return training.train(
        training.load_corpus(small_corpus), shipped_lists, out, config=training.TrainConfig(subword_vocab=2000)
    ).path
