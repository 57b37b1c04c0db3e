#!/usr/bin/env python3
"""Write the SURROGATE keyword lists (keywords/<lang>.tsv) and the latent lexicon they come from.

Deterministic: the same seed and the same dictionaries (wordfreq, PyThaiNLP) give byte-identical
files. Needs the dev extra: `pip install -e '.[dev]'`.

    python scripts/make_surrogates.py [--seed 2026] [--keywords keywords] [--lexicon icop/resources/latent_lexicon.tsv]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from icop import keywords, resources
from icop.synth import surrogates
from icop.text.languages import LANGUAGES

ROOT = Path(__file__).resolve().parent.parent
ADDED = "2026-11-01"


def write_lists(terms: list[surrogates.LexiconTerm], directory: Path, seed: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for lang in LANGUAGES:
        rows = [t for t in terms if t.lang == lang and t.kind == "listed"]
        lines = [
            keywords.FORMAT_LINE,
            f"# {surrogates.SURROGATE_NOTICE}",
            f"# lang: {lang}; seed: {seed}; entries: {len(rows)}",
            "\t".join(keywords.COLUMNS),
        ]
        lines += [
            "\t".join([t.id, t.term, t.lang, t.category, f"{t.weight:g}", t.match, "surrogate-generator", ADDED]) for t in rows
        ]
        (directory / f"{lang}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=surrogates.DEFAULT_SEED)
    parser.add_argument("--keywords", type=Path, default=ROOT / "keywords")
    parser.add_argument("--lexicon", type=Path, default=ROOT / "icop" / "resources" / resources.LEXICON)
    args = parser.parse_args()
    terms = surrogates.build_latent_lexicon(args.seed, surrogates.dictionary_checker())
    surrogates.write_lexicon(terms, args.lexicon)
    write_lists(terms, args.keywords, args.seed)


if __name__ == "__main__":
    main()
