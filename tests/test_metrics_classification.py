"""Classifier metrics against hand-worked values, scikit-learn and brute-force enumeration."""

import itertools

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, log_loss

from tests.helpers import compose
from toyemerge.metrics import Classification
from toyemerge.metrics.classification import (
    accuracy,
    brier_per_example,
    brier_score,
    cross_entropy,
    mean_log_prob,
    subset_accuracy_exact,
    subset_accuracy_from_mean,
    subset_accuracy_sampled,
    subset_groups,
)


def test_accuracy_by_hand_and_sklearn():
    target = np.array([0, 1, 2, 3, 4])
    pred = np.array([0, 1, 0, 3, 0])
    assert accuracy(target, pred) == pytest.approx(3 / 5)
    rng = np.random.default_rng(0)
    t, p = rng.integers(0, 10, 1000), rng.integers(0, 10, 1000)
    assert accuracy(t, p) == pytest.approx(accuracy_score(t, p))


def test_cross_entropy_by_hand_and_sklearn():
    assert cross_entropy(np.array([1.0, 0.5, 0.25])) == pytest.approx((0 + np.log(2) + np.log(4)) / 3)
    rng = np.random.default_rng(1)
    probs = rng.dirichlet(np.ones(10), size=500)
    target = rng.integers(0, 10, 500)
    p_target = probs[np.arange(500), target]
    assert cross_entropy(p_target) == pytest.approx(log_loss(target, probs, labels=range(10)), rel=1e-9)


def test_cross_entropy_is_finite_when_probability_underflows():
    assert np.isfinite(cross_entropy(np.array([0.0, 1.0])))


def test_subset_accuracy_exact_by_hand():
    correct = np.array([1, 1, 1, 0], dtype=bool)  # 3 of 4 right
    assert subset_accuracy_exact(correct, 1) == pytest.approx(3 / 4)
    assert subset_accuracy_exact(correct, 2) == pytest.approx(3 / 6)  # C(3,2)/C(4,2)
    assert subset_accuracy_exact(correct, 3) == pytest.approx(1 / 4)  # C(3,3)/C(4,3)
    assert subset_accuracy_exact(correct, 4) == 0.0


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
def test_subset_accuracy_exact_matches_brute_force_enumeration(k):
    correct = np.random.default_rng(k).random(9) < 0.7
    subsets = list(itertools.combinations(range(9), k))
    brute = np.mean([correct[list(s)].all() for s in subsets])
    assert subset_accuracy_exact(correct, k) == pytest.approx(brute, abs=1e-12)


def test_subset_accuracy_rejects_bad_k():
    with pytest.raises(ValueError, match="larger than the test set"):
        subset_accuracy_exact(np.ones(3, bool), 4)
    with pytest.raises(ValueError, match="positive integer"):
        subset_accuracy_exact(np.ones(3, bool), 0)


def test_sampled_subset_accuracy_uses_disjoint_groups_and_agrees_with_exact():
    correct = np.random.default_rng(2).random(10_000) < 0.9
    for k in (1, 3, 5):
        value, low, high, groups = subset_accuracy_sampled(correct, k, seed=0)
        assert groups == 10_000 // k
        assert low <= value <= high
        assert low <= subset_accuracy_exact(correct, k) <= high


def test_sampled_subset_accuracy_reads_zero_below_its_resolution():
    # 20 % accuracy, K = 5: the exact value is ~3e-4 but 4 groups of 5 almost surely all fail.
    correct = np.zeros(20, bool)
    correct[:4] = True
    value, low, high, groups = subset_accuracy_sampled(correct, 5, seed=0)
    assert groups == 4 and value == 0.0  # 4 right answers cannot fill a group of 5
    assert subset_accuracy_exact(correct, 5) == 0.0  # fewer right than K
    assert 0 < subset_accuracy_exact(np.r_[np.ones(5, bool), np.zeros(15, bool)], 5) < 1 / 4


def test_sampled_groups_are_the_same_for_every_model():
    """One seed cuts the test set into one set of groups, whatever the model: two models with different
    answers are scored on the same index sets, and another seed cuts other groups."""
    n, k = 100, 3

    def groups_of(seed):
        """The groups of `seed`, read off probe models: one wrong only on item i fails i's group alone."""
        members = {}
        for i in range(n):
            probe = np.ones(n, bool)
            probe[i] = False
            failed = np.flatnonzero(~subset_groups(probe, k, seed))
            assert len(failed) <= 1  # an item is in one group at most (the remainder in none)
            if len(failed):
                members.setdefault(int(failed[0]), set()).add(i)
        assert sorted(len(g) for g in members.values()) == [k] * (n // k)  # ⌊N/K⌋ disjoint groups of K
        return [members[g] for g in sorted(members)]

    groups = groups_of(7)
    rng = np.random.default_rng(3)
    model_a, model_b = rng.random(n) < 0.8, rng.random(n) < 0.6
    for model in (model_a, model_b):
        on_these_groups = [bool(model[sorted(g)].all()) for g in groups]
        assert 0 < sum(on_these_groups) < len(groups)  # some groups right, some wrong: other groups would show
        assert subset_groups(model, k, 7).tolist() == on_these_groups
        assert subset_accuracy_sampled(model, k, seed=7)[0] == pytest.approx(np.mean(on_these_groups))
    assert groups_of(8) != groups


def test_score_rows():
    target = np.array([0, 1, 2, 3])
    outputs = {"target": target, "pred": np.array([0, 1, 2, 0]), "p_target": np.array([0.9, 0.8, 0.7, 0.1])}
    cfg = compose("+exp=mnist", "metrics.subset_k=[1,2]").metrics
    rows = {(r["metric"], r["param"]): r for r in Classification.from_metrics_cfg(cfg).table(outputs, cfg)}
    assert rows[("accuracy", None)]["value"] == pytest.approx(0.75)
    assert rows[("accuracy", None)]["ci_low"] < 0.75 < rows[("accuracy", None)]["ci_high"]
    assert rows[("subset_accuracy", 2)]["value"] == pytest.approx(3 / 6)
    assert rows[("subset_accuracy", 1)]["value"] == pytest.approx(0.75)
    assert ("subset_accuracy_sampled", 2) in rows
    assert rows[("cross_entropy", None)]["value"] == pytest.approx(-np.log([0.9, 0.8, 0.7, 0.1]).mean())


def test_seeded_permutation_is_numpys_and_read_only():
    from toyemerge.metrics.classification import seeded_permutation

    order = seeded_permutation(1000, 3)
    np.testing.assert_array_equal(order, np.random.default_rng(3).permutation(1000))
    assert seeded_permutation(1000, 3) is order  # computed once
    with pytest.raises(ValueError):
        order[0] = 1


def test_brier_and_log_prob_by_hand():
    probs = np.array([[0.7, 0.2, 0.1], [0.5, 0.5, 0.0]])
    target = np.array([0, 2])
    # (0.3² + 0.2² + 0.1²) = 0.14; (0.5² + 0.5² + 1²) = 1.5
    np.testing.assert_allclose(brier_per_example(probs, target), [0.14, 1.5])
    assert brier_score(probs, target) == pytest.approx(0.82)
    assert mean_log_prob(np.array([1.0, 0.5])) == pytest.approx(np.log(0.5) / 2)


def test_exact_subset_accuracy_of_one_model_is_bitwise_the_vectorized_value():
    """The sharpness map evaluates C(n, K)/C(N, K) one model at a time in Python floats; it must
    equal, bit for bit, the vectorized form the bootstrap evaluates on resampled means."""
    rng = np.random.default_rng(0)
    for n_units in (1, 3, 50, 1000, 10000):
        n_right = np.unique(np.r_[0, 1, n_units // 2, n_units - 1, n_units, rng.integers(0, n_units + 1, 20)])
        means = n_right / n_units
        for k in (1, 2, 3, 5, 17, 50):
            if k > n_units:
                continue
            transform = subset_accuracy_from_mean(k)
            vectorized = transform(means, n_units)
            one_by_one = np.array([transform(np.asarray(m), n_units) for m in means])
            assert vectorized.tobytes() == one_by_one.tobytes(), (n_units, k)
