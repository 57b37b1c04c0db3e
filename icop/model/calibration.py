"""Calibration and operating points, both fitted on the validation split and then frozen.

Operating points are integer logit thresholds (a name is flagged when ``logit >= threshold``):

* ``fpr_0.001``: the lowest threshold whose validation false-positive rate is at most 1e-3;
* ``recall_0.95``: the highest threshold whose validation recall is at least 0.95;
* ``best_f1``: the threshold with the best validation F1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

TARGET_FPR = 1e-3
TARGET_RECALL = 0.95
LOW_FPR_POINT = f"fpr_{TARGET_FPR:g}"
HIGH_RECALL_POINT = f"recall_{TARGET_RECALL:g}"
BEST_F1_POINT = "best_f1"
#: The operating point triage uses unless told otherwise: a frozen false-positive rate, because
#: real prevalence is far below any corpus's and a review queue is paid for in false leads.
DEFAULT_POINT = LOW_FPR_POINT


@dataclass(frozen=True)
class OperatingPoint:
    name: str
    threshold: int  # integer logit: flag when logit >= threshold
    probability: float  # the calibrated probability at the threshold
    rule: str  # how it was chosen on the validation split
    tpr: float
    fpr: float
    precision: float


@dataclass(frozen=True)
class Calibration:
    method: str  # "platt"
    a: float
    b: float

    def probability(self, logits: np.ndarray) -> np.ndarray:
        z = self.a * np.asarray(logits, dtype=np.float64) + self.b
        return 0.5 * (1.0 + np.tanh(0.5 * z))  # the logistic function, without overflow

    def logit(self, probability: float) -> float:
        """The float logit whose calibrated probability is ``probability``."""
        return (math.log(probability / (1 - probability)) - self.b) / self.a


def fit_platt(float_logits: np.ndarray, labels: np.ndarray) -> Calibration:
    """Platt scaling: a one-feature logistic regression of the label on the logit."""
    from sklearn.linear_model import LogisticRegression  # only when fitting: scoring needs no scikit-learn

    fit = LogisticRegression(C=1e6, solver="lbfgs", max_iter=1000)
    fit.fit(np.asarray(float_logits, dtype=np.float64).reshape(-1, 1), labels)
    return Calibration("platt", float(fit.coef_[0, 0]), float(fit.intercept_[0]))


def operating_points(logits: np.ndarray, labels: np.ndarray, probability) -> dict[str, OperatingPoint]:
    """The frozen operating points of integer validation logits; ``probability`` calibrates."""
    logits, labels = np.asarray(logits, dtype=np.int64), np.asarray(labels, dtype=bool)
    negatives = np.sort(logits[~labels])[::-1]
    positives = np.sort(logits[labels])[::-1]
    allowed = math.floor(TARGET_FPR * negatives.size)  # false positives allowed
    fpr_threshold = int(negatives[allowed]) + 1 if allowed < negatives.size else int(negatives[-1])
    needed = max(math.ceil(TARGET_RECALL * positives.size), 1)
    recall_threshold = int(positives[needed - 1])
    points = {
        LOW_FPR_POINT: (fpr_threshold, f"lowest threshold with validation FPR <= {TARGET_FPR:g}"),
        HIGH_RECALL_POINT: (recall_threshold, f"highest threshold with validation recall >= {TARGET_RECALL:g}"),
        BEST_F1_POINT: (_best_f1_threshold(logits, labels), "threshold with the best validation F1"),
    }
    return {name: _point(name, t, rule, logits, labels, probability) for name, (t, rule) in points.items()}


def _best_f1_threshold(logits: np.ndarray, labels: np.ndarray) -> int:
    order = np.argsort(-logits, kind="stable")
    sorted_logits, sorted_labels = logits[order], labels[order]
    tp = np.cumsum(sorted_labels)
    fp = np.cumsum(~sorted_labels)
    last_of_value = np.r_[sorted_logits[1:] != sorted_logits[:-1], True]  # thresholds between distinct values
    f1 = 2 * tp / (tp + fp + labels.sum())
    f1 = np.where(last_of_value, f1, -1)
    return int(sorted_logits[int(np.argmax(f1))])


def _point(name: str, threshold: int, rule: str, logits, labels, probability) -> OperatingPoint:
    flagged = logits >= threshold
    tp, fp = int((flagged & labels).sum()), int((flagged & ~labels).sum())
    return OperatingPoint(
        name=name,
        threshold=threshold,
        probability=float(probability(np.array([threshold]))[0]),
        rule=rule,
        tpr=tp / max(int(labels.sum()), 1),
        fpr=fp / max(int((~labels).sum()), 1),
        precision=tp / max(tp + fp, 1),
    )
