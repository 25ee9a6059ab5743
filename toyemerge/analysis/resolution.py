"""Resolution: how precisely each point of each curve is known, and what a small test set hides.

Every point gets a 95 % CI from a bootstrap over its test units (`scipy.stats.bootstrap`,
percentile method, one vectorized call per model for all its metrics), and every scale gets the
spread over seeds. The resolution figure measures the same sharp curve on test subsets of
10², 10³, 10⁴ units: with few units a small model's sharp score reads exactly 0, and the curve
looks more emergent than its exact, infinite-resolution value (C(n, K)/C(N, K) for subset
accuracy) says.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from toyemerge.analysis.family import Run
from toyemerge.analysis.scores import emergence_score, seed_mean_curve
from toyemerge.analysis.views import Metric
from toyemerge.plots import RC

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

    values = statistic(data)
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


def subset_size_curves(runs: list[Run], view, param, sizes: Sequence[int], seed: int) -> dict[int, np.ndarray]:
    """{n: sharp metric measured on the first n units (seeded) of each run}, n capped at the test size."""
    out = {}
    for n in sizes:
        out[int(n)] = np.array([view.measured(r.units, param, int(n), seed) for r in runs])
    return out


def figure(runs: list[Run], view, param, sizes: Sequence[int], seed: int, exact: np.ndarray,
           sampling_model: np.ndarray, title: str) -> tuple[Figure, list[dict]]:
    """The sharp curve at several test-set sizes beside its infinite-resolution value.

    Returns the figure and one row per size: {n, emergence_score, zero_fraction}.
    """
    x = np.array([r.n_params for r in runs], dtype=float)
    n_units = min(len(next(iter(r.units.values()))) for r in runs)
    sizes = sorted({min(int(n), n_units) for n in sizes})
    measured = subset_size_curves(runs, view, param, sizes, seed)
    rows = []
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(7.6, 3.3), layout="constrained")
        ax, ax_log = fig.subplots(1, 2)
        colours = matplotlib.colormaps["plasma"](np.linspace(0.1, 0.75, len(sizes)))
        for colour, n in zip(colours, sizes, strict=True):
            xs, mean, _, _ = seed_spread(x, measured[n])
            score = emergence_score(xs, mean)
            zeros = float(np.mean(measured[n] == 0.0))
            rows.append({"n": n, "emergence_score": score, "zero_fraction": zeros})
            label = f"n = {n:,} test units (score {score:.1f}, {zeros:.0%} read 0)"
            for a in (ax, ax_log):
                a.plot(xs, mean, "o-", color=colour, lw=1.3, ms=3.5, label=label)
                a.plot(x, measured[n], ".", color=colour, ms=3, alpha=0.4)
        xs, mean, _, _ = seed_spread(x, exact)
        exact_label = f"exact, infinite resolution (score {emergence_score(xs, mean):.1f})"
        for a in (ax, ax_log):
            a.plot(xs, mean, "-", color="black", lw=1.8, label=exact_label)
        if np.isfinite(sampling_model).all():
            xs, mean, _, _ = seed_spread(x, sampling_model)
            for a in (ax, ax_log):
                a.plot(xs, mean, "--", color="0.45", lw=1.2, label="model sampling its answer")
        for a in (ax, ax_log):
            a.set_xscale("log")
            a.set_xlabel("Number of parameters")
            a.grid(True, alpha=0.25, lw=0.5)
        ax.set_ylabel(f"{view.sharp_name.replace('_', ' ')}, {view.sharp_symbol} = {param}")
        if any(np.nanmax(line.get_ydata(), initial=0) > 0 for line in ax_log.get_lines()):
            ax_log.set_yscale("log")
            ax_log.set_title("same, log y (a 0 reading drops off the axis)", fontsize=8)
        else:  # every reading is 0: a log axis has nothing to show (and cannot be drawn)
            ax_log.set_title("every reading is 0: no log view", fontsize=8)
        ax.set_title(title, fontsize=9)
        ax.legend(frameon=False, fontsize=6.5, loc="lower right")
    return fig, rows
