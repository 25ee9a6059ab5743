"""Task kinds (classification, sequence, reconstruction) and the analysis of each."""

import numpy as np
import pytest

from tests.helpers import (
    SCALES,
    analysis_settings,
    classifier_family,
    reconstruction_outputs,
    sequence_outputs,
    true_accuracy,
)
from toyemerge.analysis import tables
from toyemerge.analysis.family import Run, prepare
from toyemerge.analysis.resolution import bootstrap_metrics
from toyemerge.metrics import Classification, Reconstruction, SequenceLabelling, task_kind
from toyemerge.plots import analysis as analysis_figures
from toyemerge.plots.save import save_figure

FAST = analysis_settings(n_resamples=50, subset_sizes=(10, 100))


def test_sequence_view_by_hand():
    target = np.array([[1, 2, 3], [1, 2, 3]])
    pred = np.array([[1, 2, 0], [0, 2, 3]])
    view = SequenceLabelling([1, 2, 3], [1, 2, 3])
    units = view.units({"target": target, "pred": pred, "p_target": np.full((2, 3), 0.5, np.float32)})
    metrics = view.metrics(units)
    values, _, _ = bootstrap_metrics(units, metrics, 0, 0.95, 0)
    by = {m.key: v for m, v in zip(metrics, values, strict=True)}
    assert by[("accuracy", None)] == pytest.approx(4 / 6)
    assert by[("all_correct", 1)] == pytest.approx(0.5) and by[("all_correct", 2)] == pytest.approx(0.5)
    assert by[("all_correct", 3)] == 0.0
    assert by[("edit_distance", 3)] == pytest.approx(1.0) and by[("edit_distance", 1)] == pytest.approx(0.5)
    # per-position accuracies 0.5, 1, 0.5 → product over the first L
    assert view.predict_from_smooth(units, 2) == pytest.approx(0.5)
    assert view.predict_from_smooth(units, 3) == pytest.approx(0.25)
    assert view.sampling_model(units, 3) == pytest.approx(0.125)


def test_reconstruction_view_prediction_from_its_own_error_shape_is_exact():
    rng = np.random.default_rng(0)
    view = Reconstruction([0.01, 0.02], [0.01, 0.02, 0.04])
    runs = prepare([Run("a", 10, 0, view.units(reconstruction_outputs(0.02, 5000, rng))),
                    Run("b", 100, 0, view.units(reconstruction_outputs(0.02, 5000, rng)))], view)
    metrics = {m.key: m for m in view.metrics(runs[0].units)}
    units = runs[0].units
    observed = units[metrics[("reconstruction", 0.01)].unit].mean()
    assert observed == pytest.approx(np.mean(units["sq_err"] < 0.01))
    # both models share one error shape, so G(c / MSE) reproduces each model's fraction below c
    assert view.predict_from_smooth(units, 0.01) == pytest.approx(observed, abs=0.02)
    psnr = metrics[("psnr", None)].transform(np.asarray(units["sq_err"].mean()), 5000)
    assert psnr == pytest.approx(-10 * np.log10(units["sq_err"].mean()))


def test_unknown_task_is_refused():
    with pytest.raises(ValueError, match="task = 'nope' is not a task kind toyemerge knows"):
        task_kind("nope")


@pytest.mark.parametrize("task", ["classification", "sequence", "reconstruction"])
def test_report_on_every_task_kind(task, tmp_path):
    rng = np.random.default_rng(1)
    scales = SCALES[::2]
    if task == "classification":
        view = Classification([1, 5], list(range(1, 11)))
        runs = classifier_family(view, n=300, scales=scales)
    elif task == "sequence":
        view = SequenceLabelling([1, 3, 5], [1, 2, 3, 4, 5])
        runs = prepare([Run(f"s{s}_{x}", int(x), s, view.units(sequence_outputs(true_accuracy(x), 200, 5, rng)))
                        for s in (0, 1) for x in scales], view)
    else:
        view = Reconstruction([0.005, 0.01], list(np.geomspace(0.001, 0.05, 12)))
        mse = 0.1 * (scales / 10.0) ** -0.3
        runs = prepare([Run(f"r{s}_{x}", int(x), s, view.units(reconstruction_outputs(m, 300, rng)))
                        for s in (0, 1) for x, m in zip(scales, mse, strict=True)], view)
    result = tables.analyze(runs, view, FAST)
    rows, table = result.rows, result.table
    assert set(analysis_figures.figures(result, runs, view, "toy", FAST)) == {"mirage", "resolution", "sampling",
                                                                              "sharpness_map"}
    roles = {(t["metric"], t["role"]) for t in table}
    assert (view.smooth_name, "smooth") in roles and (view.sharp_name, "sharp") in roles
    assert any(role == "continuous" for _, role in roles)
    sharp = [r for r in rows if r["metric"] == view.sharp_name]
    assert sharp and all(np.isfinite(r["predicted_from_smooth"]) and np.isfinite(r["extrapolated"]) for r in sharp)


def test_report_writes_tables_and_figures(tmp_path):
    view = Classification([1, 5], list(range(1, 11)))
    runs = classifier_family(view, n=300, scales=SCALES[::2], seeds=(0,))
    result = tables.analyze(runs, view, FAST)
    written = tables.write_tables(tmp_path / "exp", result)
    for name, fig in analysis_figures.figures(result, runs, view, "toy", FAST).items():
        written += save_figure(fig, tmp_path / "fig" / f"toy_{name}")
    names = {p.name for p in written}
    assert {"curves.csv", "emergence.csv", "sharpness.csv", "resolution.csv"} <= names
    for fig in ("mirage", "resolution", "sampling", "sharpness_map"):
        assert f"toy_{fig}.png" in names and (tmp_path / "fig" / f"toy_{fig}.pdf").stat().st_size > 1000
    header = (tmp_path / "exp" / "emergence.csv").read_text().splitlines()[0]
    assert header.split(",") == tables.COLUMNS["emergence.csv"]
