"""Degenerate curves and fits are said in words, never reported as numbers: a curve flat at one value for most
sizes keeps its (infinite) emergence score and gets a flag; a power law with nothing to fit is not fitted."""

import csv
import math

import numpy as np
import pytest

from tests.helpers import REPO
from toyemerge.analysis.degenerate import flatness_flag
from toyemerge.analysis.prediction import NotFitted, PowerLaw, fit_power_law
from toyemerge.analysis.scores import rms_step_score
from toyemerge.rescore import cli as rescore

X12 = np.geomspace(2e6, 1.28e11, 12)


@pytest.mark.parametrize("y, flag", [
    ([0] * 11 + [0.4], "flat then one jump: score infinite; 11 of 12 sizes at the floor (0)"),
    ([0] * 8 + [0.1, 0.2, 0.4, 0.7], "flat then 4 jumps: score infinite; 8 of 12 sizes at the floor (0)"),
    ([0.2, 0.6] + [0.9] * 10, "2 jumps then flat: score infinite; 10 of 12 sizes at the ceiling (0.9)"),
    ([1.0] * 11 + [0.0], "flat then one jump: score minus infinite; 11 of 12 sizes at the ceiling (1)"),
    ([0.3] * 12, "flat at every size (0.3): score 0, nothing changes"),
    (list(np.linspace(0, 1, 12)), ""),
    ([0] * 5 + list(np.linspace(0.1, 0.6, 7)), ""),  # 5 of 12 at the floor: neither most sizes nor infinite
])
def test_the_flag_says_what_the_curve_did(y, flag):
    assert flatness_flag(X12, np.array(y, dtype=float)) == flag


def test_the_flag_is_the_seed_mean_curves_and_knows_the_resolution():
    assert flatness_flag(X12[:4], np.array([0.0, 0.0, 0.0, 0.5]), n_examples=200) == (
        "flat then one jump: score infinite; 3 of 4 sizes at the floor (0; resolution 1/200)")
    assert flatness_flag(X12[:3], np.array([0.0, 0.0, 0.5])) == (  # one zero step of two: a finite score
        "flat then one jump: score 1.41; 2 of 3 sizes at the floor (0)")
    assert flatness_flag(X12[:2], np.array([0.0, 0.5])) == ""  # 2 sizes: no score, nothing to flag


def test_rms_step_score_is_finite_where_breakthroughness_is_not():
    assert rms_step_score(X12, np.array([0] * 11 + [0.4])) == pytest.approx(math.sqrt(11))
    assert rms_step_score(X12, np.linspace(0, 1, 12)) == pytest.approx(11.0)  # equal steps: the same as the median
    assert rms_step_score(X12, np.linspace(1, 0, 12)) == pytest.approx(-11.0)
    assert rms_step_score(X12, np.full(12, 0.3)) == 0.0
    assert math.isnan(rms_step_score(X12[:2], np.array([0.0, 1.0])))


def test_a_power_law_with_nothing_to_fit_is_not_fitted():
    n = X12[:6]
    with pytest.raises(NotFitted, match="6 of the 6 fitted sizes have an infinite loss, accuracy 0"):
        fit_power_law(n, np.full(6, np.inf))
    with pytest.raises(NotFitted, match="no signal: the loss is 27.63 at every fitted size"):
        fit_power_law(n, np.full(6, -math.log(1e-12)))  # what a floored accuracy of 0 used to give
    with pytest.raises(NotFitted, match="does not fall with size"):
        fit_power_law(n, PowerLaw(0.2, 10.0)(n))
    law = fit_power_law(n, PowerLaw(-0.3, 10.0)(n))  # a real power law is still fitted
    assert law.alpha == pytest.approx(-0.3) and law.log_c == pytest.approx(10.0)


def write_floor_family(path, p_target=False):
    """The issue's case: a family of 12 sizes whose accuracy is 0 at 11 of them."""
    rng = np.random.default_rng(0)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["model", "n_params", "example_id", "correct"] + ["p_target"] * p_target)
        for i, size in enumerate(X12.round().astype(int)):
            for e in range(200):
                right = int(i == 11 and rng.random() < 0.4)
                w.writerow([f"m{i}", size, e, right] + [0.01 + 0.02 * i + 0.5 * right] * p_target)
    return path


def test_a_floor_family_gets_flags_and_no_fitted_numbers(tmp_path, capsys):
    path = write_floor_family(tmp_path / "floor.csv")
    assert rescore.main([str(path), "--resamples", "0"]) == 0, capsys.readouterr().err
    rows = {(r["metric"], r["param"]): r for r in csv.DictReader(open(tmp_path / "floor_analysis" / "emergence.csv"))}
    for key in [("accuracy", ""), ("subset_accuracy", "1"), ("subset_accuracy", "5")]:
        assert rows[key]["emergence_score"] == "inf"
        assert rows[key]["flag"].startswith("flat then one jump: score infinite; 11 of 12 sizes at the floor (0)")
    sharp = rows[("subset_accuracy", "1")]
    assert sharp["fit_alpha"] == sharp["fit_log_c"] == sharp["extrap_mae"] == sharp["extrap_coverage"] == ""
    assert sharp["fit_note"] == ("not fitted: needs a finite positive loss at 2 or more scales (6 of the 6 fitted "
                                 "sizes have an infinite loss, accuracy 0)")
    curves = list(csv.DictReader(open(tmp_path / "floor_analysis" / "curves.csv")))
    assert {r["extrapolated"] for r in curves if r["role"] == "sharp"} == {""}
    resolution = list(csv.DictReader(open(tmp_path / "floor_analysis" / "resolution.csv")))
    assert all(r["flag"].startswith(("flat then one jump", "flat at every size")) for r in resolution)
    assert (tmp_path / "floor_analysis" / "figures" / "floor_mirage.png").is_file()


def test_declared_roles_flag_the_claim_too(tmp_path, capsys):
    path = write_floor_family(tmp_path / "floor.csv", p_target=True)
    assert rescore.main([str(path), "--claimed", "exact_match", "--resamples", "0"]) == 0
    out = capsys.readouterr().out
    assert "exact_match            emergence score      inf" in out
    assert "[flat then one jump: score infinite; 11 of 12 sizes at the floor (0)]" in out


EXPERIMENTS = sorted(p.parent for p in (REPO / "experiments").glob("*/emergence.csv"))


@pytest.mark.parametrize("exp", EXPERIMENTS, ids=lambda p: p.name)
def test_committed_tables_flag_every_infinite_score_and_explain_every_missing_fit(exp):
    rows = list(csv.DictReader(open(exp / "emergence.csv")))
    assert "flag" in rows[0] and "fit_note" in rows[0]
    for r in rows:
        if r["emergence_score"] in ("inf", "-inf"):
            assert r["flag"], (r["metric"], r["param"])
        if r["role"] == "sharp":
            assert (r["fit_alpha"] == "") == bool(r["fit_note"]), (r["metric"], r["param"])
