"""The vectorised batch scorer: the same integer logits as the training featuriser, faster.

Instead of building a feature matrix, it sums weights directly: n-gram weights are summed per
name by the compiled loop (or, without it, gathered from one flat code-point buffer,
:meth:`FeatureSpace.ngram_windows`, and summed with ``np.add.reduceat``); subword weights are
summed once per distinct token and then per name; keyword entries, obfuscation counts and
extensions are added for the names that have them. All sums are integer, so the logits equal
:meth:`LinearModel.integer_logits` of the featuriser's matrix exactly (parity tests hold them
together, with and without the compiled drivers).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np

from icop.compiled import DRIVERS
from icop.features import NGRAM_VIEWS, FeatureSpace
from icop.features.subwords import TOKEN_CACHE_SIZE
from icop.model.linear import LinearModel
from icop.text.normalize import NO_OBFUSCATION, Normalized, as_normalized, gc_paused

#: Names scored per batch (and per triage chunk): about the size that keeps tables in cache.
BATCH = 10_000


@dataclass
class ScoredBatch:
    logits: np.ndarray  # int64
    probabilities: np.ndarray  # float64
    keyword_ids: list[tuple[str, ...]]  # entry ids found per name (never terms)


@dataclass(frozen=True)
class FamilyWeights:
    """A model's weights by feature family, as the scorer and the explanations read them."""

    ngram: np.ndarray  # int32 (half the cache footprint of int64; every sum is int64)
    skel: np.ndarray  # int32
    subword: np.ndarray  # int64
    keyword: dict[str, int]  # by entry id
    category: dict[str, int]
    obfusc: np.ndarray  # int64
    ext: np.ndarray  # int64

    @classmethod
    def of(cls, model: LinearModel) -> FamilyWeights:
        space = model.space
        hashed = {}
        for family in NGRAM_VIEWS:
            table = model.family_weights(family).astype(np.int32)
            table[space.reserved_slots(family)] = 0  # all-padding n-grams count for nothing, whatever a bundle says
            hashed[family] = table
        wide = {f: model.family_weights(f).astype(np.int64) for f in ("subword", "keyword", "category", "obfusc", "ext")}
        return cls(
            ngram=hashed["ngram"],
            skel=hashed["skel"],
            subword=wide["subword"],
            keyword=dict(zip(space.keyword_ids, wide["keyword"].tolist())),
            category=dict(zip(space.categories, wide["category"].tolist())),
            obfusc=wide["obfusc"],
            ext=wide["ext"],
        )


class BatchScorer:
    """Scores batches of names with one model (and the key of its hashed keyword lists)."""

    def __init__(self, model: LinearModel, key: bytes | None = None):
        self.model = model
        self.space: FeatureSpace = model.space
        self.weights = FamilyWeights.of(model)
        featuriser = model.featuriser(key)
        self.subwords, self.matcher = featuriser.subwords, featuriser.matcher
        self._token_pieces: dict[str, tuple[int, ...]] = {}
        # One int object per piece id, shared by every cached token (a fresh int each is 28 bytes).
        self._piece_ids = tuple(range(self.subwords.size)) if self.subwords is not None else ()

    def score(self, names: Sequence[str | bytes | Normalized]) -> ScoredBatch:
        with gc_paused():
            logits, keyword_ids = self.integer_logits(as_normalized(self._truncated(names)))
        return ScoredBatch(logits, self.model.probabilities(logits), keyword_ids)

    def _truncated(self, names: Sequence) -> Sequence:
        limit = self.space.MAX_NAME_CHARS
        if not any(type(n) is str and len(n) > limit for n in names):
            return names
        return [self.space.truncate(n) if type(n) is str else n for n in names]

    def integer_logits(self, names: Sequence[Normalized]) -> tuple[np.ndarray, list[tuple[str, ...]]]:
        space, w = self.space, self.weights
        total = np.full(len(names), np.int64(self.model.intercept))
        if not names:
            return total, []
        norms = [n.norm for n in names]
        total += ngram_sums(space, "ngram", norms, w.ngram)
        skel_rows = [i for i, n in enumerate(names) if n.skel != n.norm]
        if skel_rows:
            total[skel_rows] += ngram_sums(space, "skel", [names[i].skel for i in skel_rows], w.skel)
        if self.subwords is not None and w.subword.size:
            total += self._subword_sums(norms)
        keyword_ids = self._keyword_sums(names, total)
        obfuscated = [i for i, n in enumerate(names) if n.obfuscation != NO_OBFUSCATION]
        if obfuscated:
            total[obfuscated] += space.clipped_counts([names[i].obfuscation for i in obfuscated]) @ w.obfusc
        total += w.ext[[space.ext_bucket(n.ext) for n in names]]
        return total, keyword_ids

    def _subword_sums(self, texts: list[str]) -> np.ndarray:
        """Per text, the summed weights of its distinct pieces (presence); a text's pieces are its
        tokens' pieces, looked up per token (tokens repeat) and encoded in one call when new."""
        pieces = self._token_pieces
        if len(pieces) >= TOKEN_CACHE_SIZE:
            pieces.clear()  # bounded memory; one batch adds at most its own tokens
        fastpath = DRIVERS.module
        if fastpath is not None:
            return fastpath.piece_sums(texts, pieces, self._pieces_of_tokens, self.weights.subword)
        missing = list({t for text in texts for t in text.split(" ")} - pieces.keys())
        pieces.update(zip(missing, self._pieces_of_tokens(missing)))
        weight = self.weights.subword
        return np.array(
            [int(weight[list(set(chain.from_iterable(map(pieces.__getitem__, text.split(" ")))))].sum()) for text in texts],
            dtype=np.int64,
        )

    def _pieces_of_tokens(self, tokens: list[str]) -> list[tuple[int, ...]]:
        """The piece ids of each token, encoding them all in one call."""
        shared = self._piece_ids
        return [tuple([shared[i] for i in ids]) for ids in self.subwords.encode_tokens(tokens)]

    def _keyword_sums(self, names: Sequence[Normalized], total: np.ndarray) -> list[tuple[str, ...]]:
        found_ids: list[tuple[str, ...]] = [()] * len(names)
        if self.matcher is None:
            return found_ids
        keyword, category = self.weights.keyword, self.weights.category
        for i, matches in enumerate(self.matcher.find_batch(names)):
            if matches:
                found = {entry.id: entry.category for entry, *_ in matches}
                total[i] += sum([keyword.get(e, 0) for e in found]) + sum([category.get(c, 0) for c in found.values()])
                found_ids[i] = tuple(sorted(found))
        return found_ids


def ngram_sums(space: FeatureSpace, family: str, texts: list[str], weights: np.ndarray) -> np.ndarray:
    """Per text, the sum of the weights of its hashed n-grams of ``family`` (exact int64)."""
    fastpath = DRIVERS.module
    if fastpath is not None:
        return fastpath.ngram_sums(
            texts, weights, space.hash_seed, space.bits(family), space.PAD, space.MAX_N, space.PRIME, space.MULTIPLIER
        )
    return numpy_ngram_sums(space, family, texts, weights)


def numpy_ngram_sums(space: FeatureSpace, family: str, texts: list[str], weights: np.ndarray) -> np.ndarray:
    """:func:`ngram_sums` with numpy over one flat buffer (where the extension is not built): the
    (text, slot) pair of every window, made unique, then the weights summed per text."""
    buffer, lengths = space.flat_buffer(texts)
    text_of_position = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
    bits = space.bits(family)
    keys = []
    for n, slots in enumerate(space.ngram_windows(buffer, family), 1):
        # slots[j] is the n-gram ending at position j + n - 1, which lies in its own text's padded span.
        keys.append((text_of_position[n - 1 :] << bits) | slots)
    pairs = np.unique(np.concatenate(keys))
    # float64 sums of int32 weights over at most 5 * 1034 slots stay below 2**53: exact.
    totals = np.bincount(pairs >> bits, weights=weights[pairs & ((1 << bits) - 1)].astype(np.float64), minlength=len(texts))
    return totals[: len(texts)].astype(np.int64)
