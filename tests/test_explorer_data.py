"""The explorer's numbers are the project's metrics and scores of the saved outputs, setting by setting."""

import logging
import re

import numpy as np
import pytest

from tests.helpers import (
    SCALES,
    classifier_family,
    reconstruction_outputs,
    run_without_torch,
    sequence_outputs,
    true_accuracy,
    write_classifier_export,
)
from toyemerge.analysis.family import Run, prepare
from toyemerge.analysis.scores import emergence_score, late_gain, seed_mean_curve, sparse_subsets
from toyemerge.explorer import page
from toyemerge.explorer.data import Settings, explorer_data
from toyemerge.metrics import Classification, Reconstruction, SequenceLabelling
from toyemerge.metrics.base import first_units
from toyemerge.metrics.classification import subset_accuracy_exact
from toyemerge.metrics.reconstruction import reconstruction
from toyemerge.metrics.sequence import edit_distance

MEASURED = "subset_accuracy_sampled"
FAST = Settings(test_sizes=(50, 100), strides=(1, 2, 3), n_resamples=60, confidence=0.95, seed=0, fit_fraction=0.5,
                start_param=5, near_zero=0.05)
GRID = [1, 2, 5, 20, 80]  # 80 > 50: no K-subset in the smallest test set


def by_name(data, name):
    return next(m for m in data["metrics"] if m["name"] == name)


@pytest.fixture(scope="module")
def classifier_page():
    view = Classification([1, 5], GRID)
    runs = classifier_family(view, n=300, scales=SCALES[::2], seeds=(0, 1))
    return runs, view, explorer_data(runs, view, GRID, FAST)


def test_every_classifier_setting_is_the_metric_of_the_same_test_subset(classifier_page):
    runs, view, data = classifier_page
    x = np.array([r.n_params for r in runs], dtype=float)
    assert data["sizes"] == [50, 100, 300] and data["symbol"] == "K"
    assert [m["name"] for m in data["metrics"]] == ["subset_accuracy", MEASURED]
    for s, n in enumerate(data["sizes"]):
        subsets = [first_units(r.units, n, FAST.seed)["correct"].astype(bool) for r in runs]
        smooth = data["smooth"]["curves"][s]
        assert smooth["y"] == pytest.approx([c.mean() for c in subsets])
        for p, k in enumerate(GRID):
            exact = by_name(data, "subset_accuracy")["curves"][p][s]
            measured = by_name(data, MEASURED)["curves"][p][s]
            if k > n:  # nothing to score: NaN, and so no score
                assert np.isnan(exact["y"]).all() and np.isnan(measured["y"]).all()
                assert all(np.isnan(v) for v in exact["score"])
                continue
            assert exact["y"] == pytest.approx([subset_accuracy_exact(c, k) for c in subsets])
            # the resolution study's own estimate at this test-set size (resolution.csv)
            assert measured["y"] == pytest.approx([view.measured(r.units, k, n, FAST.seed) for r in runs])
            xs, mean = seed_mean_curve(x, np.array(exact["y"]))
            assert exact["mean"] == pytest.approx(mean)
            for i, samp in enumerate(data["samplings"]):
                idx = np.array(samp["index"])
                assert exact["score"][i] == pytest.approx(emergence_score(xs[idx], mean[idx]), nan_ok=True)
                assert exact["late"][i] == pytest.approx(late_gain(xs[idx], mean[idx], data["split"]), nan_ok=True)
            for curve in (exact, measured, smooth):  # the band spans every seed's value
                for j, scale in enumerate(xs):
                    seeds = np.array(curve["y"])[x == scale]
                    assert curve["low"][j] <= seeds.min() + 1e-12 and seeds.max() <= curve["high"][j] + 1e-12


def test_samplings_are_every_offset_of_every_stride(classifier_page):
    _, _, data = classifier_page
    n_scales = len(data["scales"])
    expected = [(m, o, idx.tolist()) for m in (1, 2, 3) for o, idx in enumerate(sparse_subsets(n_scales, m))]
    assert [(s["every"], s["offset"], s["index"]) for s in data["samplings"]] == expected
    assert data["samplings"][0]["straight_line_score"] == pytest.approx(n_scales - 1)  # a straight line: N − 1


def test_sequence_and_reconstruction_settings():
    rng = np.random.default_rng(3)
    scales = SCALES[::2]
    view = SequenceLabelling([1, 3], [1, 2, 3])
    outputs = {(s, int(x)): sequence_outputs(true_accuracy(x), 120, 3, rng) for s in (0, 1) for x in scales}
    runs = prepare([Run(f"q{s}_{x}", x, s, view.units(o)) for (s, x), o in outputs.items()], view)
    data = explorer_data(runs, view, [1, 2, 3], FAST)
    assert [m["name"] for m in data["metrics"]] == ["all_correct", "edit_distance"]
    for p, length in enumerate([1, 2, 3]):
        for s, n in enumerate(data["sizes"]):
            all_right = by_name(data, "all_correct")["curves"][p][s]["y"]
            assert all_right == pytest.approx([view.measured(r.units, length, n, FAST.seed) for r in runs])
        wrong = by_name(data, "edit_distance")["curves"][p][-1]["y"]
        assert wrong == pytest.approx([edit_distance(outputs[(r.seed, r.n_params)]["target"] ==
                                                     outputs[(r.seed, r.n_params)]["pred"], length).mean()
                                       for r in runs])
    assert not by_name(data, "edit_distance")["higher_is_better"]

    view = Reconstruction([0.01], [0.003, 0.01, 0.03])
    mse = 0.1 * (scales / 10.0) ** -0.3
    outputs = {(s, int(x)): reconstruction_outputs(m, 150, rng)
               for s in (0, 1) for x, m in zip(scales, mse, strict=True)}
    runs = prepare([Run(f"r{s}_{x}", x, s, view.units(o)) for (s, x), o in outputs.items()], view)
    data = explorer_data(runs, view, [0.003, 0.01, 0.03], FAST)
    assert data["smooth"]["name"] == "mse" and data["smooth"]["log_y"] and data["symbol"] == "c"
    for p, c in enumerate([0.003, 0.01, 0.03]):
        curve = by_name(data, "reconstruction")["curves"][p][-1]
        assert curve["y"] == pytest.approx([reconstruction(outputs[(r.seed, r.n_params)]["sq_err"], c) for r in runs])
        assert data["smooth"]["curves"][-1]["y"] == pytest.approx(
            [outputs[(r.seed, r.n_params)]["sq_err"].astype(float).mean() for r in runs])


def test_embedded_data_cannot_break_out_of_the_page(classifier_page):
    _, _, data = classifier_page
    html = page.render({**data, "note": "</script><script>alert(1)</script>", "inf": float("inf")}, "T <b>")
    assert "</script><script>alert" not in html and "Infinity" in html and "T &lt;b&gt;" in html
    # no external resource of any kind: no src/href, no stylesheet or script from elsewhere
    assert not re.search(r"\b(src|href)\s*=", html) and "<link" not in html and "@import" not in html
    assert "default-src 'none'" in html  # and the browser is told to fetch nothing


def test_cli_writes_the_page_from_an_export_without_torch(tmp_path):
    write_classifier_export(tmp_path / "mnist", n=300)
    ran = run_without_torch("toyemerge.explore", "+exp=mnist", f"paths.experiments={tmp_path}",
                            "explore.bootstrap_resamples=50", f"hydra.run.dir={tmp_path / 'logs'}")
    assert ran.status == 0, ran.err
    html = (tmp_path / "mnist" / "explorer.html").read_text()
    assert 'accuracy' in html and html.count("<script>") == 1 and len(html) < 2_000_000


def test_experiment_without_export_is_one_clear_error(tmp_path, cli):
    ran = cli("toyemerge.explore", "+exp=cifar100", f"paths.experiments={tmp_path}")
    assert ran.status == 2
    message = ran.err.strip().splitlines()
    assert len(message) == 1 and message[0].startswith("error: ") and "holds no exported runs" in message[0]
    assert "python -m toyemerge.train +exp=cifar100" in message[0] and "Traceback" not in ran.err


def test_a_damaged_page_is_rebuilt_not_kept_as_up_to_date(tmp_path, caplog):
    """`figures` keeps a page whose recorded digest matches its sources; a page damaged anywhere (its
    data still readable) must not pass for up to date."""
    from tests.helpers import compose
    from toyemerge.explorer.build import build as build_page

    caplog.set_level(logging.INFO)
    write_classifier_export(tmp_path / "mnist", n=300)
    cfg = compose("+exp=mnist", f"paths.experiments={tmp_path}", "explore.bootstrap_resamples=50")
    out = build_page(cfg)
    good = out.read_bytes()
    assert page.embedded_digest(out) is not None
    build_page(cfg, only_if_changed=True)
    assert "explorer page up to date" in caplog.text  # intact: kept
    damaged = good.replace(b"<svg", b"<svh", 1)  # the template's code, not the data line
    assert damaged != good
    out.write_bytes(damaged)
    assert page.embedded_digest(out) is None
    build_page(cfg, only_if_changed=True)
    assert out.read_bytes() == good
