"""What every task kind's metrics share: a metric as a function of per-unit arrays, and the test-unit draws.

A *task kind* (classification, sequence, reconstruction; one module each in this package) turns one
model's saved outputs into per-unit arrays, one value per resampling unit (a test image, or a test
sequence), and defines each of its metrics on them:

    metric value = transform(mean over units of units[unit], number of units)

That one definition serves every consumer: results.csv (with an exact binomial CI for metrics that
are a fraction of independent trials), the analysis (one bootstrap over units gives every metric's
CI at once), and the explorer page (which also takes each metric's wording from here).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from toyemerge.metrics.intervals import binomial_ci

SMOOTH, CONTINUOUS, SHARP = "smooth", "continuous", "sharp"  # the roles a metric plays in the paper's argument


class Wording(NamedTuple):
    """How the explorer page names a metric; {p} stands for its K, L or c."""

    option: str     # in the metric menu
    title: str      # above its panel
    short: str      # in the sentences under the plots
    axis: str       # its y axis
    fraction: bool  # values in [0, 1] (drawn on a fixed 0..1 axis)
    about: str = ""  # what it measures, under "How to read this page"


def _identity(mean: np.ndarray, n_units: int) -> np.ndarray:
    return mean


@dataclass(frozen=True)
class Metric:
    """One curve of the family: `transform(mean(units[unit]), n_units)` for each model.

    `counts`: for a fraction of independent trials, the unit array whose sum and size are the
    successes and trials of its exact binomial CI (results.csv); None for other metrics.
    """

    name: str
    param: int | float | None
    role: str  # smooth, continuous or sharp
    unit: str
    transform: Callable[[np.ndarray, int], np.ndarray] = field(default=_identity, compare=False)
    higher_is_better: bool = True
    label: str = ""
    counts: str | None = None

    @property
    def key(self) -> tuple[str, int | float | None]:
        return self.name, self.param

    def value(self, units: dict[str, np.ndarray]) -> float:
        """The metric of one model: successes / trials for a fraction (exactly k/n), else the transform
        of its unit's mean (the bootstrap resamples the units of the same definition)."""
        if self.counts is not None:
            trials = np.asarray(units[self.counts])
            return float(trials.sum() / trials.size)
        unit = np.asarray(units[self.unit], dtype=float)
        return float(self.transform(np.asarray(unit.mean()), unit.size))


def table_row(metric: Metric, units: dict[str, np.ndarray], confidence: float) -> dict:
    """A results.csv row of one metric of one model: its value, and its exact binomial CI if it is a
    fraction of independent trials."""
    row = {"metric": metric.name, "param": metric.param, "value": metric.value(units)}
    if metric.counts is not None:
        trials = np.asarray(units[metric.counts])
        row["ci_low"], row["ci_high"] = binomial_ci(int(trials.sum()), trials.size, confidence)
    return row


@functools.lru_cache(maxsize=16)
def seeded_permutation(size: int, seed: int) -> np.ndarray:
    """`np.random.default_rng(seed).permutation(size)`, read-only and computed once: every model of a
    family, every metric parameter and every test-subset size draws from the same permutation."""
    order = np.random.default_rng(seed).permutation(size)
    order.flags.writeable = False
    return order


def first_units(units: dict[str, np.ndarray], n: int, seed: int) -> dict[str, np.ndarray]:
    """A test set of n units: the first n of the seeded permutation (all units, unpermuted, if n ≥ N).

    Always a new dict: a task kind may add derived units to it (Reconstruction_c's indicators), and
    those must not pile up on the run."""
    n_units = len(next(iter(units.values())))
    if n >= n_units:
        return dict(units)
    order = seeded_permutation(n_units, seed)[:n]
    return {name: array[order] for name, array in units.items()}


class TaskKind:
    """The numpy side of a task kind; each module of this package defines one subclass.

    Class attributes: `name` (cfg.task), `sharp_name` / `sharp_symbol` (its sharp metric, K, L or c),
    `smooth_name`, `param_key` (the config key under `metrics` that lists the sharp parameter),
    `unit_name` (what a resampling unit is, in words), `has_sampled` (the sharp metric is also
    measured on disjoint groups), `fractions` (metrics that are a fraction of independent units),
    `cache_name` (its part of the key of cached bootstrap CIs: kept from the first version, so the
    caches in committed exports stay valid),
    `wording` (metric name → Wording) and `smooth_wording`, `figures` (the extra figure names of
    toyemerge.plots this kind draws).
    """

    name = cache_name = ""
    sharp_name = sharp_symbol = smooth_name = param_key = unit_name = ""
    has_sampled = False
    fractions: frozenset[str] = frozenset()
    wording: dict[str, Wording] = {}
    smooth_wording: Wording
    figures: tuple[str, ...] = ()

    def __init__(self, sharp_params: Sequence, sharpness_grid: Sequence):
        self.sharp_params = [self.parse(v) for v in sharp_params]
        self.sharpness_grid = [self.parse(v) for v in sharpness_grid]

    @staticmethod
    def parse(value):
        return int(value)

    @classmethod
    def from_metrics_cfg(cls, metrics_cfg, sharpness_grid: Sequence | None = None):
        """The task kind with the experiment's sharp parameters (`metrics.<param_key>`), read here only."""
        params = list(metrics_cfg[cls.param_key])
        return cls(params, params if sharpness_grid is None else sharpness_grid)

    def units(self, outputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def metrics(self, units: dict[str, np.ndarray], params: Sequence | None = None) -> list[Metric]:
        raise NotImplementedError

    def table(self, outputs: dict[str, np.ndarray], metrics_cfg) -> list[dict]:
        """results.csv's rows of one model's saved outputs (metric, param, value, CI)."""
        raise NotImplementedError

    def sampled_rows(self, units, params, seed, confidence) -> list[dict]:
        return []

    def sampling_model(self, units, param) -> float:
        return float("nan")

    def fit_shape(self, all_units) -> None:
        """Family-wide state some predictions need (reconstruction's error distribution); none by default."""

    def sharp_label(self, param) -> str:
        """The sharp metric at one parameter, in words for a figure ("subset accuracy, K = 5")."""
        name = self.sharp_name.replace("_", " ")
        return name if param is None else f"{name}, {self.sharp_symbol} = {param}"

    def sharpness_axis(self) -> str:
        """The sharpness map's x axis: what its parameter does to the sharp metric."""
        return f"Sharpness parameter {self.sharp_symbol} of {self.sharp_name.replace('_', ' ')}"


class AllRightFromAccuracy:
    """The paper's Sec. 2 model for a sharp metric that needs `param` independent answers right (a
    task kind's mixin): the per-answer loss is ℓ = −log(accuracy), and all `param` right is exp(−ℓ)^param."""

    def loss_from_smooth(self, smooth: np.ndarray) -> np.ndarray:
        """ℓ = −log(accuracy); ∞ at accuracy 0, which the fit leaves out (a floor, not a loss)."""
        with np.errstate(divide="ignore"):
            return -np.log(np.clip(smooth, 0.0, 1.0))

    def sharp_from_loss(self, loss: np.ndarray, param: int) -> np.ndarray:
        return np.exp(-np.asarray(loss) * param)
