"""Aggregate input (`rescore --curves`): every (task, family, metric) curve scored, per metric the share of curves
that look emergent, its Fig. 5-style figure; every mistake in the table is one line."""

import csv
import math

import numpy as np
import pytest

from tests.helpers import run_rescore, write_csv
from toyemerge.analysis.curves import Curve, metric_shares, score_curve
from toyemerge.analysis.scores import emergence_score, late_gain

SIZES = [1e6, 1e7, 1e8, 1e9, 1e10, 1e11]
JUMP = [0.0, 0.0, 0.0, 0.01, 0.3, 0.9]      # exact-match-like: a floor, then a late jump
LINE = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]       # straight: scores 5 (m − 1)
FALLING = [3.0, 2.0, 1.5, 1.2, 1.1, 1.05]   # a loss: improves early, lower is better
HEADER = ["task", "family", "n_params", "metric", "value", "n_examples", "higher_is_better"]


def table_rows():
    rows = []
    for task in ("arith", "words"):
        for size, jump, line, loss in zip(SIZES, JUMP, LINE, FALLING, strict=True):
            rows.append([task, "gpt", size, "exact_match", jump, 200, 1])
            rows.append([task, "gpt", size, "token_accuracy", line, 1000, 1])
            rows.append([task, "gpt", size, "cross_entropy", loss, "", 0])
    rows += [["tiny", "gpt", s, "exact_match", v, 50, 1] for s, v in ((1e6, 0), (1e9, 0.5))]  # 2 sizes: not scored
    return rows


def test_every_curve_is_scored_and_every_metric_gets_its_share(tmp_path, capsys):
    path = write_csv(tmp_path / "t.csv", HEADER, table_rows())
    code, out = run_rescore(["--curves", path, "--threshold", "6"], capsys)
    assert code == 0, out.err
    folder = tmp_path / "t_analysis"
    scores = list(csv.DictReader(open(folder / "curve_scores.csv")))
    by = {(r["task"], r["metric"]): r for r in scores}
    assert len(scores) == 7
    x = np.array(SIZES)
    assert float(by[("arith", "exact_match")]["emergence_score"]) == emergence_score(x, np.array(JUMP))
    assert float(by[("arith", "exact_match")]["late_gain"]) == pytest.approx(late_gain(x, np.array(JUMP), 1e8))
    assert by[("arith", "exact_match")]["emergent"] == "1"
    assert by[("arith", "exact_match")]["flag"] == ""  # 3 of 6 at the floor: not most, and the score is finite
    assert float(by[("arith", "token_accuracy")]["emergence_score"]) == pytest.approx(5.0)
    assert by[("arith", "token_accuracy")]["emergent"] == "0"
    loss = by[("arith", "cross_entropy")]
    assert float(loss["oriented_score"]) == -float(loss["emergence_score"]) > 0 and loss["emergent"] == "0"
    tiny = by[("tiny", "exact_match")]
    assert tiny["emergence_score"] == "" and tiny["emergent"] == "" and tiny["note"].startswith("not scored: 2 sizes")
    shares = {r["metric"]: r for r in csv.DictReader(open(folder / "metric_shares.csv"))}
    em = shares["exact_match"]
    assert (em["n_curves"], em["n_scored"], em["n_emergent"], em["share_emergent"], em["threshold"]) == (
        "3", "2", "2", "1.0", "6.0")
    assert shares["token_accuracy"]["share_emergent"] == "0.0"
    assert (folder / "figures" / "t_emergent_share.png").is_file() and (folder / "figures" / "t_emergent_share.pdf")
    assert "exact_match" in out.out and "2 of   2 curves look emergent" in out.out


def test_the_rule_is_the_stated_threshold_and_late_gain():
    x = np.array(SIZES)
    jump = Curve("t", "f", "m", x, np.array(JUMP), np.full(6, np.nan))
    row = score_curve(jump, threshold=1e9, min_late_gain=0.5, fit_fraction=0.5)
    assert row["emergent"] == 0  # below an absurd threshold
    early = Curve("t", "f", "m", x, np.array(JUMP[::-1]) * -1 + 1, np.full(6, np.nan))  # the jump first
    assert score_curve(early, threshold=1.0, min_late_gain=0.5, fit_fraction=0.5)["emergent"] == 0
    shares = metric_shares([row], threshold=1e9, min_late_gain=0.5)
    assert shares[0]["share_emergent"] == 0.0 and shares[0]["threshold"] == 1e9


def test_a_floor_curve_gets_its_flag_and_resolution():
    x = np.array(SIZES)
    curve = Curve("t", "f", "exact_match", x, np.array([0, 0, 0, 0, 0, 0.4]), np.full(6, 200.0))
    row = score_curve(curve, threshold=20, min_late_gain=0.5, fit_fraction=0.5)
    assert math.isinf(row["emergence_score"]) and row["emergent"] == 1
    assert row["flag"] == "flat then one jump: score infinite; 5 of 6 sizes at the floor (0; resolution 1/200)"
    assert row["rms_step_score"] == pytest.approx(math.sqrt(5))


ROWS = table_rows()


@pytest.mark.parametrize("header, rows, args, message", [
    (["task", "family", "n_params", "value"], [r[:3] + [r[4]] for r in ROWS], [], "missing column(s) metric"),
    (HEADER, [["", "gpt", 1e6, "em", 0, 200, 1]] + ROWS, [], "line 2: empty task"),
    (HEADER, ROWS[:4] + [["arith", "gpt", "1B", "em", 0, 200, 1]] + ROWS[4:], [],
     "t.csv: line 6: n_params must be a number, got '1B'"),  # the file and the line
    (HEADER, [["arith", "gpt", 0, "em", 0, 200, 1]] + ROWS, [], "line 2: n_params must be positive"),
    (HEADER, [["arith", "gpt", 1e6, "em", "nan", 200, 1]] + ROWS, [], "line 2: value must be finite"),
    (HEADER, ROWS + [ROWS[0]], [], "has n_params 1e+06 twice (also line 2); give one value per size"),
    (HEADER, [["arith", "gpt", 1e6, "em", 0, 2.5, 1]] + ROWS, [], "line 2: n_examples must be a positive integer"),
    (HEADER, [["arith", "gpt", 1e6, "em", 0, 200, "yes?"]] + ROWS, [], "line 2: higher_is_better must be 1/0"),
    (HEADER, ROWS + [["other", "gpt", 1e6, "cross_entropy", 1.0, "", 1]], [],
     "metric 'cross_entropy' has higher_is_better 1 here but 0 on line 4; a metric has one direction"),
    (HEADER, [], [], "no rows"),
    (HEADER, ROWS[-2:], [], "no curve has 3 or more sizes"),
    (HEADER, ROWS + [["arith", "gpt", 1e6]], [], "fewer fields than the header's 7"),
    (HEADER, ROWS, ["x.csv"], "give either a per-example CSV or --curves TABLE, not both"),
    (HEADER, ROWS, ["--claimed", "exact_match"], "--claimed applies to per-example input, not to an aggregate table"),
    (HEADER, ROWS, ["--resamples", "10"], "--resamples applies to per-example input"),
    (HEADER, ROWS, ["--threshold", "nan"], "--threshold takes a finite number, got nan"),
    (HEADER, ROWS, ["--min-late-gain", "inf"], "--min-late-gain takes a finite number, got inf"),
])
def test_table_mistakes_are_one_line_and_write_nothing(tmp_path, capsys, header, rows, args, message):
    path = write_csv(tmp_path / "t.csv", header, rows)
    code, out = run_rescore(["--curves", path, *args], capsys)
    assert code == 2 and out.err.startswith("rescore: error:") and out.err.count("\n") == 1
    assert message in out.err, out.err
    assert not (tmp_path / "t_analysis").exists()
