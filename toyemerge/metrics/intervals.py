"""Confidence intervals shared by the metrics."""

from __future__ import annotations

from scipy.special import betaincinv


def binomial_ci(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper–Pearson) interval for a proportion of `successes` out of `trials`.

        low = B⁻¹(α/2; k, n − k + 1),  high = B⁻¹(1 − α/2; k + 1, n − k),  α = 1 − confidence

    (0 and 1 at k = 0 and k = n): the quantiles of the Beta distribution that
    `scipy.stats.binomtest(k, n).proportion_ci(method="exact")` finds by root-finding, in closed
    form — ~100× faster, which matters when a family is re-scored at many K. B⁻¹ is
    `scipy.special.betaincinv`: Boost's ibeta_inv (SciPy ≥ 1.11), the same values as
    `scipy.stats.beta.ppf` to the last bit (tested), without importing scipy.stats (~1 s) and at
    ~50× less cost per call.
    """
    if trials <= 0:
        return float("nan"), float("nan")
    k, n, alpha = int(successes), int(trials), 1.0 - confidence
    low = 0.0 if k == 0 else float(betaincinv(k, n - k + 1, alpha / 2))
    high = 1.0 if k == n else float(betaincinv(k + 1, n - k, 1 - alpha / 2))
    return low, high
