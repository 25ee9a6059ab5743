"""Scores of a scaling curve: BIG-bench's breakthroughness, the paper's "emergence score".

Schaeffer et al. (2023, Sec. 4) take it from BIG-bench (Srivastava et al. 2022, App. B):

    EmergenceScore({(x_i, y_i)}) = sign(argmax_i y_i − argmin_i y_i) · (max_i y_i − min_i y_i)
                                   / sqrt(median_i (y_i − y_{i−1})²)

with the y_i sorted by model scale x_i. Only the order of the x_i matters, never their values.

BIG-bench's second score, linearity, is not implemented: its exact definition (App. B of
arXiv 2206.04615, or BIG-bench's code) could not be looked up from this machine, and a guess must not
carry its name. A secondary source restates linearity as the breakthroughness numerator over the
root-*mean*-square step instead of the root-median-square one; that quantity is computed here under
a neutral name, `rms_step_score`, as a diagnostic only (it stays finite where breakthroughness is
infinite), never as BIG-bench's linearity.
"""

from __future__ import annotations

import numpy as np

MIN_SCALES = 3  # with 2 scales there is one step, and the score is always ±1: no information


def _signed_range_and_steps(x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray] | float:
    """The parts both step scores share, y sorted by x: (sign(argmax − argmin) · (max − min), the steps
    y_i − y_{i−1}); or, where a score needs no steps, the score itself: NaN for fewer than 3 scales or
    a NaN in y, 0 for a flat curve. Repeated x is an error."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"x {x.shape} and y {y.shape} must be 1-D and of the same length")
    if np.unique(x).size != x.size:
        raise ValueError("repeated scales x: score the seed-mean curve or one seed at a time")
    if x.size < MIN_SCALES or np.isnan(y).any():
        return float("nan")
    y = y[np.argsort(x, kind="stable")]
    spread = float(y.max() - y.min())
    if spread == 0.0:
        return 0.0
    sign = float(np.sign(int(np.argmax(y)) - int(np.argmin(y))))
    return sign * spread, np.diff(y)


def emergence_score(x: np.ndarray, y: np.ndarray) -> float:
    """Breakthroughness of the curve y(x), exactly as in the module docstring.

    Edge cases, chosen so that every curve gets a defined value:
    - fewer than 3 scales (or any NaN in y): NaN — one step makes the range equal the median step;
    - flat curve (max y = min y): 0, whatever the steps (no improvement, nothing emerges);
    - ties for the max or min: the first scale that reaches it (numpy's argmax/argmin), so the
      sign says whether the best value comes after the worst one;
    - median squared step 0 with a non-zero range (most steps exactly flat, a few jumps — the
      extreme of "emergence"): ±inf;
    - repeated x values are an error: average seeds into one curve first (`seed_mean_curve`).

    The sign follows the metric's own direction: an improving accuracy scores > 0, an improving
    (falling) cross-entropy, Brier score or MSE scores < 0.
    """
    parts = _signed_range_and_steps(x, y)
    if isinstance(parts, float):
        return parts
    signed_range, steps = parts
    typical_step = float(np.sqrt(np.median(steps**2)))
    if typical_step == 0.0:
        return float(np.sign(signed_range)) * float("inf")
    return signed_range / typical_step


def rms_step_score(x: np.ndarray, y: np.ndarray) -> float:
    """The breakthroughness numerator over the root-mean-square step (a diagnostic; see the module docstring):

        RmsStepScore = sign(argmax_i y_i − argmin_i y_i) · (max_i y_i − min_i y_i) / sqrt(mean_i (y_i − y_{i−1})²)

    with the y_i sorted by x_i. NOT BIG-bench's linearity: a secondary source restates linearity this
    way, and the primary definition (arXiv 2206.04615, App. B) could not be checked. Unlike the
    median, the mean of the squared steps is 0 only for a flat curve, so the score is finite
    whenever the curve moves: a curve flat at m − 1 sizes with one jump scores √(m − 1).
    Fewer than 3 scales or a NaN: NaN; a flat curve: 0; repeated x: an error (as `emergence_score`).
    """
    parts = _signed_range_and_steps(x, y)
    if isinstance(parts, float):
        return parts
    signed_range, steps = parts
    return signed_range / float(np.sqrt(np.mean(steps**2)))


def late_gain(x: np.ndarray, y: np.ndarray, split: float) -> float:
    """Share of the curve's total change that happens above scale `split` (not a BIG-bench score).

        late_gain = (y_last − y(split)) / (y_last − y_first),   y sorted by x, y(split) the value at
        the largest scale ≤ split

    Breakthroughness cannot tell *where* the big steps are: a curve that saturates (big steps first)
    and one that breaks through (big steps last) score alike. This says where: ≈ 0 for saturation,
    ≈ 1 for a late jump. NaN for a flat curve.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    total = y[-1] - y[0]
    if total == 0 or not (x <= split).any():
        return float("nan")
    return float((y[-1] - y[x <= split][-1]) / total)


def seed_mean_curve(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(unique scales, mean of y over the seeds at each scale), sorted by scale."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    scales, index = np.unique(x, return_inverse=True)
    return scales, np.bincount(index, weights=y) / np.bincount(index)


def emergence_scores(x: np.ndarray, y: np.ndarray, seeds: np.ndarray) -> dict[str, float]:
    """Emergence score of the seed-mean curve and of each seed's own curve.

    Returns {"mean": score of the seed-mean curve, "seed_min", "seed_max", "seed_median": over the
    per-seed scores}. A seed's curve uses only the scales where that seed exists.
    """
    x, y, seeds = np.asarray(x, dtype=float), np.asarray(y, dtype=float), np.asarray(seeds)
    per_seed = [emergence_score(x[seeds == s], y[seeds == s]) for s in np.unique(seeds)]
    per_seed = np.asarray(per_seed, dtype=float)
    finite = per_seed[~np.isnan(per_seed)]
    out = {"mean": emergence_score(*seed_mean_curve(x, y))}
    for name, fn in (("seed_min", np.min), ("seed_median", np.median), ("seed_max", np.max)):
        out[name] = float(fn(finite)) if finite.size else float("nan")
    return out


def sparse_subsets(n_scales: int, every: int) -> list[np.ndarray]:
    """Indices of every `every`-th scale, one subset per starting offset 0 … every−1.

    Seeing a family at every 2nd / 3rd / 4th scale, starting at any of the possible offsets,
    is how the paper's "sparse sampling of model sizes" enters the score.
    """
    if every < 1:
        raise ValueError(f"every must be a positive integer, got {every}")
    return [np.arange(offset, n_scales, every) for offset in range(min(every, n_scales))]
