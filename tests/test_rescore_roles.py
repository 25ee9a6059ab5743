"""Declared roles (--claimed, --continuous, --lower-is-better): exact match is the sharp metric of a language
model and its continuous counterparts the smooth ones, computed on the same outputs; every mistake is one line."""

import csv
import math

import numpy as np
import pytest

from tests.helpers import run_rescore, write_csv
from toyemerge.metrics.declared import DeclaredRoles

SIZES = (10**6, 10**7, 10**8, 10**9)
LENGTHS = (2, 3, 1, 2)  # answer tokens of the 4 questions: 8 rows per model
HEADER = ["model", "n_params", "example_id", "group", "correct", "p_target", "score"]


def token_rows(sizes=SIZES, lengths=LENGTHS):
    """One row per answer token of 4 questions; model i gets a token wrong where (question + token + i) % 3 == 0,
    the largest model none."""
    rows = []
    for i, size in enumerate(sizes):
        example = 0
        for q, length in enumerate(lengths):
            for t in range(length):
                right = int((q + t + i) % 3 != 0 or i == len(sizes) - 1)
                rows.append([f"lm{i}", size, example, f"q{q}", right, 0.2 + 0.2 * i + 0.05 * right,
                             round(5.0 - i - 0.5 * q, 2)])
                example += 1
    return rows


def table(path):
    return list(csv.DictReader(open(path)))


def test_declared_roles_label_exact_match_sharp_and_its_continuous_counterparts_smooth(tmp_path, capsys):
    path = write_csv(tmp_path / "lm.csv", HEADER, token_rows())
    code, out = run_rescore([path, "--claimed", "exact_match", "--lower-is-better", "score", "--resamples", "0"],
                            capsys)
    assert code == 0, out.err
    roles = {r["metric"]: r["role"] for r in table(tmp_path / "lm_analysis" / "emergence.csv")}
    assert roles == {"exact_match": "sharp", "token_accuracy": "smooth", "token_edit_distance": "smooth",
                     "log_prob": "smooth", "score": "smooth"}
    assert "claimed (sharp)      exact_match" in out.out and "continuous (smooth)  token_accuracy" in out.out
    for fig in ("mirage", "resolution", "sampling", "sharpness_map"):
        assert (tmp_path / "lm_analysis" / "figures" / f"lm_{fig}.png").is_file()


def test_the_declared_metrics_by_hand(tmp_path, capsys):
    """Model lm0's values, worked out from its 8 token rows; score is lower-is-better."""
    rows = token_rows()
    path = write_csv(tmp_path / "lm.csv", HEADER, rows)
    code, out = run_rescore([path, "--claimed", "exact_match", "--lower-is-better", "score", "--resamples", "0"],
                            capsys)
    assert code == 0, out.err
    curves = table(tmp_path / "lm_analysis" / "curves.csv")
    got = {r["metric"]: float(r["value"]) for r in curves if r["run_id"] == "lm0"}
    mine = [r for r in rows if r[0] == "lm0"]
    by_q = {q: [r for r in mine if r[3] == q] for q in ("q0", "q1", "q2", "q3")}
    assert got["exact_match"] == pytest.approx(np.mean([all(r[4] for r in g) for g in by_q.values()]))
    assert got["token_accuracy"] == pytest.approx(np.mean([np.mean([r[4] for r in g]) for g in by_q.values()]))
    assert got["token_edit_distance"] == pytest.approx(np.mean([sum(1 - r[4] for r in g) for g in by_q.values()]))
    assert got["log_prob"] == pytest.approx(np.mean([np.mean([math.log(r[5]) for r in g]) for g in by_q.values()]))
    assert got["score"] == pytest.approx(np.mean([np.mean([r[6] for r in g]) for g in by_q.values()]))
    emergence = {r["metric"]: r for r in table(tmp_path / "lm_analysis" / "emergence.csv")}
    assert float(emergence["score"]["emergence_score"]) < 0  # an improving, falling edit-distance-like score


def test_the_papers_model_links_per_token_metrics_to_exact_match():
    """mean_u p^{L_u} from token accuracy; mean_u Π p from p_target; the extrapolation's link agrees."""
    kind = DeclaredRoles("exact_match", ["token_accuracy", "log_prob"], grouped=True, sharpness_grid=[1, 2])
    unit = np.array([0, 0, 1, 1, 1, 2])
    outputs = {"unit": unit, "correct": np.array([1, 1, 1, 0, 1, 0]),
               "p_target": np.array([0.9, 0.8, 0.7, 0.2, 0.6, 0.5])}
    units = kind.units(outputs)
    kind.fit_shape([units])
    np.testing.assert_allclose(units["exact"], [1, 0, 0])
    np.testing.assert_allclose(units["tok_acc"], [1, 2 / 3, 0])
    np.testing.assert_allclose(units["wrong"], [0, 1, 1])
    p = units["tok_acc"].mean()
    assert kind.predict_from_smooth(units, None) == pytest.approx(np.mean([p**2, p**3, p**1]))
    assert kind.sampling_model(units, None) == pytest.approx(np.mean([0.72, 0.7 * 0.2 * 0.6, 0.5]))
    assert kind.sharp_from_loss(kind.loss_from_smooth(np.array([p])), None)[0] == pytest.approx(
        kind.predict_from_smooth(units, None))
    metrics = {(m.name, m.param): m for m in kind.metrics(units, params=[None, 2])}
    assert metrics[("exact_match", None)].role == "sharp" and metrics[("token_accuracy", None)].role == "smooth"
    assert metrics[("exact_match", 2)].value(units) == 0.0  # one right of 3: no pair all right
    assert kind.measured(units, None, 3, seed=0) == pytest.approx(1 / 3)


def test_a_claimed_column_and_the_default_score(tmp_path, capsys):
    """Ungrouped input: a 1/0 column can be the claim; `score` is compared by default, exact match only if named."""
    rows = [[f"m{s}", s, i, int(i < s // 10), round(0.1 * s / 1000 + i / 400, 4), int(i < s // 40), s / 100 + i / 50]
            for s in (100, 300, 1000, 3000) for i in range(40)]
    header = ["model", "n_params", "example_id", "correct", "p_target", "mc_grade", "score"]
    path = write_csv(tmp_path / "mc.csv", header, rows)
    code, out = run_rescore([path, "--claimed", "mc_grade", "--resamples", "0"], capsys)
    assert code == 0, out.err
    emergence = {r["metric"]: r for r in table(tmp_path / "mc_analysis" / "emergence.csv")}
    roles = {m: r["role"] for m, r in emergence.items()}
    assert roles == {"mc_grade": "sharp", "log_prob": "smooth", "score": "smooth"}
    assert emergence["mc_grade"]["fit_note"].startswith("not fitted: the paper's model predicts exact match")
    assert emergence["mc_grade"]["fit_alpha"] == "" and emergence["mc_grade"]["extrap_mae"] == ""


def test_without_role_options_the_roles_are_the_toys(tmp_path, capsys):
    rows = token_rows(lengths=(2, 2, 2, 2))
    path = write_csv(tmp_path / "toy.csv", HEADER[:-1], [r[:-1] for r in rows])
    code, out = run_rescore([path, "--resamples", "0"], capsys)
    assert code == 0, out.err
    roles = {(r["metric"], r["param"]): r["role"] for r in table(tmp_path / "toy_analysis" / "emergence.csv")}
    assert roles[("accuracy", "")] == "smooth" and roles[("all_correct", "2")] == "sharp"
    assert "claimed" not in out.out


GOOD = token_rows()


def mistake(header=HEADER, rows=GOOD):
    return header, rows


@pytest.mark.parametrize("data, args, message", [
    (mistake(), ["--claimed", "bleu"], "--claimed bleu: not a metric of this input; it offers exact_match (from "
                                       "correct), token_accuracy, token_edit_distance, log_prob, score"),
    (mistake(), ["--claimed", "token_accuracy"], "--claimed token_accuracy: a claimed metric is right or wrong"),
    (mistake(), ["--continuous", "log_prob,bleu"], "--continuous bleu: not a metric of this input"),
    (mistake(), ["--continuous", "exact_match"], "--continuous names exact_match, the claimed metric"),
    (mistake(), ["--continuous", "log_prob,log_prob"], "--continuous names log_prob twice"),
    (mistake(), ["--continuous", " , "], "--continuous takes comma-separated metric names"),
    (mistake(), ["--lower-is-better", "token_edit_distance"], "--lower-is-better token_edit_distance: rescore knows"),
    (mistake(), ["--continuous", "log_prob", "--lower-is-better", "score"],
     "--lower-is-better score: not a continuous metric of this analysis (log_prob)"),
    (mistake(), ["--claimed", "exact_match", "--sharp", "1,2"], "--sharp sets K of the toys' roles"),
    (mistake(), ["--claimed", "exact_match", "--sharpness-max", "9"], "--sharpness-max asks for K = 9, more examples"),
    (mistake(), ["--claimed", "exact_match", "--threshold", "5"], "--threshold applies to an aggregate table"),
    (mistake(["model", "n_params", "example_id", "correct"], [r[:3] + [r[4]] for r in GOOD]),
     ["--claimed", "exact_match"], "nothing to compare exact_match with: the input has no continuous metric"),
    (mistake(HEADER + ["token_accuracy"], [r + [0.5] for r in GOOD]), ["--claimed", "exact_match"],
     "column 'token_accuracy' has the name of a metric rescore computes"),
    (mistake(rows=GOOD[:3] + [GOOD[3][:6] + ["n/a"]] + GOOD[4:]), ["--claimed", "exact_match"],
     "line 5: score must be a number, got 'n/a'"),
    (mistake(HEADER + ["mc"], [r + [0.5] for r in GOOD]), ["--claimed", "mc"],
     "line 2: mc must be 1/0 or true/false (it is the claimed metric), got '0.5'"),
    (mistake(rows=[r[:3] + (["q9"] if r[0] == "lm2" and r[2] == 0 else [r[3]]) + r[4:] for r in GOOD]),
     ["--claimed", "exact_match"], "model 'lm2' puts example_id '0' in group 'q9', model 'lm0' in group 'q0'"),
])
def test_role_mistakes_are_one_line_and_write_nothing(tmp_path, capsys, data, args, message):
    path = write_csv(tmp_path / "in.csv", *data)
    code, out = run_rescore([path, *args], capsys)
    assert code == 2 and out.err.startswith("rescore: error:") and out.err.count("\n") == 1
    assert message in out.err, out.err
    assert not (tmp_path / "in_analysis").exists()


@pytest.mark.parametrize("args, message", [
    ([], "give a per-example CSV (python -m toyemerge.rescore outputs.csv) or an aggregate table"),
    (["x.csv", "--no-such-option"], "unrecognized arguments: --no-such-option"),
    (["x.csv", "--resamples", "many"], "argument --resamples: invalid int value: 'many'"),
])
def test_command_line_mistakes_are_one_line_too(capsys, args, message):
    code, out = run_rescore(args, capsys)
    assert code == 2 and out.err.startswith("rescore: error:") and out.err.count("\n") == 1
    assert message in out.err
