"""Sentencepiece unigram subwords over the ``norm`` view, trained reproducibly.

notes/multilingual.md section 6: train on pre-normalised text with the identity rule (icop's own
normalisation is the only one), byte fallback instead of <unk>, digits split, a seeded
pre-sample instead of the trainer's own sampling (which differs per process), one thread. The
model is written to memory, so its bytes do not embed a file path: the same corpus and seed give
a byte-identical ``.model``.
"""

from __future__ import annotations

import io
import random
from collections.abc import Sequence

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


def load(model: bytes) -> spm.SentencePieceProcessor:
    """A processor from serialized model bytes (a protobuf: loading runs no code)."""
    return spm.SentencePieceProcessor(model_proto=model)
