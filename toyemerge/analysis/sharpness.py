"""Sharpness map: the emergence score as a function of the sharp metric's parameter.

Sweeps K (subset accuracy), L (all-L-correct) or the cutoff c (Reconstruction_c) finely and
scores each curve of the same fixed outputs: "how sharp must a metric be before this family
looks emergent?" (toyemerge.plots.sharpness draws it, with the smooth and continuous metrics'
scores as reference lines.)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from toyemerge.analysis.degenerate import flatness_flag
from toyemerge.analysis.family import Run
from toyemerge.analysis.scores import emergence_scores, seed_mean_curve


def grid(spec) -> list:
    """The sharpness grid of the config (`analysis.sharpness`): a list as is; {first, last}: the integers
    first..last; {min, max, num, log}: num values from min to max, geometric when log is true."""
    if spec is None:
        return []
    if hasattr(spec, "keys"):
        if "first" in spec:
            return list(range(int(spec["first"]), int(spec["last"]) + 1))
        space = np.geomspace if spec.get("log", False) else np.linspace
        return [float(v) for v in space(float(spec["min"]), float(spec["max"]), int(spec["num"]))]
    return list(spec)


def sweep(runs: list[Run], kind, grid: Sequence, measured: bool = False, seed: int = 0) -> list[dict]:
    """Emergence scores (seed-mean curve and per-seed range) of the sharp metric at each grid value.

    measured=False scores the exact, infinite-resolution value; measured=True the value a test set
    measures (the kind's `measured`, e.g. disjoint K-groups), which carries sampling noise.
    """
    x = np.array([r.n_params for r in runs], dtype=float)
    seeds = np.array([r.seed for r in runs])
    rows = []
    values_by_run = []
    for r in runs:
        if measured:
            n_units = len(next(iter(r.units.values())))
            values_by_run.append([kind.measured(r.units, p, n_units, seed) for p in grid])
        else:
            metrics = kind.metrics(r.units, params=list(grid))
            sharp = [m for m in metrics if m.role == "sharp"]
            n_units = len(r.units[sharp[0].unit])
            values_by_run.append([float(m.transform(np.asarray(r.units[m.unit].mean()), n_units)) for m in sharp])
    values = np.asarray(values_by_run, dtype=float)  # (runs, grid)
    for j, p in enumerate(grid[: values.shape[1]]):
        s = emergence_scores(x, values[:, j], seeds)
        flag = flatness_flag(*seed_mean_curve(x, values[:, j]))
        rows.append({"param": p, "measured": int(measured), **s, "flag": flag})
    return rows


def first_above(rows: list[dict], threshold: float):
    """The smallest grid value whose seed-mean score exceeds `threshold` (None if none does)."""
    for row in rows:
        if np.isfinite(row["mean"]) and row["mean"] > threshold:
            return row["param"]
    return None
