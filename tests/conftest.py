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
