"""Sampling density: the emergence score of a curve seen at every scale vs every 2nd / 3rd / 4th.

The paper names sparse sampling of model sizes as one ingredient of the mirage. Thinning the
scale grid removes the small steps the score divides by, so its median step grows or shrinks
with where the remaining scales happen to fall: every offset of the thinned grid is scored
(toyemerge.plots.sampling draws it).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from toyemerge.analysis.scores import emergence_score, seed_mean_curve, sparse_subsets


def scores_by_stride(x: np.ndarray, y: np.ndarray, strides: Sequence[int]) -> dict[int, list[float]]:
    """{m: [emergence score of the seed-mean curve at every m-th scale, for each offset]}."""
    xs, mean = seed_mean_curve(x, y)
    return {int(m): [emergence_score(xs[idx], mean[idx]) for idx in sparse_subsets(len(xs), int(m))]
            for m in strides}
