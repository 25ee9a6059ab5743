"""Sequence metrics against values worked out by hand."""

import numpy as np
import pytest

from tests.helpers import compose
from toyemerge.metrics import sequence as m
from toyemerge.metrics.intervals import binomial_ci

# Four sequences of L = 3; True = that image's label was predicted right.
RIGHT = np.array([
    [True, True, True],     # all right
    [True, True, False],    # wrong only at l = 3
    [False, True, True],    # wrong at l = 1
    [True, False, False],   # wrong at l = 2 and 3
])
TARGET = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9], [1, 3, 5]], dtype=np.int16)
PRED = np.where(RIGHT, TARGET, 0).astype(np.int16)


def test_all_correct_by_hand():
    # L = 1: sequences 0, 1, 3 start right → 3/4; L = 2: 0, 1 → 2/4; L = 3: only 0 → 1/4.
    assert m.all_correct(RIGHT, 1).tolist() == [True, True, False, True]
    assert m.all_correct(RIGHT, 2).mean() == 0.5
    assert m.all_correct(RIGHT, 3).mean() == 0.25


def test_edit_distance_by_hand():
    assert m.edit_distance(RIGHT, 1).tolist() == [0, 0, 1, 0]
    assert m.edit_distance(RIGHT, 2).tolist() == [0, 0, 1, 1]
    assert m.edit_distance(RIGHT, 3).tolist() == [0, 1, 1, 2]
    assert m.edit_distance(RIGHT, 3).mean() == 1.0


def test_per_image_accuracy_counts_every_position():
    assert m.per_image_accuracy(m.correct(TARGET, PRED)) == pytest.approx(8 / 12)


@pytest.mark.parametrize("bad", [0, 4, 2.0])
def test_length_outside_the_sequence_is_refused(bad):
    with pytest.raises(ValueError, match="L must be"):
        m.all_correct(RIGHT, bad)


def test_score_rows_and_intervals():
    p_target = np.where(RIGHT, 0.5, 0.25).astype(np.float32)
    outputs = {"target": TARGET, "pred": PRED, "p_target": p_target}
    cfg = compose("+exp=omniglot", "metrics.lengths=[1,2,3]").metrics
    rows = m.SequenceLabelling.from_metrics_cfg(cfg).table(outputs, cfg)
    by = {(r["metric"], r["param"]): r for r in rows}
    assert by[("accuracy", None)]["value"] == pytest.approx(8 / 12)
    assert (by[("accuracy", None)]["ci_low"], by[("accuracy", None)]["ci_high"]) == binomial_ci(8, 12)
    ce = -(8 * np.log(0.5) + 4 * np.log(0.25)) / 12
    assert by[("cross_entropy", None)]["value"] == pytest.approx(ce)
    assert by[("all_correct", 2)]["value"] == 0.5
    assert (by[("all_correct", 3)]["ci_low"], by[("all_correct", 3)]["ci_high"]) == binomial_ci(1, 4)
    assert by[("edit_distance", 3)]["value"] == 1.0
    assert len(rows) == 2 + 2 * 3
    assert m.SequenceLabelling([1], [1]).summary(outputs)["all_correct_L"] == 0.25


def test_mismatched_shapes_are_refused():
    with pytest.raises(ValueError, match="same"):
        m.correct(TARGET, PRED[:, :2])
