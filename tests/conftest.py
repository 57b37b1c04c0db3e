from pathlib import Path

import pytest

from icop import keywords
from icop.cli import DEFAULT_KEYWORDS
from icop.surrogates import latent_lexicon

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="session")
def lexicon():
    return latent_lexicon()


@pytest.fixture(scope="session")
def shipped_lists():
    return keywords.load([DEFAULT_KEYWORDS])


@pytest.fixture(scope="session")
def matcher(shipped_lists):
    return keywords.KeywordMatcher(shipped_lists)


def term(lexicon, lang, kind="listed", index=0):
    return [t for t in lexicon if t.lang == lang and t.kind == kind][index]


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory):
    from icop import synth

    out = tmp_path_factory.mktemp("corpus")
    return synth.write_corpus(synth.load_config(), 6000, 3, out)["corpus.parquet"]


@pytest.fixture(scope="session")
def trained_bundle(tmp_path_factory, small_corpus, shipped_lists):
    from icop import train

    out = tmp_path_factory.mktemp("bundles") / "linear"
    path, _ = train.train(train.load_corpus(small_corpus), shipped_lists, out, train.TrainConfig(subword_vocab=2000))
    return path
