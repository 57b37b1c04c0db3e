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
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from icop.features import MAX_COUNT, OBFUSCATION_FIELDS, ext_bucket, flat_buffer, ngram_windows
from icop.model import LinearModel
from icop.normalize import aligned_tokens, normalize, rejoin_spaced_letters, trace
from icop.scorer import BatchScorer


@dataclass(frozen=True)
class Contribution:
    family: str
    feature: str  # the n-gram, subword piece, keyword entry id, obfuscation count or extension
    weight: int
    count: int
    contribution: int
    spans: tuple[tuple[int, int], ...]  # in the decoded raw name


def explain(model: LinearModel, raw: str | bytes, threshold: str | float = "best_f1", key: bytes | None = None,
            manifest_sha256: str | None = None, scorer: BatchScorer | None = None) -> dict:
    """A JSON-ready explanation of one name (see the module docstring)."""
    scorer = scorer or BatchScorer(model, key)
    normalized = normalize(raw)
    logits, keyword_ids = scorer.integer_logits([normalized])
    logit = int(logits[0])
    contributions = _contributions(model, scorer, raw, normalized)
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


def write_top(model: LinearModel, summary, output: str, n: int, options, key: bytes | None, manifest_sha256: str) -> Path:
    """Explanations of the ``n`` best-ranked names of a triage run, as JSONL beside the output.

    With ``--redact`` the name and its code points are replaced by the keyed hash; the
    contributions (ids, weights, spans) stay.
    """
    from icop import streams, tables
    from icop.triage import _shown_name

    wanted = {(source, line): rank for source, line, rank in summary.top[:n]}
    scorer = BatchScorer(model, key)
    cards = {}
    for source in dict.fromkeys(source for source, _ in wanted):
        for name in streams.names_from(source, options.column, options.errors):
            rank = wanted.get((source, name.line))
            if rank is not None:
                card = explain(model, name.raw, options.threshold, key, manifest_sha256, scorer)
                if options.redact_key is not None:
                    card["name"] = _shown_name(name.text, options.redact_key)
                    card.pop("codepoints")
                    card["normalisation"] = [{"step": s["step"], "text": "(redacted)"} for s in card["normalisation"]]
                    for c in card["contributions"]:
                        if c["family"] in ("ngram", "skel", "subword"):
                            c["feature"] = "(redacted)"
                cards[rank] = {"rank": rank, "source": source, "line": name.line, **card}
    target = Path(output).with_name(Path(output).name + ".explanations.jsonl")
    tables.write_jsonl((cards[r] for r in sorted(cards)), target)
    return target


# --------------------------------------------------------------------------- contributions


def _contributions(model: LinearModel, scorer: BatchScorer, raw, normalized) -> list[Contribution]:
    space = model.space
    tokens = aligned_tokens(raw)
    norm_spans = _char_spans([(t.norm, (t.start, t.end)) for t in tokens])
    out = _ngrams(normalized.norm, norm_spans, scorer._ngram, space, "ngram", space.ngram_bits)
    if normalized.skel != normalized.norm:
        joined = rejoin_spaced_letters([t.skel for t in tokens])
        skel_spans = _char_spans([(text, _union([(tokens[i].start, tokens[i].end) for i in range(*group)])) for text, group in joined])
        out += _ngrams(normalized.skel, skel_spans, scorer._skel, space, "skel", space.skel_bits)
    out += _subwords(normalized.norm, norm_spans, scorer)
    out += _keywords(raw, normalized, scorer)
    counts = np.minimum(np.array(normalized.obfuscation, dtype=np.int64), MAX_COUNT)
    for name, count, weight in zip(OBFUSCATION_FIELDS, counts.tolist(), scorer._obfuscation.tolist()):
        if count and weight:
            out.append(Contribution("obfusc", name, int(weight), count, int(weight) * count, ()))
    weight = int(scorer._ext[ext_bucket(normalized.ext, space.ext_buckets)])
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


def _ngrams(text: str, char_spans, weights: np.ndarray, space, family: str, bits: int) -> list[Contribution]:
    buffer, _ = flat_buffer([text])
    padded = "\0" * 4 + text + "\0" * 4
    totals: dict[str, list] = defaultdict(lambda: [0, 0, []])  # weight, count, spans
    for n, slots in enumerate(ngram_windows(buffer, space.hash_seed, bits), 1):
        for start in range(len(padded) - n + 1):
            gram = padded[start : start + n]
            if not gram.strip("\0"):
                continue
            weight = int(weights[slots[start]])
            entry = totals[gram]
            entry[0] = weight
            entry[1] += 1
            entry[2] += [char_spans[i - 4] for i in range(start, start + n) if 4 <= i < 4 + len(text)]
    return [
        Contribution(family, gram.replace("\0", "·"), weight, count, weight * count, _merge(spans))
        for gram, (weight, count, spans) in totals.items()
        if weight
    ]


def _subwords(text: str, char_spans, scorer: BatchScorer) -> list[Contribution]:
    if scorer._subwords is None or not scorer._subword.size or not text:
        return []
    totals: dict[tuple[int, str], list] = defaultdict(lambda: [0, []])
    for piece_id, piece, begin, end in scorer._subwords.pieces(text):
        entry = totals[(piece_id, piece)]
        entry[0] += 1
        entry[1] += [char_spans[i] for i in range(begin, end)]
    return [
        Contribution("subword", piece, int(scorer._subword[pid]), count, int(scorer._subword[pid]) * count, _merge(spans))
        for (pid, piece), (count, spans) in totals.items()
        if scorer._subword[pid]
    ]


def _keywords(raw, normalized, scorer: BatchScorer) -> list[Contribution]:
    if scorer._matcher is None:
        return []
    hits = scorer._matcher.scan(raw, normalized)
    spans: dict[str, list] = defaultdict(list)
    categories: dict[str, str] = {}
    for hit in hits:
        spans[hit.entry_id].append((hit.start, hit.end))
        categories[hit.entry_id] = hit.category
    out = []
    for entry_id in sorted(spans):
        weight = scorer._keyword.get(entry_id, 0)
        if weight:
            out.append(Contribution("keyword", entry_id, weight, 1, weight, _merge(spans[entry_id])))
    per_category: dict[str, list] = defaultdict(list)
    for entry_id, category in categories.items():
        per_category[category] += spans[entry_id]
    for category, category_spans in sorted(per_category.items()):
        weight = scorer._category.get(category, 0)
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
