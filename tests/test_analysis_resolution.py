"""Resolution: bootstrap CIs cover the truth at about the nominal rate; exact vs sampled agree."""

import numpy as np
import pytest

from tests.helpers import SCALES, analysis_settings, classifier_family, classifier_outputs
from toyemerge.analysis import resolution
from toyemerge.analysis import tables as report
from toyemerge.analysis.resolution import bootstrap_metrics, seed_spread, subset_size_curves
from toyemerge.metrics import Classification
from toyemerge.metrics.classification import brier_score, mean_log_prob, subset_accuracy_exact, subset_accuracy_sampled

VIEW = Classification([1, 3], list(range(1, 11)))


def test_bootstrap_values_are_the_metrics_themselves():
    out = classifier_outputs(0.8, 500, np.random.default_rng(0))
    units = VIEW.units(out)
    metrics = VIEW.metrics(units)
    values, low, high = bootstrap_metrics(units, metrics, 200, 0.95, seed=0)
    by = {m.key: (v, lo, hi) for m, v, lo, hi in zip(metrics, values, low, high, strict=True)}
    correct = out["target"] == out["pred"]
    assert by[("accuracy", None)][0] == pytest.approx(correct.mean())
    assert by[("log_prob", None)][0] == pytest.approx(mean_log_prob(out["p_target"]))
    assert by[("brier", None)][0] == pytest.approx(brier_score(out["probs"], out["target"]))
    assert by[("subset_accuracy", 3)][0] == pytest.approx(subset_accuracy_exact(correct, 3))
    for v, lo, hi in by.values():
        assert lo <= v <= hi and lo < hi


def test_bootstrap_ci_covers_the_truth_at_about_the_nominal_rate():
    """Simulated models with known p: the 95% CI of accuracy and of subset accuracy (K = 3,
    truth p³, which C(n, 3)/C(N, 3) estimates without bias) covers the truth ≈ 95% of the time."""
    rng = np.random.default_rng(12345)
    hits = {("accuracy", None): [], ("subset_accuracy", 3): []}
    truths = {0.3: None, 0.6: None, 0.9: None}
    for p in truths:
        for rep in range(60):
            units = {"correct": (rng.random(400) < p).astype(float)}
            metrics = [m for m in VIEW.metrics(units) if m.key in hits]
            _, low, high = bootstrap_metrics(units, metrics, 300, 0.95, seed=rep)
            for m, lo, hi in zip(metrics, low, high, strict=True):
                truth = p if m.name == "accuracy" else p**3
                hits[m.key].append(lo <= truth <= hi)
    for key, h in hits.items():
        rate = np.mean(h)  # 180 intervals: binomial sd ≈ 1.6 points around 95%
        assert 0.89 <= rate <= 0.99, f"{key}: coverage {rate:.3f}"


def test_exact_and_sampled_subset_accuracy_agree_within_ci():
    rng = np.random.default_rng(3)
    for p in (0.5, 0.9, 0.99):
        correct = rng.random(10000) < p
        for k in (1, 2, 3, 4, 5):
            exact = subset_accuracy_exact(correct, k)
            value, low, high, groups = subset_accuracy_sampled(correct, k, seed=k)
            assert groups == 10000 // k
            assert low <= exact <= high, (p, k, exact, low, high)
            # averaged over many random groupings the sampled estimate converges to the exact value
            mean = np.mean([subset_accuracy_sampled(correct, k, seed=s)[0] for s in range(30)])
            assert mean == pytest.approx(exact, abs=3 * np.sqrt(exact * (1 - exact) / groups / 30) + 1e-9)


def test_small_test_sets_read_exactly_zero_where_the_exact_value_is_not():
    rng = np.random.default_rng(0)
    units = VIEW.units(classifier_outputs(0.3, 10000, rng))
    run = type("R", (), {"units": units})
    curves = subset_size_curves([run], VIEW, 5, [100, 10000], seed=0)
    exact = subset_accuracy_exact(units["correct"].astype(bool), 5)
    assert exact > 0.001  # 0.3^5 ≈ 0.0024
    assert curves[100][0] == 0.0  # 20 groups of 5: the floor 1/20 is above the truth
    assert curves[10000][0] > 0.0


def test_seed_spread():
    xs, mean, low, high = seed_spread(np.array([1, 1, 2, 2]), np.array([0.1, 0.3, 0.5, 0.9]))
    np.testing.assert_allclose(xs, [1, 2])
    np.testing.assert_allclose(mean, [0.2, 0.7])
    np.testing.assert_allclose(low, [0.1, 0.5])
    np.testing.assert_allclose(high, [0.3, 0.9])


def test_bootstrap_cis_are_cached_by_outputs_digest(tmp_path, monkeypatch):
    view = Classification([1, 3], [1, 2, 3])
    runs = classifier_family(view, n=300, scales=SCALES[::3], seeds=(0,))
    for i, r in enumerate(runs):
        r.digest = f"sha{i}"
    settings = analysis_settings(n_resamples=100)
    first = report.curve_rows(runs, view, settings, cache_dir=tmp_path)
    assert (tmp_path / "bootstrap_ci.json").is_file()

    def no_resampling(*args, **kwargs):
        raise AssertionError("resampled although nothing changed")

    monkeypatch.setattr(resolution, "bootstrap", no_resampling)
    again = report.curve_rows(runs, view, settings, cache_dir=tmp_path)
    assert [(r["value"], r["ci_low"], r["ci_high"]) for r in again] == \
           [(r["value"], r["ci_low"], r["ci_high"]) for r in first]
    runs[0].digest = "changed"
    with pytest.raises(AssertionError, match="resampled"):
        report.curve_rows(runs, view, settings, cache_dir=tmp_path)
    monkeypatch.undo()
    with pytest.raises(AssertionError, match="resampled"):  # other settings: a different cache key
        monkeypatch.setattr(resolution, "bootstrap", no_resampling)
        report.curve_rows(runs, view, analysis_settings(n_resamples=101), cache_dir=tmp_path)
