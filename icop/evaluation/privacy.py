"""The privacy section: what each column of a triage output reveals, with and without ``--redact``.

Measured, not described: sample names of the test split go through triage's own chunk scorer
twice (plain, then redacted under a demonstration key) and a third time under another key, and
each column is classified by what its values turned out to be. No name is copied into the report.
"""

from __future__ import annotations

from icop.keywords.hashing import key_check_value
from icop.model.calibration import DEFAULT_POINT
from icop.scoring.scorer import BatchScorer
from icop.triage.chunks import Chunk, ChunkScoring, score_chunk
from icop.triage.output import OUTPUT_COLUMNS

#: What a keyed-hash keyword list discloses besides its entry ids (keywords/README.md).
HASHED_LISTS = (
    "A hashed keyword list records the set of distinct lengths, in characters, of its entries' match keys, "
    "separately for token and substring entries; it does not record how many entries have each length, which "
    "entry has which length, or any character of any term. A partner may delete that line: matching then gives "
    "the same hits, more slowly."
)
#: Not a secret: it only shows what a redaction key does to the output.
DEMO_KEY = b"icop evaluation report: demonstration key"
OTHER_KEY = b"icop evaluation report: another key"


def section(model, texts: list[str], *, include_examples: bool) -> dict:
    chunk = Chunk(
        sources=["names.txt"] * len(texts),
        lines=list(range(1, len(texts) + 1)),
        texts=texts,
        raws=texts,
        fields=[{}] * len(texts),
    )
    scorer = BatchScorer(model)
    threshold = model.operating_points[DEFAULT_POINT].threshold
    plain, redacted, other = (
        score_chunk(chunk, scorer, ChunkScoring(threshold, redact_key=key)).to_pydict() for key in (None, DEMO_KEY, OTHER_KEY)
    )
    columns = [c for c in OUTPUT_COLUMNS if c in plain]
    return {
        "examples_included": include_examples,
        "statement": "Example names appear only with --include-examples; otherwise they are withheld and "
        "explanations show keyword entries by id, weights and spans only. Keyword terms never appear.",
        "sample_names": len(texts),
        "output_columns": [
            {
                "column": c,
                "without_redact": _reveals(plain[c], texts, model),
                "with_redact": _reveals(redacted[c], texts, model, other[c]),
                "changed_by_redact": plain[c] != redacted[c],
            }
            for c in columns
        ],
        "audit_key_fingerprint_length": len(key_check_value(DEMO_KEY)),
        "hashed_lists": HASHED_LISTS,
    }


def _reveals(values: list, texts: list[str], model, other_key_values: list | None = None) -> str:
    if values == texts:
        return "the name as written"
    if all(isinstance(v, str) and v.startswith("hmac:") for v in values):
        repeatable = len(set(values)) == len(set(texts))
        per_key = other_key_values is not None and not set(values) & set(other_key_values)
        return (
            f"a keyed fingerprint of {len(values[0]) - 5} hex digits: the name cannot be read back"
            + ("; equal names give equal fingerprints (linkable under one key)" if repeatable else "")
            + ("; another key gives other fingerprints" if per_key else "")
        )
    if all(v is None for v in values):
        return "nothing unless its option is given"
    if all(isinstance(v, str) for v in values):
        ids = {i for v in values for i in v.split(";") if i}
        if ids <= set(model.space.keyword_ids):
            return "keyword entry ids (never terms)"
        return "the input's own labels (file name, id column)"
    return "numbers only (score, rank or position), no text"
