"""Prediction: the power law is recovered from a simulated family; predictions cover the truth."""

import math

import numpy as np
import pytest

from tests.helpers import ALPHA, SCALES, C, analysis_settings, classifier_family, true_accuracy
from toyemerge.analysis import tables as report
from toyemerge.analysis.prediction import PowerLaw, coverage, fit_power_law, mean_abs_error, split_scales
from toyemerge.metrics import Classification


def test_fit_recovers_a_noiseless_power_law_exactly():
    law = fit_power_law(SCALES, PowerLaw(-0.3, math.log(50.0))(SCALES))
    assert law.alpha == pytest.approx(-0.3) and law.log_c == pytest.approx(math.log(50.0))


def test_fit_recovers_known_parameters_from_a_noisy_family_on_its_smaller_half():
    rng = np.random.default_rng(0)
    fit, _ = split_scales(SCALES, 0.5)
    n = 20000
    acc = rng.binomial(n, true_accuracy(np.repeat(fit, 3))) / n  # 3 seeds per scale
    law = fit_power_law(np.repeat(fit, 3), -np.log(acc))
    assert law.alpha == pytest.approx(ALPHA, rel=0.05)
    assert law.log_c == pytest.approx(math.log(C), abs=0.15)


def test_split_scales_and_its_limits():
    fit, held = split_scales(SCALES, 0.5)
    assert list(fit) == list(SCALES[:5]) and list(held) == list(SCALES[5:])
    fit, held = split_scales(np.array([1, 2, 3]), 0.5)
    assert list(fit) == [1, 2] and list(held) == [3]
    with pytest.raises(ValueError, match="at least 3 scales"):
        split_scales(np.array([1, 2]), 0.5)
    with pytest.raises(ValueError, match="2 or more scales"):
        fit_power_law(np.array([5, 5]), np.array([0.1, 0.2]))


def test_coverage_and_error():
    assert coverage(np.array([0.5, 0.9, np.nan]), np.array([0.4, 0.95, 0]), np.array([0.6, 1.0, 1])) == 0.5
    assert math.isnan(coverage(np.array([np.nan]), np.array([0.0]), np.array([1.0])))
    assert mean_abs_error(np.array([0.1, 0.3]), np.array([0.2, 0.2])) == pytest.approx(0.1)


def test_sharp_curve_predicted_from_smooth_and_extrapolated_covers_observed():
    """On a family that follows the paper's model, acc^K and the extrapolated power law both land
    inside the observed 95% CIs about as often as a CI should contain the truth."""
    view = Classification([1, 3, 5], list(range(1, 6)))
    runs = classifier_family(view, n=4000)
    rows = report.curve_rows(runs, view, analysis_settings(n_resamples=300))
    table = {(t["metric"], t["param"]): t for t in report.emergence_rows(rows, view, analysis_settings())}
    law, _ = report.fit_extrapolation(rows, view, analysis_settings())
    assert law.alpha == pytest.approx(ALPHA, rel=0.1)
    for k in (1, 3, 5):
        t = table[("subset_accuracy", k)]
        assert t["pred_coverage"] >= 0.9  # acc^K vs C(n,K)/C(N,K): equal up to O(K/N)
        assert t["extrap_coverage"] >= 0.75, t
        assert t["extrap_mae"] < 0.02
        sampled = table[("subset_accuracy_sampled", k)]
        assert sampled["pred_coverage"] >= 0.8
