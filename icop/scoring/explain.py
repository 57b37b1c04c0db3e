"""Per-name explanations: why a name got its score, exactly, in terms a reviewer can check.

An explanation lists every feature that contributed (character n-grams, subword pieces,
keyword entries by id, obfuscation counts, the extension) with its integer weight, its count and
its contribution, and where possible the span of the *raw* name it came from. Bias plus the
contributions equals the logit exactly (integers); the check is part of the explanation. The
normalisation trace shows the text after each step. Keyword terms are never shown, only ids.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from icop.model.calibration import DEFAULT_POINT
from icop.model.linear import LinearModel
from icop.scoring.scorer import BatchScorer
from icop.text.normalize import aligned_tokens, normalize, rejoin_spaced_letters, trace


@dataclass(frozen=True)
class Contribution:
    family: str
    feature: str  # the n-gram, subword piece, keyword entry id, obfuscation count or extension
    weight: int
    count: int
    contribution: int
    spans: tuple[tuple[int, int], ...]  # in the decoded raw name


def explain(
    model: LinearModel,
    raw: str | bytes,
    *,
    threshold: str | float = DEFAULT_POINT,
    key: bytes | None = None,
    manifest_sha256: str | None = None,
    scorer: BatchScorer | None = None,
) -> dict:
    """A JSON-ready explanation of one name (see the module docstring)."""
    scorer = scorer or BatchScorer(model, key)
    if isinstance(raw, str):
        raw = model.space.truncate(raw)
    normalized = normalize(raw)
    logits, keyword_ids = scorer.integer_logits([normalized])
    logit = int(logits[0])
    contributions = _contributions(scorer, raw, normalized)
    total = model.intercept + sum(c.contribution for c in contributions)
    limit, source = model.threshold(threshold)
    probability = float(model.probabilities(np.array([logit]))[0])
    ordered = sorted(contributions, key=lambda c: (-abs(c.contribution), c.family, c.feature))
    return {
        "name": normalized.text,
        "codepoints": [f"U+{ord(ch):04X}" for ch in normalized.text],
        "normalisation": [{"step": step, "text": text} for step, text in trace(raw)],
        "logit": logit,
        "logit_float": logit / (1 << model.scale_bits),
        "probability": probability,
        "threshold": {"logit": limit, "probability": float(model.probabilities(np.array([limit]))[0]), "source": source},
        "decision": int(logit >= limit),
        "bias": model.intercept,
        "exact_sum": {"bias_plus_contributions": total, "logit": logit, "holds": total == logit},
        "keyword_entries": list(keyword_ids[0]),
        "by_family": _by_family(contributions),
        "contributions": [c.__dict__ | {"spans": [list(s) for s in c.spans]} for c in ordered],
        "manifest_sha256": manifest_sha256,
    }


def explain_bundle(loaded, names, *, threshold: str | float = DEFAULT_POINT, key: bytes | None = None) -> Iterator[dict]:
    """:func:`explain` for each name with a loaded bundle (its digest goes into each card)."""
    scorer = BatchScorer(loaded.model, key)
    for name in names:
        yield explain(loaded.model, name, threshold=threshold, key=key, manifest_sha256=loaded.digest, scorer=scorer)


def render_text(explanation: dict, top: int = 15) -> str:
    """A readable form of an explanation."""
    e = explanation
    lines = [
        f"name: {e['name']}",
        f"score: probability {e['probability']:.4f} (logit {e['logit_float']:.4f}); decision {'FLAG' if e['decision'] else 'no flag'}",
        f"threshold: probability {e['threshold']['probability']:.4f} = {e['threshold']['source']}",
        f"exact sum: bias {e['bias']} + contributions = {e['exact_sum']['bias_plus_contributions']} "
        f"{'==' if e['exact_sum']['holds'] else '!='} logit {e['logit']} (integers, 2^-16 units)",
        f"keyword entries: {', '.join(e['keyword_entries']) or 'none'}",
        "by family: " + ", ".join(f"{k} {v:+d}" for k, v in e["by_family"].items()),
        "normalisation:",
        *(f"  {step['step']}: {step['text']}" for step in e["normalisation"]),
        f"top {min(top, len(e['contributions']))} contributions:",
    ]
    for c in e["contributions"][:top]:
        spans = ", ".join(f"{a}-{b}" for a, b in c["spans"]) or "-"
        lines.append(f"  {c['contribution']:+12d}  {c['family']:9s} {c['feature']!r} x{c['count']} at {spans}")
    if e.get("manifest_sha256"):
        lines.append(f"model manifest sha256: {e['manifest_sha256']}")
    return "\n".join(lines) + "\n"


def redacted(card: dict, shown_name: str) -> dict:
    """An explanation that does not disclose the name: ``shown_name`` (its keyed hash) instead of
    the name and its code points, no normalisation texts, no n-gram or subword text; keyword
    entry ids, weights, counts and spans stay."""
    card = {
        **card,
        "name": shown_name,
        "normalisation": [{"step": s["step"], "text": "(redacted)"} for s in card["normalisation"]],
    }
    card.pop("codepoints")
    card["contributions"] = [
        {**c, "feature": "(redacted)"} if c["family"] in _TEXT_FAMILIES else c for c in card["contributions"]
    ]
    return card


_TEXT_FAMILIES = ("ngram", "skel", "subword")


# --------------------------------------------------------------------------- contributions


def _contributions(scorer: BatchScorer, raw, normalized) -> list[Contribution]:
    space, weights = scorer.space, scorer.weights
    tokens = aligned_tokens(raw)
    norm_spans = _char_spans([(t.norm, (t.start, t.end)) for t in tokens])
    out = _ngrams(space, "ngram", normalized.norm, norm_spans, weights.ngram)
    if normalized.skel != normalized.norm:
        joined = rejoin_spaced_letters([t.skel for t in tokens])
        skel_spans = _char_spans(
            [(text, _union([(tokens[i].start, tokens[i].end) for i in range(*group)])) for text, group in joined]
        )
        out += _ngrams(space, "skel", normalized.skel, skel_spans, weights.skel)
    out += _subwords(normalized.norm, norm_spans, scorer)
    out += _keywords(raw, normalized, scorer)
    counts = space.clipped_counts(normalized.obfuscation)
    for name, count, weight in zip(space.OBFUSCATION_FIELDS, counts.tolist(), weights.obfusc.tolist()):
        if count and weight:
            out.append(Contribution("obfusc", name, int(weight), count, int(weight) * count, ()))
    weight = int(weights.ext[space.ext_bucket(normalized.ext)])
    if weight:
        out.append(Contribution("ext", normalized.ext or "(none)", weight, 1, weight, ()))
    return out


def _char_spans(parts: list[tuple[str, tuple[int, int]]]) -> list[tuple[int, int] | None]:
    """For each character of the space-joined parts, its span in the raw name (None for spaces):
    exact when the part is as long as its raw token, else the whole raw token."""
    spans: list[tuple[int, int] | None] = []
    for k, (text, (start, end)) in enumerate(parts):
        if k:
            spans.append(None)
        exact = len(text) == end - start
        spans += [(start + i, start + i + 1) if exact else (start, end) for i in range(len(text))]
    return spans


def _union(spans: list[tuple[int, int]]) -> tuple[int, int]:
    return min(s for s, _ in spans), max(e for _, e in spans)


def _merge(spans) -> tuple[tuple[int, int], ...]:
    merged: list[list[int]] = []
    for start, end in sorted(s for s in spans if s):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple(tuple(m) for m in merged)


def _ngrams(space, family: str, text: str, char_spans, weights: np.ndarray) -> list[Contribution]:
    """One contribution per hashed slot present in the text (presence: each counts once); its
    feature names every n-gram of the text that falls in that slot."""
    buffer, _ = space.flat_buffer([text])
    pad = space.PAD
    padded = "\0" * pad + text + "\0" * pad
    grams: dict[int, set[str]] = defaultdict(set)
    spans: dict[int, list] = defaultdict(list)
    for n, slots in enumerate(space.ngram_windows(buffer, family), 1):
        for start in range(len(padded) - n + 1):
            gram = padded[start : start + n]
            if gram.strip("\0"):
                slot = int(slots[start])
                grams[slot].add(gram.replace("\0", "·"))
                spans[slot] += [char_spans[i - pad] for i in range(start, start + n) if pad <= i < pad + len(text)]
    return [
        Contribution(family, " | ".join(sorted(grams[slot])), int(weights[slot]), 1, int(weights[slot]), _merge(spans[slot]))
        for slot in sorted(grams)
        if weights[slot]
    ]


def _subwords(text: str, char_spans, scorer: BatchScorer) -> list[Contribution]:
    subword = scorer.weights.subword
    if scorer.subwords is None or not subword.size or not text:
        return []
    pieces: dict[int, str] = {}
    spans: dict[int, list] = defaultdict(list)
    for piece_id, piece, begin, end in scorer.subwords.pieces(text):
        pieces[piece_id] = piece  # presence: each piece counts once, wherever it occurs
        spans[piece_id] += [char_spans[i] for i in range(begin, end)]
    return [
        Contribution("subword", piece, int(subword[pid]), 1, int(subword[pid]), _merge(spans[pid]))
        for pid, piece in pieces.items()
        if subword[pid]
    ]


def _keywords(raw, normalized, scorer: BatchScorer) -> list[Contribution]:
    if scorer.matcher is None:
        return []
    hits = scorer.matcher.scan(raw, normalized)
    spans: dict[str, list] = defaultdict(list)
    categories: dict[str, str] = {}
    for hit in hits:
        spans[hit.entry_id].append((hit.start, hit.end))
        categories[hit.entry_id] = hit.category
    out = []
    for entry_id in sorted(spans):
        weight = scorer.weights.keyword.get(entry_id, 0)
        if weight:
            out.append(Contribution("keyword", entry_id, weight, 1, weight, _merge(spans[entry_id])))
    per_category: dict[str, list] = defaultdict(list)
    for entry_id, category in categories.items():
        per_category[category] += spans[entry_id]
    for category, category_spans in sorted(per_category.items()):
        weight = scorer.weights.category.get(category, 0)
        count = sum(1 for c in categories.values() if c == category)
        if weight:
            out.append(Contribution("category", category, weight, count, weight * count, _merge(category_spans)))
    return out


def _by_family(contributions: list[Contribution]) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for c in contributions:
        totals[c.family] += c.contribution
    return dict(sorted(totals.items(), key=lambda kv: -abs(kv[1])))


def to_json(explanation: dict) -> str:
    return json.dumps(explanation, ensure_ascii=False, indent=2)
