"""The vectorised batch scorer: the same integer logits as the training featuriser, faster.

Instead of building a feature matrix, it sums weights directly (notes/performance.md): n-gram
weights are summed per name by the compiled loop (or, without it, gathered from one flat
code-point buffer, :func:`features.ngram_windows`, and summed with ``np.add.reduceat``); subword
weights are summed once per distinct token and then per name; keyword entries, obfuscation
counts and extensions are added for the names that have them. All sums are integer, so the
logits equal :meth:`LinearModel.integer_logits` of the featuriser's matrix exactly (parity
tests hold them together, with and without the compiled drivers).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np

from icop.compiled import fastpath as _fastpath
from icop.features import (
    MAX_COUNT,
    MAX_N,
    MULTIPLIER,
    PAD,
    PRIME,
    ext_bucket,
    flat_buffer,
    ngram_windows,
)
from icop.model import LinearModel
from icop.normalize import NO_OBFUSCATION, Normalized, gc_paused, normalize_batch
from icop.subwords import TOKEN_CACHE_SIZE

BATCH = 10_000


@dataclass
class ScoredBatch:
    logits: np.ndarray  # int64
    probabilities: np.ndarray  # float64
    keyword_ids: list[tuple[str, ...]]  # entry ids found per name (never terms)


class BatchScorer:
    def __init__(self, model: LinearModel, key: bytes | None = None):
        self.model = model
        space = model.space
        weights = model.weights.astype(np.int64)
        # Hashed tables are int32 (half the cache footprint of int64); every sum is int64.
        self._ngram = model.weights[space.offsets["ngram"] : space.offsets["skel"]].astype(np.int32)
        self._skel = model.weights[space.offsets["skel"] : space.offsets["subword"]].astype(np.int32)
        # Reserved slots (all-padding n-grams) count for nothing, whatever a bundle says.
        self._ngram[space.reserved_slots("ngram")] = 0
        self._skel[space.reserved_slots("skel")] = 0
        self._subword = weights[space.offsets["subword"] : space.offsets["keyword"]]
        self._keyword = dict(zip(space.keyword_ids, weights[space.offsets["keyword"] : space.offsets["category"]].tolist()))
        self._category = dict(zip(space.categories, weights[space.offsets["category"] : space.offsets["obfusc"]].tolist()))
        self._obfuscation = weights[space.offsets["obfusc"] : space.offsets["ext"]]
        self._ext = weights[space.offsets["ext"] : space.offsets["end"]]
        featuriser = model.featuriser(key)
        self._subwords, self._matcher = featuriser.subwords, featuriser.matcher
        self._token_subword_sums: dict[str, int] = {}

    def score(self, names: Sequence[str | bytes | Normalized]) -> ScoredBatch:
        with gc_paused():
            if any(isinstance(n, Normalized) for n in names):
                normalized = [n if isinstance(n, Normalized) else normalize_batch([n])[0] for n in names]
            else:
                normalized = normalize_batch(names)
            logits, keyword_ids = self.integer_logits(normalized)
        return ScoredBatch(logits, self.model.probabilities(logits), keyword_ids)

    def integer_logits(self, names: Sequence[Normalized]) -> tuple[np.ndarray, list[tuple[str, ...]]]:
        space = self.model.space
        total = np.full(len(names), np.int64(self.model.intercept))
        if not names:
            return total, []
        norms = [n.norm for n in names]
        total += _ngram_sums(norms, self._ngram, space.hash_seed, space.ngram_bits)
        skel_rows = [i for i, n in enumerate(names) if n.skel != n.norm]
        if skel_rows:
            total[skel_rows] += _ngram_sums([names[i].skel for i in skel_rows], self._skel, space.hash_seed, space.skel_bits)
        if self._subwords is not None and self._subword.size:
            total += self._subword_sums(norms)
        keyword_ids = self._keyword_sums(names, total)
        obfuscated = [i for i, n in enumerate(names) if n.obfuscation != NO_OBFUSCATION]
        if obfuscated:
            counts = np.minimum(np.array([names[i].obfuscation for i in obfuscated], dtype=np.int64), MAX_COUNT)
            total[obfuscated] += counts @ self._obfuscation
        total += self._ext[[ext_bucket(n.ext, space.ext_buckets) for n in names]]
        return total, keyword_ids

    def _subword_sums(self, texts: list[str]) -> np.ndarray:
        """Per text, the summed weights of its pieces, summed per token (tokens repeat)."""
        lookup = self._token_subword_sums
        if len(lookup) >= TOKEN_CACHE_SIZE:
            lookup.clear()  # bounded memory; one batch adds at most its own tokens
        if _fastpath is not None:
            return _fastpath.token_sums(texts, lookup, self._subword_sums_of_tokens)
        missing = list({t for text in texts for t in text.split(" ")} - lookup.keys())
        lookup.update(zip(missing, self._subword_sums_of_tokens(missing)))
        return np.array([sum(map(lookup.__getitem__, text.split(" "))) for text in texts], dtype=np.int64)

    def _subword_sums_of_tokens(self, tokens: list[str]) -> list[int]:
        """The summed piece weights of each token, encoding them all in one call."""
        pieces = self._subwords.encode_tokens(tokens)
        lengths = np.fromiter(map(len, pieces), dtype=np.int64, count=len(pieces))
        ids = np.fromiter(chain.from_iterable(pieces), dtype=np.int64, count=int(lengths.sum()))
        totals = np.concatenate([[0], np.cumsum(self._subword[ids])])
        ends = np.cumsum(lengths)
        return (totals[ends] - totals[ends - lengths]).tolist()

    def _keyword_sums(self, names: Sequence[Normalized], total: np.ndarray) -> list[tuple[str, ...]]:
        found_ids: list[tuple[str, ...]] = [()] * len(names)
        if self._matcher is None:
            return found_ids
        for i, matches in enumerate(self._matcher.find_batch(names)):
            if matches:
                found = {entry.id: entry.category for entry, *_ in matches}
                total[i] += sum([self._keyword.get(e, 0) for e in found]) + sum([self._category.get(c, 0) for c in found.values()])
                found_ids[i] = tuple(sorted(found))
        return found_ids


def _ngram_sums(texts: list[str], weights: np.ndarray, seed: int, bits: int) -> np.ndarray:
    """Per text, the sum of the weights of its hashed 1..5-grams (exact int64)."""
    if _fastpath is not None:
        return _fastpath.ngram_sums(texts, weights, seed, bits, PAD, MAX_N, int(PRIME), int(MULTIPLIER))
    return numpy_ngram_sums(texts, weights, seed, bits)


def numpy_ngram_sums(texts: list[str], weights: np.ndarray, seed: int, bits: int) -> np.ndarray:
    """:func:`_ngram_sums` with numpy over one flat buffer (where the extension is not built)."""
    buffer, lengths = flat_buffer(texts)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    sums = np.zeros(len(texts), dtype=np.int64)
    for n, slots in enumerate(ngram_windows(buffer, seed, bits), 1):
        # slots[j] is the n-gram ending at position j + n - 1; each text's windows are contiguous.
        sums += np.add.reduceat(weights[slots].astype(np.int64), np.maximum(starts - (n - 1), 0))
    return sums
