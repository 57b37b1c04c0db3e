"""Evaluation metrics: well-kept libraries where they have the metric, a few lines of our own where not.

Scores are any real numbers where higher means "more likely positive"; labels are 0/1. From
scikit-learn: average precision, the Brier score, the ROC curve, confusion counts and calibration
curves. From statsmodels: Wilson intervals, the score test of a ratio of two proportions (inverted
into an interval with scipy's root finder), the two-proportion z-test and Holm's correction. From
scipy: ROC-AUC (as the Mann-Whitney U statistic, see ``roc_auc``) and the bootstrap, resampling
within each label so that small groups keep their size. Written here: the review-queue metrics (precision, recall and
workload at a cut of the ranked queue), the bias AUCs of Borkan et al. (2019), which are ROC-AUC
on chosen subsets, and the expected calibration error. Below ``MIN_N`` positives or negatives a
group's statistic is reported with the status ``insufficient evidence`` instead of a number.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq
from scipy.stats import bootstrap, mannwhitneyu, norm
from sklearn.calibration import calibration_curve
from sklearn.metrics import average_precision_score, brier_score_loss, confusion_matrix, roc_curve
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint, proportions_ztest, score_test_proportions_2indep

MIN_N = 30
INSUFFICIENT = "insufficient evidence"


def _arrays(labels, scores):
    y = np.asarray(labels, dtype=bool)
    s = np.asarray(scores, dtype=np.float64)
    if y.shape != s.shape:
        raise ValueError("labels and scores differ in length")
    return y, s


def _both_classes(y: np.ndarray) -> bool:
    return bool(y.any() and not y.all())


# --------------------------------------------------------------------------- ranking


def roc_auc(labels, scores) -> float:
    """P(score of a random positive > score of a random negative), ties counted half; NaN without both classes.

    That is the Mann-Whitney U of the positives over n_pos * n_neg, the same number as scikit-learn's
    roc_auc_score (a test holds them together) at a third of its cost: the report computes thousands
    of AUCs inside bootstraps, where scikit-learn's input checks (~2 ms a call) would dominate.
    """
    y, s = _arrays(labels, scores)
    if not _both_classes(y):
        return float("nan")
    return float(mannwhitneyu(s[y], s[~y], method="asymptotic").statistic / (y.sum() * (~y).sum()))


def average_precision(labels, scores) -> float:
    """Precision averaged over the recall steps of the ranked list; tied scores are one step (scikit-learn's rule)."""
    y, s = _arrays(labels, scores)
    return float(average_precision_score(y, s)) if y.any() else float("nan")


@dataclass(frozen=True)
class Confusion:
    """Counts of flagged and unflagged names by label, and the rates the report quotes."""

    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def tpr(self) -> float:
        return self.tp / max(self.tp + self.fn, 1)

    @property
    def fpr(self) -> float:
        return self.fp / max(self.fp + self.tn, 1)


def confusion(labels, flagged) -> Confusion:
    """The one place confusion counts are made."""
    tn, fp, fn, tp = confusion_matrix(np.asarray(labels, bool), np.asarray(flagged, bool), labels=[False, True]).ravel()
    return Confusion(tp=int(tp), fp=int(fp), fn=int(fn), tn=int(tn))


def tpr_fpr_at(labels, scores, threshold: float) -> tuple[float, float]:
    """TPR and FPR when every score at or above ``threshold`` is flagged."""
    y, s = _arrays(labels, scores)
    counts = confusion(y, s >= threshold)
    return counts.tpr, counts.fpr


def fpr_at_tpr(labels, scores, target: float) -> float:
    """The lowest FPR of any threshold whose TPR reaches ``target``."""
    y, s = _arrays(labels, scores)
    if not y.any():
        return float("nan")
    if y.all():
        return 0.0
    fpr, tpr, _ = roc_curve(y, s, drop_intermediate=False)
    return float(fpr[np.searchsorted(tpr, target)])


# --------------------------------------------------------------------------- the review queue
# No library has these: they read the queue a reviewer works through, best score first, and
# break ties pessimistically (negatives before positives) so that no figure flatters the model.


def _queue(y: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Labels in review order: by score descending; among ties, negatives first."""
    return y[np.lexsort((y, -s))]


def precision_at_k(labels, scores, k: int) -> float:
    queue = _queue(*_arrays(labels, scores))
    k = min(k, queue.size)
    return float(queue[:k].sum() / k) if k else float("nan")


def recall_at_k(labels, scores, k: int) -> float:
    queue = _queue(*_arrays(labels, scores))
    return float(queue[:k].sum() / max(queue.sum(), 1))


def workload_at_recall(labels, scores, recall: float) -> float:
    """W(R) = min{k : recall@k >= R} / N: the share of the queue a reviewer must read."""
    queue = _queue(*_arrays(labels, scores))
    needed = math.ceil(recall * queue.sum())
    if needed == 0:
        return 0.0
    return float((np.searchsorted(np.cumsum(queue), needed) + 1) / queue.size)


def wss_at_recall(labels, scores, recall: float) -> float:
    """Work saved over sampling: (TN + FN) / N - (1 - R) at the cut that reaches recall R."""
    return float(1 - workload_at_recall(labels, scores, recall) - (1 - recall))


# --------------------------------------------------------------------------- calibration


def brier(labels, probabilities) -> float:
    y, p = _arrays(labels, probabilities)
    return float(brier_score_loss(y, p, pos_label=True))


@dataclass(frozen=True)
class CalibrationBin:
    n: int
    mean_probability: float
    observed_rate: float


def calibration_bins(labels, probabilities, *, bins: int) -> list[CalibrationBin]:
    """scikit-learn's equal-mass (quantile) calibration curve, with the number of names in each bin.

    scikit-learn returns only the two curves; the counts come from its documented binning (edges
    at the quantiles of the probabilities, a value on an edge in the lower bin), and a test holds
    the two together. Tied probabilities always share a bin, so a heavily tied bin can be larger
    than N / bins and the curve can have fewer than ``bins`` points.
    """
    y, p = _arrays(labels, probabilities)
    if not y.size:
        return []
    observed, predicted = calibration_curve(y, p, n_bins=bins, strategy="quantile", pos_label=True)
    edges = np.percentile(p, np.linspace(0, 1, bins + 1) * 100)  # scikit-learn's expression, to the last bit
    counts = np.bincount(np.searchsorted(edges[1:-1], p), minlength=bins)
    return [
        CalibrationBin(n=int(n), mean_probability=float(mean), observed_rate=float(rate))
        for n, mean, rate in zip(counts[counts > 0], predicted, observed, strict=True)
    ]


def reliability(labels, probabilities, bins: int = 10) -> list[dict]:
    """Equal-mass bins: mean predicted probability against the observed positive rate."""
    return [vars(b) for b in calibration_bins(labels, probabilities, bins=bins)]


def ece(labels, probabilities, bins: int = 15) -> float:
    """Expected calibration error over equal-mass bins: sum_b (n_b/N) |observed_b - mean_probability_b|.

    Written here because scikit-learn has no ECE (scikit-learn issue #18268); the bins are its
    calibration curve's, so the ECE and the reliability diagram are read off one binning.
    """
    curve = calibration_bins(labels, probabilities, bins=bins)
    total = sum(b.n for b in curve)
    if not total:
        return float("nan")
    return float(sum(b.n / total * abs(b.observed_rate - b.mean_probability) for b in curve))


# --------------------------------------------------------------------------- bias (Borkan et al. 2019)


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


def average_equality_gap(labels, scores, in_group, *, positive: bool) -> float:
    """AEG = 1/2 - MWU / (n1 n2): the group's (positive or negative) scores against the background's."""
    g = np.asarray(in_group, dtype=bool)
    y, s = _arrays(labels, scores)
    cls = y if positive else ~y
    inside, outside = s[g & cls], s[~g & cls]
    if not inside.size or not outside.size:
        return float("nan")
    return float(0.5 - roc_auc(np.r_[np.ones(inside.size, bool), np.zeros(outside.size, bool)], np.r_[inside, outside]))


# --------------------------------------------------------------------------- uncertainty and tests


def wilson(successes: int, n: int, *, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson score interval for a proportion; with zero successes the upper bound is near 3/n."""
    if n == 0:
        return (float("nan"), float("nan"))
    low, high = proportion_confint(successes, n, alpha=alpha, method="wilson")
    # At 0 (or n) successes the bound is exactly 0 (or 1); statsmodels leaves rounding noise (~1e-17).
    return (0.0 if successes == 0 else float(low), 1.0 if successes == n else float(high))


def rule_of_three(n: int) -> float:
    """95% upper bound for a rate when zero events were seen in n trials."""
    return 3 / n if n else float("nan")


def stratified_bootstrap(
    labels, scores, statistic: Callable, *, n_boot: int = 1000, seed: int = 0, extra=None, alpha: float = 0.05
) -> tuple[float, float]:
    """Percentile interval of ``statistic(labels, scores[, extra])``, resampling names within each label.

    scipy resamples each of several samples independently; the samples are the row indices of
    each label, so a resample keeps both class sizes and each name's score and ``extra`` together.
    """
    y, s = _arrays(labels, scores)
    columns = (y, s) if extra is None else (y, s, np.asarray(extra))
    strata = [np.flatnonzero(y), np.flatnonzero(~y)]

    def on_rows(*indices):
        rows = np.concatenate(indices)
        return statistic(*(column[rows] for column in columns))

    result = bootstrap(
        [stratum for stratum in strata if stratum.size],
        on_rows,
        n_resamples=n_boot,
        batch=50,  # bounds memory at 50 x N row indices
        vectorized=False,
        confidence_level=1 - alpha,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    return (float(result.confidence_interval.low), float(result.confidence_interval.high))


@dataclass(frozen=True)
class RateRatio:
    """(k1 / n1) / (k2 / n2) with its 95% score interval; ``ratio`` is None when the second rate is 0."""

    ratio: float | None
    low: float | None
    high: float | None  # None when unbounded (k2 = 0)


RATIO_SEARCH = (1e-9, 1e9)  # the bounds searched; beyond them an interval is reported as reaching 0 or unbounded


def rate_ratio(k1: int, n1: int, k2: int, n2: int, *, alpha: float = 0.05) -> RateRatio:
    """The ratio of two independent proportions with the Miettinen-Nurminen score interval.

    The interval holds every ratio R that statsmodels' score test of p1 = R p2 (with the
    Miettinen-Nurminen variance correction) does not reject; its ends are found with scipy's
    brentq. One of the intervals Fagerland et al. (2015) recommend, and unlike the log (Katz)
    interval it exists when a count is 0: k1 = 0 gives a lower bound of 0, k2 = 0 an unbounded
    upper one. statsmodels' own ``confint_proportions_2indep(method="score")`` is not used: in
    0.15 it returns complex or collapsed bounds when a group is all flagged (k2 = n2). With both
    counts 0 (or an empty group) nothing is known and every field is None.
    """
    if not n1 or not n2 or k1 + k2 == 0:
        return RateRatio(None, None, None)
    z = float(norm.ppf(1 - alpha / 2))
    ratio = (k1 / n1) / (k2 / n2) if k2 else None
    low_end, high_end = RATIO_SEARCH
    low = 0.0 if k1 == 0 else _score_root((k1, n1, k2, n2), z, low_end, ratio or high_end)
    high = None if k2 == 0 else _score_root((k1, n1, k2, n2), -z, ratio or low_end, high_end)
    return RateRatio(ratio, 0.0 if low is None else low, high)


def _score_root(counts: tuple[int, int, int, int], target: float, a: float, b: float) -> float | None:
    """The ratio in [a, b] where the score statistic (decreasing in the ratio) equals ``target``; None if none."""

    def distance(log_ratio: float) -> float:
        with np.errstate(divide="ignore", invalid="ignore"):
            result = score_test_proportions_2indep(
                *counts, value=math.exp(log_ratio), compare="ratio", correction=True, return_results=True
            )
        statistic = float(result.statistic)
        return (statistic if math.isfinite(statistic) else 0.0) - target  # 0 / 0 only at the estimate itself

    ends = (math.log(a), math.log(b))
    if distance(ends[0]) * distance(ends[1]) > 0:
        return None
    return math.exp(brentq(distance, *ends, xtol=1e-12))


def holm(p_values: list[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values (monotone, capped at 1)."""
    if not p_values:
        return []
    return multipletests(p_values, method="holm")[1].tolist()


def two_proportion_p(k1: int, n1: int, k2: int, n2: int) -> float:
    """Two-sided p-value of the pooled two-proportion z-test (1 when both rates are 0 or both 1)."""
    if not n1 or not n2:
        return float("nan")
    if k1 + k2 in (0, n1 + n2):
        return 1.0  # no variance: the z statistic is 0 / 0
    return float(proportions_ztest([k1, k2], [n1, n2])[1])


def ppv_at_prevalence(tpr: float, fpr: float, prevalence: float) -> float:
    """PPV(pi) = TPR pi / (TPR pi + FPR (1 - pi)): precision at a realistic base rate."""
    denominator = tpr * prevalence + fpr * (1 - prevalence)
    return tpr * prevalence / denominator if denominator else float("nan")


def sufficient(n_pos: int, n_neg: int, min_n: int = MIN_N) -> bool:
    return n_pos >= min_n and n_neg >= min_n
