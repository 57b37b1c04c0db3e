"""The feature function: one definition of every feature, read by every consumer.

The training featuriser (scipy CSR), the batch scorer, the compiled kernel, the ONNX exporter,
the explanations and the report all take their families, n-gram orders, padding, truncation,
hashing and family order from :class:`FeatureSpace`; a property test holds every consumer to it.

Feature space (one weight vector; each family owns a contiguous range, in :data:`FAMILIES` order):

==========  ==========================================================================
family      features (all values are small non-negative integers)
==========  ==========================================================================
ngram       presence (0 or 1) of each hashed character n-gram slot, n = 1..5, over the
            ``norm`` view padded with four NULs on each side (so beginnings and ends of
            names are n-grams too): a slot counts once per name however often it occurs
skel        the same over the ``skel`` view, only for names whose skel differs from norm
subword     presence of each sentencepiece unigram piece id of the tokens of the ``norm`` view
            (subwords.Subwords): a piece counts once per name
keyword     one per keyword entry found (by entry id order of the list)
category    entries found per keyword category
obfusc      obfuscation counts from normalisation (clipped at 15)
ext         the extension, hashed into a few buckets
==========  ==========================================================================

Presence, not counts, for the n-gram and subword families: a name's text evidence then grows with
the number of *distinct* n-grams and pieces it holds, not with repetitions, so long or repetitive
benign text does not pile up weight (measured on the open-world corpus: docs/ARCHITECTURE.md).

Hashing: over the code points of a flat buffer holding every name of a
batch, h = h * P + c (uint32, wrapping), grown one character at a time so that the hash of each
n-gram extends the (n-1)-gram's; the slot is the top ``bits`` of h * M. N-grams made only of
padding map to reserved slots whose weight is always zero, so a scorer can sum over every window
without a mask. Names are separated by eight NULs, so no window holds characters of two names.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, fields
from functools import lru_cache
from typing import ClassVar

import numpy as np

from icop.text.normalize import Obfuscation

#: The feature families, in the order their ranges follow each other in the weight vector.
FAMILIES = ("ngram", "skel", "subword", "keyword", "category", "obfusc", "ext")
#: The families whose features are hashed character n-grams, and the view each reads.
NGRAM_VIEWS = {"ngram": "norm", "skel": "skel"}


@dataclass(frozen=True)
class FeatureSpace:
    """Sizes, seeds and vocabularies of every feature family (stored in the model bundle), and the
    fixed rules shared by every bundle of this format (class constants)."""

    ngram_bits: int = 20
    skel_bits: int = 18
    hash_seed: int = 0x2545F491
    subword_vocab: int = 0
    keyword_ids: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    ext_buckets: int = 64

    #: NULs padding each side of a text, so that beginnings and ends are n-grams too.
    PAD: ClassVar[int] = 4
    #: n-gram orders 1..MAX_N.
    MAX_N: ClassVar[int] = 5
    PRIME: ClassVar[int] = 0x01000193  # FNV prime
    MULTIPLIER: ClassVar[int] = 0x9E3779B1  # golden-ratio multiplier (odd)
    #: Obfuscation counts are clipped at this value.
    MAX_COUNT: ClassVar[int] = 15
    OBFUSCATION_FIELDS: ClassVar[tuple[str, ...]] = Obfuscation._fields
    #: Longer names are truncated to their first MAX_NAME_CHARS characters before scoring.
    MAX_NAME_CHARS: ClassVar[int] = 1024

    #: Most hash bits per n-gram family (the compiled kernel keeps a presence bitmap of the table).
    MAX_BITS: ClassVar[int] = 28

    def __post_init__(self):
        for family in NGRAM_VIEWS:
            if not 1 <= self.bits(family) <= self.MAX_BITS:
                raise ValueError(f"{family}_bits must be from 1 to {self.MAX_BITS} (got {self.bits(family)})")
        sizes = {
            "ngram": 1 << self.ngram_bits,
            "skel": 1 << self.skel_bits,
            "subword": self.subword_vocab,
            "keyword": len(self.keyword_ids),
            "category": len(self.categories),
            "obfusc": len(self.OBFUSCATION_FIELDS),
            "ext": self.ext_buckets,
        }
        offsets, start = {}, 0
        for family in FAMILIES:
            offsets[family] = start
            start += sizes[family]
        offsets["end"] = start
        object.__setattr__(self, "offsets", offsets)

    @property
    def size(self) -> int:
        return self.offsets["end"]

    def family_slice(self, family: str) -> slice:
        """The range of ``family`` in the weight vector."""
        after = FAMILIES.index(family) + 1
        return slice(self.offsets[family], self.offsets[FAMILIES[after]] if after < len(FAMILIES) else self.size)

    def family_of(self, index: int) -> str:
        return next(f for f in reversed(FAMILIES) if self.offsets[f] <= index)

    def bits(self, family: str) -> int:
        """Hash bits of an n-gram family."""
        return {"ngram": self.ngram_bits, "skel": self.skel_bits}[family]

    def reserved_slots(self, family: str) -> np.ndarray:
        """Slots (within a hashed family) of all-padding n-grams: their weight is always zero, and
        real n-grams that hash there are dropped, so scorers may sum over every window."""
        windows = self.ngram_windows(np.zeros(self.MAX_N, dtype=np.uint32), family)
        return np.unique([w[0] for w in windows])

    def reserved_columns(self) -> np.ndarray:
        """:meth:`reserved_slots` of every n-gram family, as columns of the weight vector."""
        return np.concatenate([self.reserved_slots(f) + self.offsets[f] for f in NGRAM_VIEWS])

    def truncate(self, text: str) -> str:
        """The part of a decoded name that is scored."""
        return text[: self.MAX_NAME_CHARS]

    def flat_buffer(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Code points of all texts, each padded with PAD NULs per side, and each text's padded length."""
        sep = "\0" * (2 * self.PAD)
        joined = "\0" * self.PAD + sep.join(texts) + "\0" * self.PAD
        buffer = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
        lengths = np.fromiter((len(t) + 2 * self.PAD for t in texts), dtype=np.int64, count=len(texts))
        return buffer, lengths

    def ngram_windows(self, buffer: np.ndarray, family: str) -> list[np.ndarray]:
        """For n = 1..MAX_N, the slot of the n-gram *ending* at each position e >= n - 1 of the buffer."""
        h = np.full(buffer.shape[0], np.uint32(self.hash_seed), dtype=np.uint32)
        prime, multiplier, shift = np.uint32(self.PRIME), np.uint32(self.MULTIPLIER), np.uint32(32 - self.bits(family))
        out = []
        with np.errstate(over="ignore"):
            for n in range(1, self.MAX_N + 1):
                # h[e] now covers buffer[e - n + 1 .. e]: shift the (n-1)-gram hashes right by one.
                h = h * prime + buffer if n == 1 else h[:-1] * prime + buffer[n - 1 :]
                out.append(((h * multiplier) >> shift).astype(np.int64))
        return out

    def ext_bucket(self, ext: str) -> int:
        return _ext_bucket(ext, self.ext_buckets)

    def clipped_counts(self, obfuscation: Sequence[int] | np.ndarray) -> np.ndarray:
        """Obfuscation counts as features (one row per name, or one name)."""
        return np.minimum(np.asarray(obfuscation, dtype=np.int64), self.MAX_COUNT)

    def to_json(self) -> dict:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["keyword_ids"] = list(self.keyword_ids)
        data["categories"] = list(self.categories)
        return data

    @classmethod
    def from_json(cls, data: dict) -> FeatureSpace:
        return cls(**{**data, "keyword_ids": tuple(data["keyword_ids"]), "categories": tuple(data["categories"])})


@lru_cache(maxsize=1 << 12)
def _ext_bucket(ext: str, buckets: int) -> int:
    return zlib.crc32(ext.encode("utf-8")) % buckets
