"""Sentencepiece unigram subwords over the ``norm`` view, trained reproducibly.

Trained on pre-normalised text with the identity rule (icop's own normalisation is the only
one: sentencepiece's ``nmt_nfkc`` would split Thai SARA AM into byte pieces), byte fallback
instead of <unk>, digits split, a seeded pre-sample instead of the trainer's own sampling (which
differs per process even with a seed), one thread (1 and 2 threads give different pieces). The
model is written to memory, so its bytes do not embed a file path: the same corpus and seed give
a byte-identical ``.model`` (docs/NORMALIZATION.md, "Subwords").
"""

from __future__ import annotations

import io
import random
from bisect import bisect_left
from collections.abc import Sequence
from itertools import accumulate

import sentencepiece as spm

DEFAULT_VOCAB = 8000
MAX_TRAINING_SENTENCES = 200_000
#: Release tags kept as single pieces.
USER_SYMBOLS = ("1080p", "720p", "480p", "2160p", "x264", "x265", "hevc", "web", "dl", "webrip", "bluray", "hdtv")


def train(texts: Sequence[str], vocab_size: int = DEFAULT_VOCAB, seed: int = 0) -> bytes:
    """Train on a seeded sample of the non-empty texts; returns the serialized model. The
    vocabulary is raised to the minimum byte fallback needs on small corpora."""
    pool = sorted({t for t in texts if t.strip()})
    sample = random.Random(seed).sample(pool, min(len(pool), MAX_TRAINING_SENTENCES))
    # Byte fallback needs 256 byte pieces, plus every character kept, the tags and the specials.
    vocab_size = max(vocab_size, 256 + len(USER_SYMBOLS) + len(set("".join(sample))) + 4)
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(sample),
        model_writer=model,
        model_type="unigram",
        vocab_size=vocab_size,
        normalization_rule_name="identity",
        byte_fallback=True,
        character_coverage=0.9995,
        split_digits=True,
        split_by_unicode_script=True,
        split_by_whitespace=True,
        max_sentencepiece_length=16,
        user_defined_symbols=list(USER_SYMBOLS),
        input_sentence_size=0,
        shuffle_input_sentence=False,
        hard_vocab_limit=False,
        num_threads=1,
        minloglevel=2,
    )
    return model.getvalue()


def load(model: bytes) -> Subwords:
    """The subword encoder of serialized model bytes (a protobuf: loading runs no code)."""
    return Subwords(spm.SentencePieceProcessor(model_proto=model))


#: Encoded tokens kept per model; cleared when full (bounded memory, same results).
TOKEN_CACHE_SIZE = 1 << 18


class Subwords:
    """Piece ids of texts, token by token: the pieces of a text are those of its tokens (split at
    spaces) in order. Sentencepiece never lets a piece cross a space, so this is its own
    segmentation, except that ties between equally scored segmentations are settled per token;
    the definition makes each token's pieces cacheable, and training and scoring share it."""

    def __init__(self, processor: spm.SentencePieceProcessor):
        self.processor = processor
        self.size = processor.get_piece_size()
        self._cache: dict[str, list[int]] = {}

    def token_ids(self, token: str) -> list[int]:
        ids = self._cache.get(token)
        if ids is None:
            if len(self._cache) >= TOKEN_CACHE_SIZE:
                self._cache.clear()
            ids = self._cache[token] = self.processor.encode(token)
        return ids

    def release_caches(self) -> None:
        """Empties the encoded-token cache (computed again on demand: no result changes)."""
        self._cache.clear()

    def encode_tokens(self, tokens: list[str]) -> list[list[int]]:
        """Piece ids of each token, in one call (for a batch of tokens not seen before)."""
        return self.processor.encode(tokens)

    def encode(self, texts: Sequence[str]) -> list[list[int]]:
        return [[i for token in text.split(" ") for i in self.token_ids(token)] for text in texts]

    def pieces(self, text: str) -> list[tuple[int, str, int, int]]:
        """(id, piece, start, end) of each piece, with character offsets into ``text``; a token's
        leading "▁" stands for the space before it, as when the whole text is encoded."""
        out, offset = [], 0
        for token in text.split(" "):
            byte_to_char = list(accumulate((len(ch.encode("utf-8")) for ch in token), initial=0))
            for p in self.processor.encode(token, return_type="proto").pieces:
                start = offset + bisect_left(byte_to_char, p.begin) - (1 if offset and p.begin == 0 else 0)
                out.append((p.id, p.piece, start, offset + bisect_left(byte_to_char, p.end)))
            offset += len(token) + 1
        return out
