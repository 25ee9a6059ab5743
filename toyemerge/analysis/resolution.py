"""Resolution: how precisely each point of each curve is known, and what a small test set hides.

Every point gets a 95 % CI from a bootstrap over its test units (`scipy.stats.bootstrap`,
percentile method, one vectorized call per model for all its metrics), and every scale gets the
spread over seeds. The resolution study measures the same sharp curve on test subsets of
10², 10³, 10⁴ units: with few units a small model's sharp score reads exactly 0, and the curve
looks more emergent than its exact, infinite-resolution value (C(n, K)/C(N, K) for subset
accuracy) says (toyemerge.plots.resolution draws it).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from toyemerge.analysis.degenerate import flatness_flag
from toyemerge.analysis.family import Run
from toyemerge.analysis.scores import emergence_score, seed_mean_curve
from toyemerge.metrics.base import Metric

BOOTSTRAP_BATCH = 100  # resamples per vectorized batch: bounds memory at units × batch × n floats


def bootstrap(*args, **kwargs):
    """`scipy.stats.bootstrap`, imported when first needed: scipy.stats takes ~1 s to import, and a
    rebuild whose CIs all come from bootstrap_ci.json never resamples."""
    from scipy.stats import bootstrap as scipy_bootstrap

    return scipy_bootstrap(*args, **kwargs)


def bootstrap_metrics(units: dict[str, np.ndarray], metrics: Sequence[Metric], n_resamples: int,
                      confidence: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(values, CI lows, CI highs) of `metrics` on one model, resampling its test units.

    Each metric is transform(mean(units[unit])), so the statistic only needs the means of the
    distinct unit arrays: one paired resample of all of them gives every metric's CI.
    """
    keys = sorted({m.unit for m in metrics})
    data = np.stack([np.asarray(units[k], dtype=float) for k in keys])
    n_units = data.shape[1]
    where = [keys.index(m.unit) for m in metrics]

    def statistic(x: np.ndarray, axis: int = -1) -> np.ndarray:
        means = x.mean(axis=axis)
        return np.stack([m.transform(means[i], n_units) for m, i in zip(metrics, where, strict=True)])

    values = np.array([m.value(units) for m in metrics])  # the metrics' own definition (toyemerge.metrics)
    if n_units < 2 or n_resamples < 1:
        nan = np.full(len(metrics), np.nan)
        return values, nan, nan
    res = bootstrap((data,), statistic, n_resamples=n_resamples, confidence_level=confidence,
                    method="percentile", vectorized=True, axis=-1, batch=BOOTSTRAP_BATCH,
                    random_state=np.random.default_rng(seed))
    return values, np.asarray(res.confidence_interval.low), np.asarray(res.confidence_interval.high)


def seed_spread(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(scales, seed mean, seed min, seed max) of y at each scale."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    xs, mean = seed_mean_curve(x, y)
    low = np.array([y[x == s].min() for s in xs])
    high = np.array([y[x == s].max() for s in xs])
    return xs, mean, low, high


def subset_size_curves(runs: list[Run], kind, param, sizes: Sequence[int], seed: int) -> dict[int, np.ndarray]:
    """{n: sharp metric measured on the first n units (seeded) of each run}, n capped at the test size."""
    out = {}
    for n in sizes:
        out[int(n)] = np.array([kind.measured(r.units, param, int(n), seed) for r in runs])
    return out


def resolution_rows(x: np.ndarray, measured: dict[int, np.ndarray]) -> list[dict]:
    """For each test-set size n: the emergence score of the seed-mean curve measured on n units, the
    share of models that read exactly 0 there, and the curve's flag if it sits at one value at most sizes."""
    rows = []
    for n, values in measured.items():
        xs, mean, _, _ = seed_spread(x, values)
        rows.append({"n": n, "emergence_score": emergence_score(xs, mean),
                     "zero_fraction": float(np.mean(values == 0.0)), "flag": flatness_flag(xs, mean)})
    return rows
