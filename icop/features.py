"""The featuriser: one definition of every feature, used by training (scipy CSR) and scoring.

Feature space (one weight vector; each family owns a contiguous range, see :class:`FeatureSpace`):

==========  ==========================================================================
family      features (all values are small non-negative integer counts)
==========  ==========================================================================
ngram       hashed character n-grams, n = 1..5, over the ``norm`` view padded with four
            NULs on each side (so beginnings and ends of names are n-grams too)
skel        the same over the ``skel`` view, only for names whose skel differs from norm
subword     sentencepiece unigram piece ids of each token of the ``norm`` view (subwords.Subwords)
keyword     one per keyword entry found (by entry id order of the list)
category    entries found per keyword category
obfusc      obfuscation counts from normalisation (clipped at 15)
ext         the extension, hashed into a few buckets
==========  ==========================================================================

Hashing (notes/performance.md): over the code points of a flat buffer holding every name of a
batch, h = h * P + c (uint32, wrapping), grown one character at a time so that the hash of each
n-gram extends the (n-1)-gram's; the slot is the top ``bits`` of h * M. N-grams made only of
padding map to reserved slots whose weight is always zero, so a scorer can sum over every window
without a mask. Names are separated by eight NULs, so no window holds characters of two names.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache

import numpy as np
import scipy.sparse as sp

from icop.keywords import KeywordMatcher
from icop.normalize import Normalized, Obfuscation

PAD = 4
MAX_N = 5
PRIME = np.uint32(0x01000193)  # FNV prime
MULTIPLIER = np.uint32(0x9E3779B1)  # golden-ratio multiplier (odd)
OBFUSCATION_FIELDS = Obfuscation._fields
MAX_COUNT = 15


@dataclass(frozen=True)
class FeatureSpace:
    """Sizes, seeds and vocabularies of every feature family; stored in the model bundle."""

    ngram_bits: int = 20
    skel_bits: int = 18
    hash_seed: int = 0x2545F491
    subword_vocab: int = 0
    keyword_ids: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    ext_buckets: int = 64
    offsets: dict[str, int] = field(default_factory=dict, compare=False)

    def __post_init__(self):
        sizes = {
            "ngram": 1 << self.ngram_bits,
            "skel": 1 << self.skel_bits,
            "subword": self.subword_vocab,
            "keyword": len(self.keyword_ids),
            "category": len(self.categories),
            "obfusc": len(OBFUSCATION_FIELDS),
            "ext": self.ext_buckets,
        }
        start = 0
        for family, size in sizes.items():
            self.offsets[family] = start
            start += size
        self.offsets["end"] = start

    @property
    def size(self) -> int:
        return self.offsets["end"]

    def family_of(self, index: int) -> str:
        names = [f for f in self.offsets if f != "end"]
        return next(f for f in reversed(names) if self.offsets[f] <= index)

    def reserved_slots(self, family: str) -> np.ndarray:
        """Slots (within a hashed family) of all-padding n-grams: their weight is always zero, and
        real n-grams that hash there are dropped, so scorers may sum over every window."""
        bits = self.ngram_bits if family == "ngram" else self.skel_bits
        windows = ngram_windows(np.zeros(MAX_N, dtype=np.uint32), self.hash_seed, bits)
        return np.unique([w[0] for w in windows])

    def to_json(self) -> dict:
        data = asdict(self)
        data.pop("offsets")
        data["keyword_ids"] = list(self.keyword_ids)
        data["categories"] = list(self.categories)
        return data

    @classmethod
    def from_json(cls, data: dict) -> FeatureSpace:
        return cls(**{**data, "keyword_ids": tuple(data["keyword_ids"]), "categories": tuple(data["categories"])})


def flat_buffer(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Code points of all texts, each padded with PAD NULs per side, and each text's padded length."""
    sep = "\0" * (2 * PAD)
    joined = "\0" * PAD + sep.join(texts) + "\0" * PAD
    buffer = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    lengths = np.fromiter((len(t) + 2 * PAD for t in texts), dtype=np.int64, count=len(texts))
    return buffer, lengths


def ngram_windows(buffer: np.ndarray, seed: int, bits: int) -> list[np.ndarray]:
    """For n = 1..5, the slot of the n-gram *ending* at each position e >= n - 1 of the buffer."""
    h = np.full(buffer.shape[0], np.uint32(seed), dtype=np.uint32)
    out = []
    with np.errstate(over="ignore"):
        for n in range(1, MAX_N + 1):
            # h[e] now covers buffer[e - n + 1 .. e]: shift the (n-1)-gram hashes right by one.
            if n == 1:
                h = h * PRIME + buffer
            else:
                h = h[:-1] * PRIME + buffer[n - 1 :]
            out.append(((h * MULTIPLIER) >> np.uint32(32 - bits)).astype(np.int64))
    return out


def ngram_matrix(
    texts: Sequence[str], seed: int, bits: int, offset: int, width: int, reserved: np.ndarray
) -> sp.csr_matrix:
    """Counts of hashed n-grams per text as CSR (rows = texts), columns shifted by ``offset``;
    n-grams in ``reserved`` slots are left out."""
    if not texts:
        return sp.csr_matrix((0, width), dtype=np.int32)
    buffer, lengths = flat_buffer(texts)
    row_of_position = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
    nonpad = np.concatenate([[0], np.cumsum(buffer != 0)])
    rows, cols = [], []
    for n, slots in enumerate(ngram_windows(buffer, seed, bits), 1):
        end = np.arange(n - 1, buffer.shape[0])
        real = (nonpad[end + 1] - nonpad[end + 1 - n] > 0) & ~np.isin(slots, reserved)
        rows.append(row_of_position[end[real]])
        cols.append(slots[real] + offset)
    rows, cols = np.concatenate(rows), np.concatenate(cols)
    data = np.ones(rows.shape[0], dtype=np.int32)
    matrix = sp.csr_matrix((data, (rows, cols)), shape=(len(texts), width), dtype=np.int32)
    matrix.sum_duplicates()
    return matrix


class Featuriser:
    """Builds the feature matrix of a batch of normalised names (see the module docstring)."""

    def __init__(self, space: FeatureSpace, subwords=None, matcher: KeywordMatcher | None = None):
        self.space, self.subwords, self.matcher = space, subwords, matcher
        self._keyword_index = {k: i for i, k in enumerate(space.keyword_ids)}
        self._category_index = {c: i for i, c in enumerate(space.categories)}
        self._reserved = {family: space.reserved_slots(family) for family in ("ngram", "skel")}

    def transform(self, names: Sequence[Normalized]) -> sp.csr_matrix:
        """Integer feature counts (CSR, int32) for normalised names."""
        s = self.space
        parts = [
            ngram_matrix([n.norm for n in names], s.hash_seed, s.ngram_bits, s.offsets["ngram"], s.size, self._reserved["ngram"]),
            self._skel(names),
            self._subwords(names),
            self._keywords(names),
            self._dense_families(names),
        ]
        matrix = sum(parts[1:], parts[0]).tocsr()
        matrix.sum_duplicates()
        return matrix.astype(np.int32)

    def _skel(self, names: Sequence[Normalized]) -> sp.csr_matrix:
        s = self.space
        rows = [i for i, n in enumerate(names) if n.skel != n.norm]
        skel = ngram_matrix(
            [names[i].skel for i in rows], s.hash_seed, s.skel_bits, s.offsets["skel"], s.size, self._reserved["skel"]
        )
        return _place_rows(skel, rows, len(names))

    def _subwords(self, names: Sequence[Normalized]) -> sp.csr_matrix:
        s = self.space
        if self.subwords is None or not s.subword_vocab:
            return sp.csr_matrix((len(names), s.size), dtype=np.int32)
        pieces = self.subwords.encode([n.norm for n in names])
        return _counts_matrix(pieces, s.offsets["subword"], s.size)

    def _keywords(self, names: Sequence[Normalized]) -> sp.csr_matrix:
        s = self.space
        columns: list[list[int]] = []
        for matches in self.matcher.find_batch(names) if self.matcher else [[]] * len(names):
            found = {entry.id: entry.category for entry, *_ in matches}
            cols = [s.offsets["keyword"] + self._keyword_index[e] for e in found if e in self._keyword_index]
            cols += [s.offsets["category"] + self._category_index[c] for c in found.values() if c in self._category_index]
            columns.append(cols)
        return _counts_matrix(columns, 0, s.size)

    def _dense_families(self, names: Sequence[Normalized]) -> sp.csr_matrix:
        s = self.space
        obfuscation = np.minimum(np.array([n.obfuscation for n in names], dtype=np.int32).reshape(len(names), -1), MAX_COUNT)
        rows, cols = np.nonzero(obfuscation)
        values = obfuscation[rows, cols]
        ext_cols = np.array([s.offsets["ext"] + ext_bucket(n.ext, s.ext_buckets) for n in names], dtype=np.int64)
        rows = np.concatenate([rows, np.arange(len(names))])
        cols = np.concatenate([cols + s.offsets["obfusc"], ext_cols])
        values = np.concatenate([values, np.ones(len(names), dtype=np.int32)])
        return sp.csr_matrix((values, (rows, cols)), shape=(len(names), s.size), dtype=np.int32)


@lru_cache(maxsize=1 << 12)
def ext_bucket(ext: str, buckets: int) -> int:
    return zlib.crc32(ext.encode("utf-8")) % buckets


def _counts_matrix(columns: list[list[int]], offset: int, width: int) -> sp.csr_matrix:
    lengths = np.fromiter((len(c) for c in columns), dtype=np.int64, count=len(columns))
    rows = np.repeat(np.arange(len(columns), dtype=np.int64), lengths)
    cols = np.fromiter((c for cs in columns for c in cs), dtype=np.int64, count=int(lengths.sum())) + offset
    matrix = sp.csr_matrix((np.ones(rows.shape[0], dtype=np.int32), (rows, cols)), shape=(len(columns), width), dtype=np.int32)
    matrix.sum_duplicates()
    return matrix


def _place_rows(matrix: sp.csr_matrix, rows: list[int], total: int) -> sp.csr_matrix:
    """Spread the rows of ``matrix`` to positions ``rows`` of a ``total``-row matrix."""
    coo = matrix.tocoo()
    mapping = np.asarray(rows, dtype=np.int64)
    return sp.csr_matrix((coo.data, (mapping[coo.row], coo.col)), shape=(total, matrix.shape[1]), dtype=np.int32)
