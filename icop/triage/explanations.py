"""Explanations of the best-ranked names of a triage run, from the chunks it scored."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from icop.io import tables
from icop.model.linear import LinearModel
from icop.scoring import BatchScorer
from icop.scoring.explain import explain, redacted
from icop.triage.chunks import shown_name
from icop.triage.output import top_rows

EXPLANATION_SUFFIX = ".explanations.jsonl"


def write_explanations(
    parts: list[Path],
    ranked: np.ndarray,
    n: int,
    target: str,
    *,
    model: LinearModel,
    key: bytes | None,
    threshold: str | float,
    bundle_digest: str,
    redact_key: bytes | None,
) -> str:
    """Explanations (JSONL, in rank order) of the ``n`` best-ranked names; with a redaction key
    each is :func:`~icop.scoring.explain.redacted`. Returns the SHA-256 of the file written."""
    rows = top_rows(parts, ranked, n, ("rank", "source", "line", "raw_text", "raw_bytes")).to_pylist()
    scorer = BatchScorer(model, key)
    cards = []
    for row in rows:
        raw = row["raw_text"] if row["raw_text"] is not None else row["raw_bytes"]
        card = explain(model, raw, threshold=threshold, key=key, manifest_sha256=bundle_digest, scorer=scorer)
        if redact_key is not None:
            card = redacted(card, shown_name(card["name"], redact_key))
        cards.append({"rank": row["rank"], "source": row["source"], "line": row["line"], **card})
    return tables.write_jsonl(cards, target)
