"""Clopper-Pearson intervals (toyemerge.metrics.intervals) against scipy."""

import numpy as np
import pytest

from toyemerge.metrics.intervals import binomial_ci


@pytest.mark.parametrize("k, n", [(0, 20), (1, 20), (7, 20), (20, 20), (523, 2000), (9947, 10000)])
def test_clopper_pearson_closed_form_matches_scipy_binomtest(k, n):
    from scipy.stats import binomtest

    ref = binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
    low, high = binomial_ci(k, n, 0.95)
    assert low == pytest.approx(ref.low, abs=1e-9) and high == pytest.approx(ref.high, abs=1e-9)


def test_clopper_pearson_equals_scipy_stats_beta_ppf_to_the_last_bit():
    """binomial_ci uses scipy.special.betaincinv instead of scipy.stats.beta.ppf (no scipy.stats import):
    results.csv must not change by a bit."""
    from scipy.stats import beta

    rng = np.random.default_rng(0)
    for n in (1, 7, 100, 1000, 10000, 60000):
        for k in {0, 1, 2, n // 3, n - 2, n - 1, n, *rng.integers(0, n + 1, 15).tolist()}:
            if not 0 <= k <= n:
                continue
            for confidence in (0.9, 0.95, 0.99):
                alpha = 1 - confidence
                low = 0.0 if k == 0 else float(beta.ppf(alpha / 2, k, n - k + 1))
                high = 1.0 if k == n else float(beta.ppf(1 - alpha / 2, k + 1, n - k))
                assert binomial_ci(k, n, confidence) == (low, high), (k, n, confidence)
