"""Evaluation metrics, written out so that each one can be checked by hand (notes/evaluation.md).

Scores are any real numbers where higher means "more likely positive"; labels are 0/1. Ties
in ranking metrics count half (the Mann-Whitney convention). Proportions get Wilson intervals;
everything else gets a seeded, stratified bootstrap (resampling within each label, so that
small groups keep their size). Below ``MIN_N`` positives or negatives a group's statistic is
reported with the status ``insufficient evidence`` instead of a number.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

MIN_N = 30
Z95 = 1.959963984540054
INSUFFICIENT = "insufficient evidence"


def _arrays(labels, scores):
    y = np.asarray(labels, dtype=bool)
    s = np.asarray(scores, dtype=np.float64)
    if y.shape != s.shape:
        raise ValueError("labels and scores differ in length")
    return y, s


def roc_auc(labels, scores) -> float:
    """P(score of a random positive > score of a random negative), ties counted half."""
    y, s = _arrays(labels, scores)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if not n_pos or not n_neg:
        return float("nan")
    ranks = _average_ranks(s)
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _average_ranks(values: np.ndarray) -> np.ndarray:
    order = np.argsort(values, kind="mergesort")
    sorted_values = values[order]
    ranks = np.empty(values.size, dtype=np.float64)
    boundaries = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1], True])
    for start, end in zip(boundaries[:-1], boundaries[1:]):
        ranks[order[start:end]] = (start + end + 1) / 2  # average of ranks start+1 .. end
    return ranks


def average_precision(labels, scores) -> float:
    """Mean of the precision at the rank of each positive (ties broken by sorting positives last)."""
    y, s = _arrays(labels, scores)
    if not y.any():
        return float("nan")
    order = np.lexsort((y, -s))  # by score descending; among ties, negatives first (pessimistic)
    hits = y[order]
    precision = np.cumsum(hits) / np.arange(1, hits.size + 1)
    return float(precision[hits].mean())


def tpr_fpr_at(labels, scores, threshold: float) -> tuple[float, float]:
    y, s = _arrays(labels, scores)
    flagged = s >= threshold
    return float((flagged & y).sum() / max(y.sum(), 1)), float((flagged & ~y).sum() / max((~y).sum(), 1))


def fpr_at_tpr(labels, scores, target: float) -> float:
    """The lowest FPR of any threshold whose TPR reaches ``target``."""
    y, s = _arrays(labels, scores)
    positives = np.sort(s[y])[::-1]
    if positives.size == 0:
        return float("nan")
    threshold = positives[max(math.ceil(target * positives.size), 1) - 1]
    return tpr_fpr_at(y, s, threshold)[1]


def precision_at_k(labels, scores, k: int) -> float:
    y, s = _arrays(labels, scores)
    order = np.lexsort((y, -s))
    k = min(k, y.size)
    return float(y[order[:k]].sum() / k) if k else float("nan")


def recall_at_k(labels, scores, k: int) -> float:
    y, s = _arrays(labels, scores)
    order = np.lexsort((y, -s))
    return float(y[order[:k]].sum() / max(y.sum(), 1))


def workload_at_recall(labels, scores, recall: float) -> float:
    """W(R) = min{k : recall@k >= R} / N: the share of the queue a reviewer must read."""
    y, s = _arrays(labels, scores)
    order = np.lexsort((y, -s))
    found = np.cumsum(y[order])
    needed = math.ceil(recall * y.sum())
    if needed == 0:
        return 0.0
    return float((np.searchsorted(found, needed) + 1) / y.size)


def wss_at_recall(labels, scores, recall: float) -> float:
    """Work saved over sampling: (TN + FN) / N - (1 - R) at the cut that reaches recall R."""
    return float(1 - workload_at_recall(labels, scores, recall) - (1 - recall))


def brier(labels, probabilities) -> float:
    y, p = _arrays(labels, probabilities)
    return float(np.mean((p - y) ** 2))


def ece(labels, probabilities, bins: int = 15) -> float:
    """Expected calibration error over equal-mass bins: sum_b (n_b/N) |mean(y_b) - mean(p_b)|."""
    y, p = _arrays(labels, probabilities)
    if y.size == 0:
        return float("nan")
    order = np.argsort(p, kind="mergesort")
    total = 0.0
    for chunk in np.array_split(order, min(bins, y.size)):
        total += chunk.size / y.size * abs(y[chunk].mean() - p[chunk].mean())
    return float(total)


def reliability(labels, probabilities, bins: int = 10) -> list[dict]:
    """Equal-mass bins: mean predicted probability against the observed positive rate."""
    y, p = _arrays(labels, probabilities)
    order = np.argsort(p, kind="mergesort")
    return [
        {"n": int(c.size), "mean_probability": float(p[c].mean()), "observed_rate": float(y[c].mean())}
        for c in np.array_split(order, min(bins, max(y.size, 1)))
        if c.size
    ]


def subgroup_auc(labels, scores, in_group) -> float:
    """AUC within the group only."""
    g = np.asarray(in_group, dtype=bool)
    y, s = _arrays(labels, scores)
    return roc_auc(y[g], s[g])


def bpsn_auc(labels, scores, in_group) -> float:
    """Background positives, subgroup negatives: low when the group's negatives score high."""
    g = np.asarray(in_group, dtype=bool)
    y, s = _arrays(labels, scores)
    keep = (g & ~y) | (~g & y)
    return roc_auc(y[keep], s[keep])


def bnsp_auc(labels, scores, in_group) -> float:
    """Background negatives, subgroup positives: low when the group's positives score low."""
    g = np.asarray(in_group, dtype=bool)
    y, s = _arrays(labels, scores)
    keep = (g & y) | (~g & ~y)
    return roc_auc(y[keep], s[keep])


def average_equality_gap(labels, scores, in_group, positive: bool) -> float:
    """AEG = 1/2 - MWU / (n1 n2): the group's (positive or negative) scores against the background's."""
    g = np.asarray(in_group, dtype=bool)
    y, s = _arrays(labels, scores)
    cls = y if positive else ~y
    inside, outside = s[g & cls], s[~g & cls]
    if not inside.size or not outside.size:
        return float("nan")
    combined = np.r_[inside, outside]
    labels_ = np.r_[np.ones(inside.size, bool), np.zeros(outside.size, bool)]
    return float(0.5 - roc_auc(labels_, combined))


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion; with zero successes the upper bound is near 3/n."""
    if n == 0:
        return (float("nan"), float("nan"))
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


def rule_of_three(n: int) -> float:
    """95% upper bound for a rate when zero events were seen in n trials."""
    return 3 / n if n else float("nan")


def stratified_bootstrap(
    labels, scores, statistic: Callable, n_boot: int = 1000, seed: int = 0, extra=None, alpha: float = 0.05
) -> tuple[float, float]:
    """Percentile interval of ``statistic(labels, scores[, extra])`` resampling within each label."""
    y, s = _arrays(labels, scores)
    rng = np.random.default_rng(seed)
    pos, neg = np.flatnonzero(y), np.flatnonzero(~y)
    values = []
    for _ in range(n_boot):
        index = (
            np.r_[rng.choice(pos, pos.size), rng.choice(neg, neg.size)] if pos.size and neg.size else rng.choice(y.size, y.size)
        )
        args = (y[index], s[index]) + ((np.asarray(extra)[index],) if extra is not None else ())
        value = statistic(*args)
        if not math.isnan(value):
            values.append(value)
    if not values:
        return (float("nan"), float("nan"))
    return (float(np.quantile(values, alpha / 2)), float(np.quantile(values, 1 - alpha / 2)))


def holm(p_values: list[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values (monotone, capped at 1)."""
    order = np.argsort(p_values, kind="mergesort")
    m = len(p_values)
    adjusted = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted.tolist()


def two_proportion_p(k1: int, n1: int, k2: int, n2: int) -> float:
    """Two-sided p-value of the pooled two-proportion z-test."""
    if not n1 or not n2:
        return float("nan")
    pooled = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 1.0
    z = (k1 / n1 - k2 / n2) / se
    return math.erfc(abs(z) / math.sqrt(2))


def ppv_at_prevalence(tpr: float, fpr: float, prevalence: float) -> float:
    """PPV(pi) = TPR pi / (TPR pi + FPR (1 - pi)): precision at a realistic base rate."""
    denominator = tpr * prevalence + fpr * (1 - prevalence)
    return tpr * prevalence / denominator if denominator else float("nan")


def sufficient(n_pos: int, n_neg: int, min_n: int = MIN_N) -> bool:
    return n_pos >= min_n and n_neg >= min_n
