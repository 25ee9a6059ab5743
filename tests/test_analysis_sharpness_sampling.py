"""Sharpness map and sampling density on hand-worked and simulated families."""

import math

import numpy as np
import pytest
from omegaconf import OmegaConf

from tests.helpers import SCALES, classifier_family
from toyemerge.analysis.sampling import scores_by_stride
from toyemerge.analysis.scores import emergence_score, emergence_scores
from toyemerge.analysis.sharpness import first_above, grid, sweep
from toyemerge.metrics import Classification


def test_sweep_at_k1_is_the_accuracy_score_and_follows_acc_to_the_k():
    view = Classification([1], list(range(1, 8)))
    runs = classifier_family(view, n=500, scales=SCALES[::2])
    rows = sweep(runs, view, view.sharpness_grid)
    x = np.array([r.n_params for r in runs], dtype=float)
    acc = np.array([r.units["correct"].mean() for r in runs])
    seeds = np.array([r.seed for r in runs])
    assert rows[0]["mean"] == pytest.approx(emergence_scores(x, acc, seeds)["mean"])
    for row in rows:
        k = row["param"]
        exact = [np.prod([(a * 500 - i) / (500 - i) for i in range(k)]) for a in acc]
        assert row["mean"] == pytest.approx(emergence_scores(x, np.array(exact), seeds)["mean"])
    measured = sweep(runs, view, view.sharpness_grid, measured=True)
    assert measured[0]["mean"] == pytest.approx(rows[0]["mean"])  # K = 1: groups of one are the examples


def test_first_above():
    rows = [{"param": k, "mean": v} for k, v in zip([1, 2, 3, 4], [1.0, math.nan, 5.0, 9.0], strict=True)]
    assert first_above(rows, 4.0) == 3 and first_above(rows, 10.0) is None


def test_scores_by_stride_by_hand():
    x = np.arange(1, 8)
    y = np.array([0.0, 1, 3, 6, 10, 15, 21])  # steps 1..6
    by = scores_by_stride(x, y, [1, 2, 3])
    assert by[1] == [pytest.approx(emergence_score(x, y))]
    # every 2nd from offset 0: 0, 3, 10, 21 → steps 3, 7, 11 → median² 49 → 21 / 7 = 3
    assert by[2][0] == pytest.approx(3.0)
    # every 3rd from offset 2: 3, 15 → only 2 scales: NaN
    assert math.isnan(by[3][2])


def test_sharpness_grids_from_the_config():
    assert grid(OmegaConf.create({"first": 2, "last": 4})) == [2, 3, 4]
    assert grid(OmegaConf.create({"min": 0.01, "max": 1.0, "num": 3, "log": True})) == pytest.approx([0.01, 0.1, 1])
    assert grid([0.5, 1]) == [0.5, 1] and grid(None) == []
