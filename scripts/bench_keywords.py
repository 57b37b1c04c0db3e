#!/usr/bin/env python3
"""Keyword matching throughput on one core with at least 5,000 entries (plain and keyed-hash).

The entries are surrogate markers from several seeds of the lexicon generator (checked like the
shipped ones; benchmark data only, never shipped or printed). Needs the synth extra. The names
are the default synthetic corpus, in which a fifth of the names carry markers from the shipped
lexicon.
"""

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from _bench import pin_one_core, sample_names, timed

from icop import keywords
from icop.keywords import lists
from icop.synth import surrogates
from icop.text.normalize import normalize_batch


def write_lists(directory: Path, entries: int) -> None:
    rows, seed, reason = [], surrogates.DEFAULT_SEED, surrogates.real_word_checker().reason
    while len(rows) < entries:
        seen = {r.term for r in rows}
        rows += [t for t in surrogates.build(seed=seed, reason=reason)[0] if t.term not in seen]
        seed += 1
    lines = [lists.FORMAT_LINE, "# SURROGATE benchmark list", "\t".join(lists.COLUMNS)]
    lines += [f"b{i:05d}\t{t.term}\t{t.lang}\t{t.category}\t1\t{t.match}\tbench\t" for i, t in enumerate(rows[:entries])]
    (directory / "bench.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def scan_all(matcher, normalized):
    return sum(bool(found) for i in range(0, len(normalized), 10_000) for found in matcher.find_batch(normalized[i : i + 10_000]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=3, help="Timed passes per list (median).")
    args = parser.parse_args()
    pin_one_core()
    names = sample_names(args.n)
    normalized = normalize_batch(names)
    key = b"benchmark-key-of-thirty-two-byte"
    with tempfile.TemporaryDirectory() as tmp:
        plain_dir, hashed_dir = Path(tmp, "plain"), Path(tmp, "hashed")
        plain_dir.mkdir()
        hashed_dir.mkdir()
        write_lists(plain_dir, args.entries)
        (hashed_dir / "bench.tsv").write_text(keywords.hash_list(plain_dir / "bench.tsv", key), encoding="utf-8")
        lists = {"plain": (keywords.load([plain_dir]), None), "hashed": (keywords.load([hashed_dir]), key)}
    print(f"entries: {len(lists['plain'][0].entries)}; names: {len(names)} (already normalised)")
    rates = {}
    for label, (loaded, list_key) in lists.items():
        # A fresh matcher per pass: its caches start empty every time.
        runs = [timed(scan_all, keywords.KeywordMatcher(loaded, list_key), normalized) for _ in range(args.repeat)]
        rates[label] = statistics.median(len(names) / seconds for _, seconds in runs)
        print(f"{label:6s}: {rates[label]:,.0f} names/s ({runs[0][0]} names with hits)")
    print(f"hashed / plain: {rates['hashed'] / rates['plain']:.0%} (target >= 50%)")
    plain = keywords.KeywordMatcher(lists["plain"][0])
    hits, seconds = timed(lambda: [plain.scan(n) for n in names[: args.n // 10]])
    print(f"scan with raw spans (normalise + match + locate): {len(hits) / seconds:,.0f} names/s")


if __name__ == "__main__":
    sys.exit(main())
