"""The training featuriser: integer feature counts of normalised names as scipy CSR, following
:class:`~icop.features.definition.FeatureSpace` (the batch scorer sums the same features
without building the matrix)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from icop.features.definition import FeatureSpace
from icop.keywords import KeywordMatcher
from icop.text.normalize import Normalized

if TYPE_CHECKING:
    import scipy.sparse as sp


def _csr(*args, **kwargs) -> sp.csr_matrix:
    import scipy.sparse  # here: the batch scorer holds a Featuriser but builds no matrix, and scipy is slow to import

    return scipy.sparse.csr_matrix(*args, **kwargs)


def ngram_matrix(space: FeatureSpace, family: str, texts: Sequence[str]) -> sp.csr_matrix:
    """Presence (1) of the hashed n-gram slots of ``family`` per text (rows = texts, columns = the
    whole feature space); n-grams in reserved slots are left out."""
    if not texts:
        return _csr((0, space.size), dtype=np.int32)
    buffer, lengths = space.flat_buffer(texts)
    row_of_position = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
    nonpad = np.concatenate([[0], np.cumsum(buffer != 0)])
    reserved = space.reserved_slots(family)
    rows, cols = [], []
    for n, slots in enumerate(space.ngram_windows(buffer, family), 1):
        end = np.arange(n - 1, buffer.shape[0])
        real = (nonpad[end + 1] - nonpad[end + 1 - n] > 0) & ~np.isin(slots, reserved)
        rows.append(row_of_position[end[real]])
        cols.append(slots[real] + space.offsets[family])
    rows, cols = np.concatenate(rows), np.concatenate(cols)
    data = np.ones(rows.shape[0], dtype=np.int32)
    matrix = _csr((data, (rows, cols)), shape=(len(texts), space.size), dtype=np.int32)
    matrix.sum_duplicates()
    matrix.data[:] = 1  # presence: a slot counts once per name
    return matrix


class Featuriser:
    """Builds the feature matrix of a batch of normalised names (see icop/features/definition.py)."""

    def __init__(self, space: FeatureSpace, subwords=None, matcher: KeywordMatcher | None = None):
        self.space, self.subwords, self.matcher = space, subwords, matcher
        self._keyword_index = {k: i for i, k in enumerate(space.keyword_ids)}
        self._category_index = {c: i for i, c in enumerate(space.categories)}

    def release_caches(self) -> None:
        """Empties the per-token caches of its subword encoder and keyword matcher."""
        for part in (self.subwords, self.matcher):
            if part is not None:
                part.release_caches()

    def transform(self, names: Sequence[Normalized]) -> sp.csr_matrix:
        """Integer feature counts (CSR, int32) for normalised names."""
        parts = [
            ngram_matrix(self.space, "ngram", [n.norm for n in names]),
            self._skel(names),
            self._subwords(names),
            self._keywords(names),
            self._dense_families(names),
        ]
        matrix = sum(parts[1:], parts[0]).tocsr()
        matrix.sum_duplicates()
        return matrix.astype(np.int32)

    def _skel(self, names: Sequence[Normalized]) -> sp.csr_matrix:
        rows = [i for i, n in enumerate(names) if n.skel != n.norm]
        skel = ngram_matrix(self.space, "skel", [names[i].skel for i in rows])
        return _place_rows(skel, rows, len(names))

    def _subwords(self, names: Sequence[Normalized]) -> sp.csr_matrix:
        s = self.space
        if self.subwords is None or not s.subword_vocab:
            return _csr((len(names), s.size), dtype=np.int32)
        pieces = self.subwords.encode([n.norm for n in names])
        matrix = _counts_matrix(pieces, s.offsets["subword"], s.size)
        matrix.data[:] = 1  # presence: a piece counts once per name
        return matrix

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
        obfuscation = s.clipped_counts([n.obfuscation for n in names]).reshape(len(names), -1).astype(np.int32)
        rows, cols = np.nonzero(obfuscation)
        values = obfuscation[rows, cols]
        ext_cols = np.array([s.offsets["ext"] + s.ext_bucket(n.ext) for n in names], dtype=np.int64)
        rows = np.concatenate([rows, np.arange(len(names))])
        cols = np.concatenate([cols + s.offsets["obfusc"], ext_cols])
        values = np.concatenate([values, np.ones(len(names), dtype=np.int32)])
        return _csr((values, (rows, cols)), shape=(len(names), s.size), dtype=np.int32)


def _counts_matrix(columns: list[list[int]], offset: int, width: int) -> sp.csr_matrix:
    lengths = np.fromiter((len(c) for c in columns), dtype=np.int64, count=len(columns))
    rows = np.repeat(np.arange(len(columns), dtype=np.int64), lengths)
    cols = np.fromiter((c for cs in columns for c in cs), dtype=np.int64, count=int(lengths.sum())) + offset
    matrix = _csr((np.ones(rows.shape[0], dtype=np.int32), (rows, cols)), shape=(len(columns), width), dtype=np.int32)
    matrix.sum_duplicates()
    return matrix


def _place_rows(matrix: sp.csr_matrix, rows: list[int], total: int) -> sp.csr_matrix:
    """Spread the rows of ``matrix`` to positions ``rows`` of a ``total``-row matrix."""
    coo = matrix.tocoo()
    mapping = np.asarray(rows, dtype=np.int64)
    return _csr((coo.data, (mapping[coo.row], coo.col)), shape=(total, matrix.shape[1]), dtype=np.int32)
