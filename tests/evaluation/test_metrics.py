"""Metric code checked against values computed by hand (see the comments)."""

import math

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from icop.evaluation import metrics as m

Y = [1, 0, 1, 0]
S = [0.9, 0.8, 0.4, 0.3]


def test_roc_auc_counts_pairs_and_ties_half():
    assert m.roc_auc(Y, S) == 0.75  # 3 of the 4 positive-negative pairs are ordered right
    assert m.roc_auc([1, 0], [0.5, 0.5]) == 0.5
    assert math.isnan(m.roc_auc([1, 1], [0.2, 0.3]))


def test_roc_auc_is_scikit_learns_number():
    rng = np.random.default_rng(2)
    y = rng.random(500) < 0.3
    s = rng.integers(0, 40, 500) + 10 * y  # integer scores: many ties across the classes
    assert m.roc_auc(y, s) == pytest.approx(roc_auc_score(y, s), abs=1e-12)


def test_average_precision_treats_tied_scores_as_one_step():
    assert m.average_precision(Y, S) == pytest.approx((1 / 1 + 2 / 3) / 2)
    # One tied score for both positives and a negative: a single step to recall 1 at precision 2/3
    # (ordering the tie negatives-first would give (1/2 + 2/3) / 2 instead).
    assert m.average_precision([1, 0, 1, 0], [0.5, 0.5, 0.5, 0.1]) == pytest.approx(2 / 3)
    assert math.isnan(m.average_precision([0, 0], [0.1, 0.2]))


def test_confusion_counts_and_rates():
    counts = m.confusion([1, 0, 1, 0, 0], [True, True, False, False, False])
    assert counts == m.Confusion(tp=1, fp=1, fn=1, tn=2)
    assert (counts.tpr, counts.fpr) == (0.5, 1 / 3)
    assert m.tpr_fpr_at(Y, S, 0.5) == (0.5, 0.5)  # flags 0.9 (positive) and 0.8 (negative)
    assert m.tpr_fpr_at(Y, S, 0.95) == (0.0, 0.0)


def test_fpr_at_tpr_precision_recall_at_k():
    assert m.fpr_at_tpr(Y, S, 1.0) == 0.5  # both positives need threshold 0.4, which also flags 0.8
    assert m.fpr_at_tpr(Y, S, 0.5) == 0.0
    assert m.fpr_at_tpr([1, 1], [0.2, 0.3], 0.9) == 0.0 and math.isnan(m.fpr_at_tpr([0, 0], [0.2, 0.3], 0.9))
    assert m.precision_at_k(Y, S, 2) == 0.5 and m.recall_at_k(Y, S, 2) == 0.5


def test_queue_metrics_put_tied_negatives_first():
    # Scores tie at 0.5 for a positive and a negative: the reviewer is assumed to read the negative first.
    y, s = [0, 1, 1], [0.5, 0.5, 0.9]
    assert m.precision_at_k(y, s, 2) == 0.5
    assert m.workload_at_recall(y, s, 1.0) == 1.0


def test_workload_and_wss():
    assert m.workload_at_recall(Y, S, 1.0) == 0.75  # the second positive is third in the queue
    assert m.workload_at_recall(Y, S, 0.5) == 0.25
    assert m.wss_at_recall(Y, S, 1.0) == pytest.approx(0.25)
    assert m.wss_at_recall(Y, S, 0.5) == pytest.approx(0.25)


def test_brier_and_equal_mass_ece():
    assert m.brier([1, 0], [0.8, 0.4]) == pytest.approx(0.1)  # (0.2^2 + 0.4^2) / 2
    assert m.brier([0, 0], [0.1, 0.3]) == pytest.approx(0.05)  # one class only: still defined
    # bins {0.1, 0.3} (rate 0, mean 0.2) and {0.6, 0.8} (rate 1, mean 0.7): 0.5*0.2 + 0.5*0.3
    assert m.ece([0, 0, 1, 1], [0.1, 0.3, 0.6, 0.8], bins=2) == pytest.approx(0.25)
    # bins {0.1, 0.2, 0.3} (rate 1/3, mean 0.2) and {0.7, 0.8, 0.9} (rate 2/3, mean 0.8)
    assert m.ece([0, 0, 1, 1, 1, 0], [0.1, 0.2, 0.3, 0.7, 0.8, 0.9], bins=2) == pytest.approx(2 / 15)
    assert math.isnan(m.ece([], []))


def test_tied_probabilities_share_one_calibration_bin():
    # Quantile edges 0.2, 0.2, 1/3, 0.8: the four 0.2s form one bin, so three bins become two.
    bins = m.calibration_bins([0, 0, 0, 1, 1, 1], [0.2, 0.2, 0.2, 0.2, 0.6, 0.8], bins=3)
    assert bins == [
        m.CalibrationBin(n=4, mean_probability=pytest.approx(0.2), observed_rate=0.25),
        m.CalibrationBin(n=2, mean_probability=pytest.approx(0.7), observed_rate=1.0),
    ]
    # ECE on the same bins: 4/6 * |0.25 - 0.2| + 2/6 * |1 - 0.7|
    assert m.ece([0, 0, 0, 1, 1, 1], [0.2, 0.2, 0.2, 0.2, 0.6, 0.8], bins=3) == pytest.approx(2 / 15)


def test_bin_counts_agree_with_scikit_learns_curve():
    """The counts restate scikit-learn's binning; if it changed, these sums would no longer add up."""
    rng = np.random.default_rng(5)
    p = np.round(rng.beta(0.5, 2, size=997), 3)  # rounded: many ties
    y = rng.random(997) < p
    bins = m.calibration_bins(y, p, bins=15)
    assert sum(b.n for b in bins) == 997
    assert sum(b.n * b.mean_probability for b in bins) == pytest.approx(p.sum())
    assert sum(b.n * b.observed_rate for b in bins) == pytest.approx(y.sum())
    assert m.reliability(y, p)[0] == vars(m.calibration_bins(y, p, bins=10)[0])


def test_bias_aucs_and_aeg():
    y = [1, 1, 0, 0, 1, 0]
    s = [0.9, 0.6, 0.7, 0.2, 0.8, 0.1]
    g = [1, 1, 1, 0, 0, 0]
    assert m.subgroup_auc(y, s, g) == 0.5  # in-group: 0.9 > 0.7 but 0.6 < 0.7
    assert m.bpsn_auc(y, s, g) == 1.0  # background positive 0.8 > subgroup negative 0.7
    assert m.bnsp_auc(y, s, g) == 1.0  # subgroup positives 0.9, 0.6 > background negatives 0.2, 0.1
    assert m.average_equality_gap(y, s, g, positive=True) == 0.0  # group positives vs 0.8: one above, one below
    assert m.average_equality_gap(y, s, g, positive=False) == -0.5  # group negative 0.7 above both 0.2 and 0.1


def test_wilson_rule_of_three_ppv():
    low, high = m.wilson(0, 10)
    assert low == 0.0 and high == pytest.approx(0.2775, abs=1e-4)
    assert m.wilson(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert m.wilson(10, 10) == pytest.approx((0.7225, 1.0), abs=1e-4)
    assert m.wilson(0, 7)[0] == 0.0 and m.wilson(7, 7)[1] == 1.0  # exact ends, no rounding noise
    assert all(math.isnan(x) for x in m.wilson(0, 0))
    assert m.rule_of_three(100) == 0.03
    assert m.ppv_at_prevalence(0.9, 0.01, 0.001) == pytest.approx(0.0009 / (0.0009 + 0.00999))


def _miettinen_nurminen_z(k1, n1, k2, n2, ratio):
    """The score statistic of H0: p1 = ratio * p2 (Miettinen and Nurminen 1985, eq. 11-13), written out."""
    n = n1 + n2
    a, b, c = n * ratio, -(n1 * ratio + k1 + n2 + k2 * ratio), k1 + k2
    p2 = (-b - math.sqrt(b * b - 4 * a * c)) / (2 * a)  # the restricted maximum-likelihood estimate
    p1 = ratio * p2
    variance = (p1 * (1 - p1) / n1 + ratio**2 * p2 * (1 - p2) / n2) * n / (n - 1)
    return (k1 / n1 - ratio * k2 / n2) / math.sqrt(variance)


def test_rate_ratio_interval_is_where_the_score_statistic_reaches_1_96():
    r = m.rate_ratio(5, 100, 2, 200)
    assert r.ratio == 5.0  # (5/100) / (2/200)
    assert _miettinen_nurminen_z(5, 100, 2, 200, r.low) == pytest.approx(1.959964, abs=1e-4)
    assert _miettinen_nurminen_z(5, 100, 2, 200, r.high) == pytest.approx(-1.959964, abs=1e-4)
    assert r.low < 5.0 < r.high


@pytest.mark.parametrize("counts", [(3, 3, 3, 3), (2, 2, 1, 1), (1, 2, 2, 2), (0, 1, 5, 5), (40, 212, 2, 1799)])
def test_rate_ratio_interval_holds_where_a_group_is_all_flagged(counts):
    r = m.rate_ratio(*counts)  # statsmodels' own score interval is complex or collapsed at the first four
    assert r.low <= r.ratio <= r.high
    if r.low > 0:
        assert _miettinen_nurminen_z(*counts, r.low) == pytest.approx(1.959964, abs=1e-4)
    assert _miettinen_nurminen_z(*counts, r.high) == pytest.approx(-1.959964, abs=1e-4)


def test_rate_ratio_with_zero_counts():
    none_in_first = m.rate_ratio(0, 100, 2, 200)
    assert (none_in_first.ratio, none_in_first.low) == (0.0, 0.0) and none_in_first.high > 1
    none_in_second = m.rate_ratio(3, 100, 0, 200)
    assert none_in_second.ratio is None and none_in_second.high is None and none_in_second.low > 1
    assert m.rate_ratio(0, 100, 0, 200) == m.RateRatio(None, None, None)
    assert m.rate_ratio(1, 0, 1, 10) == m.RateRatio(None, None, None)


def test_holm_and_two_proportion_test():
    assert m.holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert m.holm([0.5, 0.4]) == pytest.approx([0.8, 0.8])  # 2 * 0.4, then the running maximum
    assert m.holm([]) == []
    assert m.two_proportion_p(10, 100, 10, 100) == 1.0
    # pooled rate 0.15, se = sqrt(0.15 * 0.85 * 2 / 100) = 0.0505, z = 1.980
    assert m.two_proportion_p(10, 100, 20, 100) == pytest.approx(0.04767, abs=1e-5)
    assert m.two_proportion_p(1, 100, 30, 100) < 1e-6
    assert m.two_proportion_p(0, 50, 0, 80) == 1.0 and m.two_proportion_p(50, 50, 80, 80) == 1.0
    assert math.isnan(m.two_proportion_p(1, 0, 1, 10))


def test_bootstrap_is_seeded_and_stratified():
    y = [1] * 40 + [0] * 60
    s = [((i * 37) % 100) / 100 + 0.3 * y[i] for i in range(100)]
    a = m.stratified_bootstrap(y, s, m.roc_auc, n_boot=200, seed=3)
    assert a == m.stratified_bootstrap(y, s, m.roc_auc, n_boot=200, seed=3)
    assert a != m.stratified_bootstrap(y, s, m.roc_auc, n_boot=200, seed=4)
    assert a[0] <= m.roc_auc(y, s) <= a[1]


def test_bootstrap_keeps_class_sizes_and_rows_together():
    y = [1] * 7 + [0] * 13
    s = [i / 20 for i in range(20)]
    positives_in_resample = m.stratified_bootstrap(y, s, lambda y_, s_: float(np.sum(y_)), n_boot=50, seed=1)
    assert positives_in_resample == (7.0, 7.0)
    extra = [2 * v for v in s]  # each row's extra must travel with its score
    paired = m.stratified_bootstrap(y, s, lambda y_, s_, e_: float(np.all(e_ == 2 * s_)), n_boot=50, seed=1, extra=extra)
    assert paired == (1.0, 1.0)
    only_negatives = m.stratified_bootstrap([0] * 5, s[:5], lambda y_, s_: float(len(y_)), n_boot=20, seed=1)
    assert only_negatives == (5.0, 5.0)


def test_minimum_n_rule():
    assert m.sufficient(30, 30) and not m.sufficient(29, 500)
