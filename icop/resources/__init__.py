"""Data icop needs at run time, shipped inside the package (so a wheel works anywhere).

``keywords``, ``model`` and ``eval`` are links to the client's top-level folders (keywords/,
models/default/, eval/), so each file has one home in the repository and one in the package.
"""

from __future__ import annotations

from importlib.resources import files

#: The shipped SURROGATE keyword lists (a directory of .tsv files).
KEYWORDS = "keywords"
#: The default model bundle.
MODEL = "model"
#: Evaluation suites (subgroups, perturbations) and the report's JSON Schema.
EVAL = "eval"
#: The default synthetic-corpus configuration.
SYNTH_CONFIG = "synth_default.toml"
#: The latent surrogate lexicon (listed, unlisted and novel markers).
LEXICON = "latent_lexicon.tsv"


def path(name: str) -> str:
    """The file-system path of a shipped resource."""
    return str(files(__name__).joinpath(name))


def read_text(name: str) -> str:
    return files(__name__).joinpath(name).read_text(encoding="utf-8")
