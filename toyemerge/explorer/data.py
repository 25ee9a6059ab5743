"""What the explorer page shows, computed here from an experiment's saved per-example outputs.

For every setting of the page's controls — a metric that depends on the sharpness parameter
(K, L or c) × that parameter × the test-set size × which scales are kept — one curve: each model's
value, the seed mean at each scale, a band from the lowest to the highest 95 % CI of the seeds at
that scale, and the emergence score and late gain of the seed-mean curve. The page only looks
these numbers up: it computes no metric and no score itself.

Everything is the metrics' and the analysis's own machinery: the task kind (toyemerge.metrics)
defines the metrics and their wording, `bootstrap_metrics` gives bootstrap CIs,
`emergence_score`/`late_gain` score the curves. A smaller test set is the first n units of the
seeded permutation the resolution study draws (`first_units`), so the page agrees with resolution.csv.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from toyemerge.analysis.family import Run
from toyemerge.analysis.prediction import split_scales
from toyemerge.analysis.resolution import bootstrap_metrics
from toyemerge.analysis.scores import emergence_score, late_gain, seed_mean_curve, sparse_subsets
from toyemerge.metrics.base import SMOOTH, Metric, first_units, table_row

BOOTSTRAP_CI = "95 % percentile bootstrap over test units"
BINOMIAL_CI = "95 % exact binomial (Clopper–Pearson) CI"


@dataclass(frozen=True)
class Settings:
    """The `explore:` block of the config, as plain values (the defaults live in conf/config.yaml)."""

    test_sizes: tuple[int, ...]  # smaller test sets; the whole one is always offered
    strides: tuple[int, ...]     # keep every m-th scale
    n_resamples: int
    confidence: float
    seed: int                    # test subsets and bootstrap, as the analysis
    fit_fraction: float          # late gain splits where emergence.csv's does
    start_param: float
    near_zero: float             # "reads about 0" in the page's sentences


def measured_name(kind) -> str:
    """The sharp metric as a benchmark measures it (on disjoint groups), for kinds that have it."""
    return f"{kind.sharp_name}_sampled"


def grid_metrics(units: dict[str, np.ndarray], kind, grid: Sequence) -> dict[str, bool]:
    """{name: higher_is_better} of the metrics over the sharpness grid, the sharp metric first."""
    out = {kind.sharp_name: True}
    for m in kind.metrics(dict(units), params=list(grid)):
        if m.param is not None:
            out[m.name] = m.higher_is_better
    if kind.has_sampled:
        out[measured_name(kind)] = True
    return out


def model_values(units: dict[str, np.ndarray], kind, grid: Sequence, names: Sequence[str], n: int,
                 settings: Settings, boot_seed: int) -> dict[str, np.ndarray]:
    """{metric name: (len(grid), 3) array of value, CI low, CI high} of one model on n test units,
    and under SMOOTH a (1, 3) array for the smooth metric. What the subset cannot score (K > n) is NaN."""
    sub = first_units(units, n, settings.seed)
    n_units = len(next(iter(sub.values())))
    metrics = kind.metrics(sub, params=list(grid))
    smooth = [m for m in metrics if m.role == SMOOTH][0]
    by_grid = [m for m in metrics if m.param is not None]
    # The smooth metric is the plain mean of its unit (accuracy, per-image accuracy, MSE). A metric
    # of that same unit (exact subset accuracy, an increasing function of accuracy) has the
    # transformed bounds as its percentile interval (up to the interpolation between two
    # resamples): one bootstrap serves every K, instead of a slow one per K.
    derived = [m for m in by_grid if m.unit == smooth.unit and m.name not in kind.fractions]
    boot = [smooth] + [m for m in by_grid if m.name not in kind.fractions and m not in derived]
    values, low, high = bootstrap_metrics(sub, boot, settings.n_resamples, settings.confidence, boot_seed)
    found = {_key(m): (v, lo, hi) for m, v, lo, hi in zip(boot, values, low, high, strict=True)}
    for m in derived:
        found[_key(m)] = tuple(m.transform(np.asarray(found[_key(smooth)], dtype=float), n_units))
    for m in by_grid:
        if m.name in kind.fractions:  # exact binomial CI, as in results.csv
            row = table_row(m, sub, settings.confidence)
            found[_key(m)] = (row["value"], row["ci_low"], row["ci_high"])
    if kind.has_sampled:  # the sharp metric also as a benchmark measures it (classifiers: on K-groups)
        for row in kind.sampled_rows(sub, [k for k in grid if k <= n_units], settings.seed, settings.confidence):
            found[(row["metric"], float(row["param"]))] = (row["value"], row["ci_low"], row["ci_high"])
    nan = (math.nan,) * 3
    out = {SMOOTH: np.array([found[_key(smooth)]], dtype=float)}
    for name in names:
        out[name] = np.array([found.get((name, float(p)), nan) for p in grid], dtype=float)
    return out


def _key(m: Metric) -> tuple[str, float | None]:
    """(name, param as float): K = 5 from the grid and the task kind's int 5 are one key."""
    return m.name, None if m.param is None else float(m.param)


def curve(x: np.ndarray, values: np.ndarray, samplings: list[np.ndarray], split: float | None) -> dict:
    """One plotted curve: per-model values, seed mean and CI band per scale, and per sampling the
    emergence score and late gain of the seed-mean curve at the scales kept."""
    xs, mean = seed_mean_curve(x, values[:, 0])
    with np.errstate(invalid="ignore"):
        low = np.array([np.min(values[x == s, 1]) for s in xs])
        high = np.array([np.max(values[x == s, 2]) for s in xs])
    return {"y": values[:, 0], "mean": mean, "low": low, "high": high,
            "score": [emergence_score(xs[i], mean[i]) for i in samplings],
            "late": [late_gain(xs[i], mean[i], split) if split is not None else math.nan for i in samplings]}


def explorer_data(runs: list[Run], kind, grid: Sequence, settings: Settings) -> dict:
    """Every number the page shows, keyed by its controls (plain Python: lists, floats, strings)."""
    n_units = min(len(next(iter(r.units.values()))) for r in runs)
    sizes = sorted({min(int(n), n_units) for n in settings.test_sizes} | {n_units})
    x = np.array([r.n_params for r in runs], dtype=float)
    scales = np.unique(x)
    samplings = [(m, offset, idx) for m in settings.strides
                 for offset, idx in enumerate(sparse_subsets(len(scales), int(m)))]
    index = [i for _, _, i in samplings]
    try:
        split = float(split_scales(scales, settings.fit_fraction)[0].max())
    except ValueError:  # under 3 scales: no split, no late gain
        split = None
    names = grid_metrics(runs[0].units, kind, grid)
    per_run = [[model_values(r.units, kind, grid, list(names), n, settings, settings.seed + i) for n in sizes]
               for i, r in enumerate(runs)]

    def curves(name: str) -> list:
        """[size] for the smooth metric, [param][size] for a metric over the grid."""
        stacked = np.array([[v[name] for v in run] for run in per_run])  # (runs, sizes, params, 3)
        by_param = [[curve(x, stacked[:, s, p], index, split) for s in range(len(sizes))]
                    for p in range(stacked.shape[2])]
        return by_param[0] if name == SMOOTH else by_param

    start = int(np.argmin([abs(float(p) - float(settings.start_param)) for p in grid]))
    smooth = [m for m in kind.metrics(dict(runs[0].units)) if m.role == SMOOTH][0]
    smooth_words = kind.smooth_wording._asdict()
    binomial = kind.fractions | ({measured_name(kind)} if kind.has_sampled else set())
    return {
        "unit": kind.unit_name, "n_units": n_units, "symbol": kind.sharp_symbol,
        "scales": [int(v) for v in scales], "n_params": [r.n_params for r in runs], "seeds": [r.seed for r in runs],
        "sizes": sizes, "near_zero": settings.near_zero, "split": split,
        "samplings": [{"every": m, "offset": o, "index": i.tolist(),
                       "straight_line_score": emergence_score(i.astype(float), i.astype(float))}
                      for m, o, i in samplings],
        "smooth": {"name": smooth.name, **smooth_words, "log_y": not smooth_words["fraction"],
                   "higher_is_better": smooth.higher_is_better, "ci": BOOTSTRAP_CI, "curves": curves(SMOOTH)},
        "metrics": [{"name": name, **kind.wording[name]._asdict(),
                     "log_y": False, "higher_is_better": higher, "start": start,
                     "ci": BINOMIAL_CI if name in binomial else BOOTSTRAP_CI,
                     "params": [float(p) for p in grid], "param_labels": [f"{p:.3g}" for p in grid],
                     "curves": curves(name)} for name, higher in names.items()],
    }
