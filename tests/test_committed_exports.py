"""Every committed export agrees with itself: each table, page and config is a function of the outputs
beside it. These hold after any retraining (another torch build gives other outputs, and `train`
rewrites every artifact from them), so they check consistency, never that bytes are unchanged."""

import csv

import pytest
from omegaconf import OmegaConf

from tests.conftest import REPO
from toyemerge.explorer import page
from toyemerge.folder import completed_runs, load_outputs, read_runs
from toyemerge.metrics import task_kind
from toyemerge.metrics.classification import accuracy
from toyemerge.rebuild import score_experiment
from toyemerge.store import sha256_file

EXPORTS = sorted(p.parent for p in (REPO / "experiments").glob("*/runs.csv"))


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("exp", EXPORTS, ids=lambda p: p.name)
def test_runs_csv_lists_exactly_the_outputs_and_their_hashes(exp):
    runs = read_runs(exp)
    complete = [r for r in runs if r.get("status", "complete") == "complete"]
    assert sorted(p.stem for p in (exp / "outputs").glob("*.npz")) == sorted(r["run_id"] for r in complete)
    for r in complete:
        assert sha256_file(exp / "outputs" / f"{r['run_id']}.npz") == r["outputs_sha256"], r["run_id"]


@pytest.mark.parametrize("exp", EXPORTS, ids=lambda p: p.name)
def test_config_yaml_describes_the_exported_family(exp):
    config = OmegaConf.load(exp / "config.yaml")
    runs = read_runs(exp)
    assert config.experiment == exp.name
    assert sorted(config.family.scales) == sorted({int(r[config.family.knob]) for r in runs})
    assert sorted(config.seeds) == sorted({int(r["seed"]) for r in runs})
    assert str(config.data.fingerprint).startswith("sha256:")


@pytest.mark.parametrize("exp", EXPORTS, ids=lambda p: p.name)
def test_results_and_curves_are_the_scores_of_the_outputs(exp):
    config = OmegaConf.load(exp / "config.yaml")
    ids = {r["run_id"] for r in completed_runs(exp)}
    expected = {(r["run_id"], r["metric"], "" if r["param"] is None else str(r["param"])): r["value"]
                for r in score_experiment(exp, task_kind(config.task).from_metrics_cfg(config.metrics), config.metrics)}
    results = rows(exp / "results.csv")
    assert {r["run_id"] for r in results} == ids
    assert {(r["run_id"], r["metric"], r["param"]): float(r["value"]) for r in results} == pytest.approx(
        expected, rel=1e-9, abs=1e-12)
    assert {r["run_id"] for r in rows(exp / "curves.csv")} == ids


@pytest.mark.parametrize("exp", [e for e in EXPORTS if (e / "explorer.html").is_file()], ids=lambda p: p.name)
def test_the_explorer_page_shows_the_outputs(exp):
    data = page.read_data(exp / "explorer.html")
    runs = sorted(completed_runs(exp), key=lambda r: (int(r["n_params"]), int(r["seed"])))
    assert data["n_params"] == [int(r["n_params"]) for r in runs]
    outputs = [load_outputs(exp / "outputs" / f"{r['run_id']}.npz") for r in runs]
    smooth = [o["sq_err"].astype(float).mean() if "sq_err" in o else accuracy(o["target"], o["pred"])
              for o in outputs]
    assert data["smooth"]["curves"][-1]["y"] == pytest.approx(smooth, rel=1e-5)
