"""Degenerate curves, said in plain words next to their numbers.

A curve that sits at one value for most model sizes (a benchmark's floor of 0 right answers, or a
ceiling of 100 %) has a median squared step of 0, and its emergence score is ±infinite by the
formula (toyemerge.analysis.scores). The number is right, but alone it explains nothing; the flag
says what the curve did: "flat then one jump: score infinite; 11 of 12 sizes at the floor (0)".
"""

from __future__ import annotations

import math

import numpy as np

from toyemerge.analysis.scores import MIN_SCALES, emergence_score


def _count(n: int, word: str) -> str:
    return f"one {word}" if n == 1 else f"{n} {word}s"


def _score_words(score: float) -> str:
    if math.isinf(score):
        return "score infinite" if score > 0 else "score minus infinite"
    return f"score {score:.3g}"


def flatness_flag(x: np.ndarray, y: np.ndarray, n_examples: float | None = None) -> str:
    """A plain-words flag for a curve held at one value at most of its sizes; '' for any other curve.

    The curve y(x) is one value per size (the seed mean). It is flagged when its emergence score is
    infinite (more than half of its steps are exactly 0) or when one value holds at more than half of
    its sizes, and the flag names the shape, the score and where the curve sits: the floor (its
    minimum), the ceiling (its maximum) or another value. `n_examples`, where known, adds the
    resolution of a floor of 0 (a test set of n examples cannot tell 0 from less than 1/n).
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.size < MIN_SCALES or not np.isfinite(y).all():
        return ""
    y = y[np.argsort(x, kind="stable")]
    if y.max() == y.min():
        return f"flat at every size ({y[0]:g}): score 0, nothing changes"
    values, counts = np.unique(y, return_counts=True)
    # the value held longest; on a tie the floor, then the ceiling (what a benchmark's 0 or 100 % reads)
    held = max(values, key=lambda v: (counts[values == v][0], v == y.min(), v == y.max()))
    n_held = int(counts[values == held][0])
    score = emergence_score(np.arange(y.size, dtype=float), y)
    if not (math.isinf(score) or 2 * n_held > y.size):
        return ""
    at = np.flatnonzero(y == held)
    jumps = int(np.count_nonzero(np.diff(y)))
    if at.tolist() == list(range(n_held)):
        shape = f"flat then {_count(jumps, 'jump')}"
    elif at.tolist() == list(range(y.size - n_held, y.size)):
        shape = f"{_count(jumps, 'jump')} then flat"
    else:
        shape = f"mostly flat, {_count(jumps, 'jump')}"
    where = "floor" if held == y.min() else "ceiling" if held == y.max() else "same value"
    resolution = f"; resolution 1/{n_examples:g}" if n_examples and held == 0 else ""
    return f"{shape}: {_score_words(score)}; {n_held} of {y.size} sizes at the {where} ({held:g}{resolution})"
