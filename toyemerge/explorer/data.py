"""What the explorer page shows, computed here from an experiment's saved per-example outputs.

For every setting of the page's controls — a metric that depends on the sharpness parameter
(K, L or c) × that parameter × the test-set size × which scales are kept — one curve: each model's
value, the seed mean at each scale, a band from the lowest to the highest 95 % CI of the seeds at
that scale, and the emergence score and late gain of the seed-mean curve. The page only looks
these numbers up: it computes no metric and no score itself.

Everything is the analysis's own machinery (`toyemerge.analysis`): the views define the metrics,
`bootstrap_metrics` gives bootstrap CIs, `emergence_score`/`late_gain` score the curves. A smaller
test set is the first n units of the seeded permutation the resolution study draws
(`view.measured`), so the page agrees with resolution.csv.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from toyemerge.analysis.family import Run
from toyemerge.analysis.prediction import split_scales
from toyemerge.analysis.resolution import bootstrap_metrics
from toyemerge.analysis.scores import emergence_score, late_gain, seed_mean_curve, sparse_subsets
from toyemerge.analysis.views import SMOOTH, Metric
from toyemerge.metrics.classification import subset_accuracy_sampled
from toyemerge.metrics.intervals import binomial_ci

# Metrics that are a plain fraction of independent test units: exact binomial (Clopper–Pearson) CI,
# as results.csv has them. Every other metric gets the analysis's percentile bootstrap over units.
FRACTIONS = {"all_correct", "reconstruction"}
MEASURED = "subset_accuracy_sampled"  # subset accuracy as a benchmark measures it (results.csv's name)

class Wording(NamedTuple):
    """How the page names a metric; {p} stands for its K, L or c."""

    option: str     # in the metric menu
    title: str      # above its panel
    short: str      # in the sentences under the plots
    axis: str       # its y axis
    fraction: bool  # values in [0, 1] (drawn on a fixed 0..1 axis)
    about: str = ""  # what it measures, under "How to read this page"


WORDING = {
    "subset_accuracy": Wording(
        "Subset accuracy (exact)", "All {p} of {p} test images right (subset accuracy)",
        "all-{p}-right subset accuracy", "Subset accuracy (all K right)", True,
        "Subset accuracy (exact): the chance that K test images drawn at random are all classified right, "
        "C(right, K) / C(n, K), i.e. averaged over every K-subset of the test set."),
    MEASURED: Wording(
        "Subset accuracy (on K-groups)", "Groups of {p} images all right (subset accuracy on ⌊n/{p}⌋ groups)",
        "all-{p}-right subset accuracy measured on groups", "Groups with all K right", True,
        "Subset accuracy (on K-groups): the test set cut into ⌊n/K⌋ disjoint groups of K images (one seeded "
        "shuffle, the same for every model), a group scoring 1 only if all its K images are right; this is "
        "how a benchmark measures it, with a resolution of 1 / ⌊n/K⌋."),
    "all_correct": Wording(
        "All-L-correct", "All of a sequence's first {p} images right (all-L-correct)", "all-{p}-correct",
        "All L images right", True,
        "All-L-correct: the fraction of test sequences whose first L images are all labelled right."),
    "edit_distance": Wording(
        "Token edit distance", "Wrong labels among a sequence's first {p} images (edit distance)",
        "the edit distance over {p} images", "Token edit distance", False,
        "Token edit distance: the number of wrong labels among a sequence's first L images, averaged over "
        "sequences (lower is better): the same predictions as all-L-correct, scored without the all-or-nothing."),
    "reconstruction": Wording(
        "Reconstruction_c", "Test images with error below c = {p} (Reconstruction_c)",
        "Reconstruction_c at c = {p}", "Fraction of images with error < c", True,
        "Reconstruction_c: the fraction of test images whose mean squared error per pixel is below the cutoff c."),
}
SMOOTH_WORDING = {
    "classification": Wording("", "Test accuracy", "accuracy", "Test accuracy", True),
    "sequence": Wording("", "Per-image test accuracy", "per-image accuracy", "Per-image test accuracy", True),
    "reconstruction": Wording("", "Test MSE per pixel", "test MSE", "Test MSE per pixel (log scale)", False),
}
UNITS = {"classification": "test images", "sequence": "test sequences", "reconstruction": "test images"}
BOOTSTRAP_CI = "95 % percentile bootstrap over test units"
BINOMIAL_CI = "95 % exact binomial (Clopper–Pearson) CI"


@dataclass(frozen=True)
class Settings:
    """The `explore:` block of the config, as plain values."""

    test_sizes: tuple[int, ...] = (100, 1000)  # smaller test sets; the whole one is always offered
    strides: tuple[int, ...] = (1, 2, 3)        # keep every m-th scale
    n_resamples: int = 1000
    confidence: float = 0.95
    seed: int = 0                               # test subsets and bootstrap, as the analysis
    fit_fraction: float = 0.5                   # late gain splits where emergence.csv's does
    start_param: float = 5
    near_zero: float = 0.05                     # "reads about 0" in the page's sentences


def units_subset(units: dict[str, np.ndarray], n: int, seed: int) -> dict[str, np.ndarray]:
    """The first n units of the seeded permutation `view.measured` draws (all of them, unpermuted, if n ≥ N).

    Always a new dict: a view may add derived units to it (Reconstruction_c's indicators), and
    those must not pile up on the run."""
    n_units = len(next(iter(units.values())))
    if n >= n_units:
        return dict(units)
    order = np.random.default_rng(seed).permutation(n_units)[:n]
    return {name: array[order] for name, array in units.items()}


def grid_metrics(units: dict[str, np.ndarray], view, grid: Sequence) -> dict[str, bool]:
    """{name: higher_is_better} of the metrics over the sharpness grid, the sharp metric first."""
    out = {view.sharp_name: True}
    for m in view.metrics(dict(units), params=list(grid)):
        if m.param is not None:
            out[m.name] = m.higher_is_better
    if getattr(view, "has_sampled", False):
        out[MEASURED] = True
    return out


def model_values(units: dict[str, np.ndarray], view, grid: Sequence, names: Sequence[str], n: int,
                 settings: Settings, boot_seed: int) -> dict[str, np.ndarray]:
    """{metric name: (len(grid), 3) array of value, CI low, CI high} of one model on n test units,
    and under SMOOTH a (1, 3) array for the smooth metric. What the subset cannot score (K > n) is NaN."""
    sub = units_subset(units, n, settings.seed)
    n_units = len(next(iter(sub.values())))
    metrics = view.metrics(sub, params=list(grid))
    smooth = [m for m in metrics if m.role == SMOOTH][0]
    by_grid = [m for m in metrics if m.param is not None]
    # The smooth metric is the plain mean of its unit (accuracy, per-image accuracy, MSE). A metric
    # of that same unit (exact subset accuracy, an increasing function of accuracy) has the
    # transformed bounds as its percentile interval (up to the interpolation between two
    # resamples): one bootstrap serves every K, instead of a slow one per K.
    derived = [m for m in by_grid if m.unit == smooth.unit and m.name not in FRACTIONS]
    boot = [smooth] + [m for m in by_grid if m.name not in FRACTIONS and m not in derived]
    values, low, high = bootstrap_metrics(sub, boot, settings.n_resamples, settings.confidence, boot_seed)
    found = {_key(m): (v, lo, hi) for m, v, lo, hi in zip(boot, values, low, high, strict=True)}
    for m in derived:
        found[_key(m)] = tuple(m.transform(np.asarray(found[_key(smooth)], dtype=float), n_units))
    for m in by_grid:
        if m.name in FRACTIONS:
            count = int(np.sum(sub[m.unit]))
            found[_key(m)] = (count / n_units, *binomial_ci(count, n_units, settings.confidence))
    if MEASURED in names:  # classifiers: subset accuracy also as a benchmark measures it
        correct = sub["correct"].astype(bool)
        for k in grid:
            if k <= n_units:
                found[(MEASURED, float(k))] = subset_accuracy_sampled(correct, int(k), settings.seed,
                                                                      settings.confidence)[:3]
    nan = (math.nan,) * 3
    out = {SMOOTH: np.array([found[_key(smooth)]], dtype=float)}
    for name in names:
        out[name] = np.array([found.get((name, float(p)), nan) for p in grid], dtype=float)
    return out


def _key(m: Metric) -> tuple[str, float | None]:
    """(name, param as float): K = 5 from the grid and the view's int 5 are one key."""
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


def explorer_data(runs: list[Run], view, grid: Sequence, settings: Settings, task: str) -> dict:
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
    names = grid_metrics(runs[0].units, view, grid)
    per_run = [[model_values(r.units, view, grid, list(names), n, settings, settings.seed + i) for n in sizes]
               for i, r in enumerate(runs)]

    def curves(name: str) -> list:
        """[size] for the smooth metric, [param][size] for a metric over the grid."""
        stacked = np.array([[v[name] for v in run] for run in per_run])  # (runs, sizes, params, 3)
        by_param = [[curve(x, stacked[:, s, p], index, split) for s in range(len(sizes))]
                    for p in range(stacked.shape[2])]
        return by_param[0] if name == SMOOTH else by_param

    start = int(np.argmin([abs(float(p) - float(settings.start_param)) for p in grid]))
    smooth = [m for m in view.metrics(dict(runs[0].units)) if m.role == SMOOTH][0]
    smooth_words = SMOOTH_WORDING[task]._asdict()
    return {
        "unit": UNITS[task], "n_units": n_units, "symbol": view.sharp_symbol,
        "scales": [int(v) for v in scales], "n_params": [r.n_params for r in runs], "seeds": [r.seed for r in runs],
        "sizes": sizes, "near_zero": settings.near_zero, "split": split,
        "samplings": [{"every": m, "offset": o, "index": i.tolist(),
                       "straight_line_score": emergence_score(i.astype(float), i.astype(float))}
                      for m, o, i in samplings],
        "smooth": {"name": smooth.name, **smooth_words, "log_y": not smooth_words["fraction"],
                   "higher_is_better": smooth.higher_is_better, "ci": BOOTSTRAP_CI, "curves": curves(SMOOTH)},
        "metrics": [{"name": name, **WORDING[name]._asdict(),
                     "log_y": False, "higher_is_better": higher, "start": start,
                     "ci": BINOMIAL_CI if name in FRACTIONS | {MEASURED} else BOOTSTRAP_CI,
                     "params": [float(p) for p in grid], "param_labels": [f"{p:.3g}" for p in grid],
                     "curves": curves(name)} for name, higher in names.items()],
    }
