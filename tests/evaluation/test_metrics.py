"""Metric code checked against values computed by hand (see the comments)."""

import math

import pytest

from icop.evaluation import metrics as m

Y = [1, 0, 1, 0]
S = [0.9, 0.8, 0.4, 0.3]


def test_roc_auc_counts_pairs_and_ties_half():
    assert m.roc_auc(Y, S) == 0.75  # 3 of the 4 positive-negative pairs are ordered right
    assert m.roc_auc([1, 0], [0.5, 0.5]) == 0.5
    assert math.isnan(m.roc_auc([1, 1], [0.2, 0.3]))


def test_average_precision():
    assert m.average_precision(Y, S) == pytest.approx((1 / 1 + 2 / 3) / 2)


def test_fpr_at_tpr_precision_recall_at_k():
    assert m.fpr_at_tpr(Y, S, 1.0) == 0.5  # both positives need threshold 0.4, which also flags 0.8
    assert m.fpr_at_tpr(Y, S, 0.5) == 0.0
    assert m.precision_at_k(Y, S, 2) == 0.5 and m.recall_at_k(Y, S, 2) == 0.5


def test_workload_and_wss():
    assert m.workload_at_recall(Y, S, 1.0) == 0.75  # the second positive is third in the queue
    assert m.workload_at_recall(Y, S, 0.5) == 0.25
    assert m.wss_at_recall(Y, S, 1.0) == pytest.approx(0.25)
    assert m.wss_at_recall(Y, S, 0.5) == pytest.approx(0.25)


def test_brier_and_equal_mass_ece():
    assert m.brier([1, 0], [0.8, 0.4]) == pytest.approx(0.1)  # (0.2^2 + 0.4^2) / 2
    # bins {0.1, 0.3} (rate 0, mean 0.2) and {0.6, 0.8} (rate 1, mean 0.7): 0.5*0.2 + 0.5*0.3
    assert m.ece([0, 0, 1, 1], [0.1, 0.3, 0.6, 0.8], bins=2) == pytest.approx(0.25)


def test_bias_aucs_and_aeg():
    y = [1, 1, 0, 0, 1, 0]
    s = [0.9, 0.6, 0.7, 0.2, 0.8, 0.1]
    g = [1, 1, 1, 0, 0, 0]
    assert m.subgroup_auc(y, s, g) == 0.5  # in-group: 0.9 > 0.7 but 0.6 < 0.7
    assert m.bpsn_auc(y, s, g) == 1.0  # background positive 0.8 > subgroup negative 0.7
    assert m.bnsp_auc(y, s, g) == 1.0  # subgroup positives 0.9, 0.6 > background negatives 0.2, 0.1
    assert m.average_equality_gap(y, s, g, positive=True) == 0.0  # group positives vs 0.8: one above, one below


def test_wilson_rule_of_three_ppv():
    low, high = m.wilson(0, 10)
    assert low == 0.0 and high == pytest.approx(0.2775, abs=1e-4)
    assert m.wilson(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert m.rule_of_three(100) == 0.03
    assert m.ppv_at_prevalence(0.9, 0.01, 0.001) == pytest.approx(0.0009 / (0.0009 + 0.00999))


def test_holm_and_two_proportion_test():
    assert m.holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert m.two_proportion_p(10, 100, 10, 100) == 1.0
    assert m.two_proportion_p(1, 100, 30, 100) < 1e-6


def test_bootstrap_is_seeded_and_stratified():
    y = [1] * 40 + [0] * 60
    s = [((i * 37) % 100) / 100 + 0.3 * y[i] for i in range(100)]
    a = m.stratified_bootstrap(y, s, m.roc_auc, n_boot=200, seed=3)
    assert a == m.stratified_bootstrap(y, s, m.roc_auc, n_boot=200, seed=3)
    assert a != m.stratified_bootstrap(y, s, m.roc_auc, n_boot=200, seed=4)
    assert a[0] <= m.roc_auc(y, s) <= a[1]


def test_minimum_n_rule():
    assert m.sufficient(30, 30) and not m.sufficient(29, 500)
