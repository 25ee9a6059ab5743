"""The committed exports (experiments/<exp>/).

Every one agrees with itself: each table, page and config is a function of the outputs beside it.
These hold after any retraining (another torch build gives other outputs, and `train` rewrites every
artifact from them), so they check consistency, never that bytes are unchanged. Then each real
family follows the folder contract and spans the range its README claims.
"""

import math
from collections import defaultdict

import numpy as np
import pytest
from omegaconf import OmegaConf

from tests.helpers import REPO, read_csv
from toyemerge.explorer import page
from toyemerge.folder import completed_runs, load_outputs, read_runs
from toyemerge.metrics import task_kind
from toyemerge.metrics.classification import accuracy
from toyemerge.rebuild import score_experiment
from toyemerge.store import sha256_file

EXPERIMENTS = REPO / "experiments"
EXPORTS = sorted(p.parent for p in EXPERIMENTS.glob("*/runs.csv"))


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
    results = read_csv(exp / "results.csv")
    assert {r["run_id"] for r in results} == ids
    assert {(r["run_id"], r["metric"], r["param"]): float(r["value"]) for r in results} == pytest.approx(
        expected, rel=1e-9, abs=1e-12)
    assert {r["run_id"] for r in read_csv(exp / "curves.csv")} == ids


@pytest.mark.parametrize("exp", [e for e in EXPORTS if (e / "explorer.html").is_file()], ids=lambda p: p.name)
def test_the_explorer_page_shows_the_outputs(exp):
    data = page.read_data(exp / "explorer.html")
    runs = sorted(completed_runs(exp), key=lambda r: (int(r["n_params"]), int(r["seed"])))
    assert data["n_params"] == [int(r["n_params"]) for r in runs]
    outputs = [load_outputs(exp / "outputs" / f"{r['run_id']}.npz") for r in runs]
    smooth = [o["sq_err"].astype(float).mean() if "sq_err" in o else accuracy(o["target"], o["pred"])
              for o in outputs]
    assert data["smooth"]["curves"][-1]["y"] == pytest.approx(smooth, rel=1e-5)


def test_committed_mnist_export_follows_the_contract_and_spans_the_range():
    exp = EXPERIMENTS / "mnist"
    if not (exp / "runs.csv").is_file():
        pytest.skip("no committed experiments/mnist export")
    runs, results = read_csv(exp / "runs.csv"), read_csv(exp / "results.csv")
    assert {r["run_id"] for r in results} == {r["run_id"] for r in runs}
    for r in runs:
        assert (exp / "outputs" / f"{r['run_id']}.npz").is_file()
    total = sum(p.stat().st_size for p in (exp / "outputs").glob("*.npz"))
    assert total < 10 * 2**20


def test_the_mnist_family_shows_panel_c_at_the_papers_k():
    """The family's design goals, re-derived from the committed per-example outputs alone (issue 16):
    ≥ 8 sizes × ≥ 3 seeds over ≥ 2.5 decades; all-5-right ≤ 5 % of its maximum at the 2 smallest
    sizes while accuracy has covered ≥ 20 % of its range; the largest size ≥ 0.99; accuracy rising
    at every size and never 80 % of its change within one decade."""
    exp = EXPERIMENTS / "mnist"
    if not (exp / "runs.csv").is_file():
        pytest.skip("no committed experiments/mnist export")
    acc, all5 = defaultdict(list), defaultdict(list)
    for r in read_csv(exp / "runs.csv"):
        with np.load(exp / "outputs" / f"{r['run_id']}.npz") as f:
            right, n = int((f["pred"] == f["target"]).sum()), f["target"].size
        acc[int(r["n_params"])].append(right / n)
        all5[int(r["n_params"])].append(math.comb(right, 5) / math.comb(n, 5))  # exact subset accuracy, K = 5
    sizes = sorted(acc)
    a = np.array([np.mean(acc[n]) for n in sizes])
    s = np.array([np.mean(all5[n]) for n in sizes])
    assert len(sizes) >= 8 and min(len(v) for v in acc.values()) >= 3
    assert np.log10(sizes[-1] / sizes[0]) >= 2.5
    assert s[0] <= 0.05 * s.max() and s[1] <= 0.05 * s.max()
    assert (a[1] - a[0]) / (a[-1] - a[0]) >= 0.20
    assert a[-1] >= 0.99
    assert np.all(np.diff(a) > 0)
    log_n = np.log10(sizes)
    share = max(a[log_n <= log_n[i] + 1].max() - a[i] for i in range(len(sizes))) / (a[-1] - a[0])
    assert share < 0.80


def test_committed_omniglot_export_follows_the_contract_and_spans_the_range():
    exp = EXPERIMENTS / "omniglot"
    if not (exp / "runs.csv").is_file():
        pytest.skip("no committed experiments/omniglot export")
    runs, results = read_csv(exp / "runs.csv"), read_csv(exp / "results.csv")
    assert {r["run_id"] for r in results} == {r["run_id"] for r in runs}
    seeds: dict[int, set] = {}
    for r in runs:
        seeds.setdefault(int(r["n_params"]), set()).add(r["seed"])
    sizes = sorted(seeds)
    assert len(sizes) >= 8 and sizes[-1] / sizes[0] >= 100 and min(len(s) for s in seeds.values()) >= 3
    with np.load(exp / "test_sequences.npz", allow_pickle=False) as f:
        test_classes = f["classes"]
    for r in runs:  # every model was scored on the saved test list
        with np.load(exp / "outputs" / f"{r['run_id']}.npz", allow_pickle=False) as f:
            np.testing.assert_array_equal(f["target"], test_classes)
    mean = {}
    for r in results:
        if (r["metric"], r["param"]) in (("accuracy", ""), ("all_correct", "5")):
            mean.setdefault((r["metric"], int(r["n_params"])), []).append(float(r["value"]))
    assert np.mean(mean[("accuracy", sizes[0])]) < 0.05 and np.mean(mean[("accuracy", sizes[-1])]) >= 0.90
    assert np.mean(mean[("all_correct", sizes[0])]) < 0.01
    assert sum(p.stat().st_size for p in (exp / "outputs").glob("*.npz")) < 10 * 2**20


def test_cifar100_holds_no_results_until_the_real_data_exists():
    folder = EXPERIMENTS / "cifar100"
    assert (folder / "README.md").is_file()
    assert "pending" in (folder / "README.md").read_text()
    if not (folder / "runs.csv").is_file():  # nothing may stand in for the real run
        assert not (folder / "results.csv").exists() and not (folder / "outputs").exists()
        assert not list((REPO / "figures").glob("cifar100_*"))


@pytest.mark.parametrize("exp", ["mnist_autoencoder", "omniglot_autoencoder"])
def test_committed_autoencoder_export_follows_the_contract(exp):
    folder = EXPERIMENTS / exp
    if not (folder / "runs.csv").is_file():
        pytest.skip(f"no committed experiments/{exp} export")
    runs, results = read_csv(folder / "runs.csv"), read_csv(folder / "results.csv")
    assert {r["run_id"] for r in results} == {r["run_id"] for r in runs}
    seeds = defaultdict(set)
    for r in runs:
        with np.load(folder / "outputs" / f"{r['run_id']}.npz", allow_pickle=False) as f:
            assert f["sq_err"].dtype == np.float32 and f["sq_err"].ndim == 1
            assert f["example_recon"].shape == f["example_input"].shape == (len(f["example_index"]), 28, 28)
        seeds[int(r["n_params"])].add(r["seed"])
    sizes = sorted(seeds)
    assert len(sizes) >= 8 and sizes[-1] / sizes[0] >= 100 and min(len(s) for s in seeds.values()) >= 3
    size_mb = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6
    assert size_mb < 10

    by = defaultdict(list)
    for r in results:
        by[(r["metric"], r["param"], int(r["n_params"]))].append(float(r["value"]))
    mse = [np.mean(by[("mse", "", n)]) for n in sizes]
    assert all(b < a for a, b in zip(mse, mse[1:], strict=False))  # smooth metric falls at every step
    cutoffs = sorted({r["param"] for r in results if r["metric"] == "reconstruction"}, key=float)
    for c in cutoffs:  # the sharp metric: near 0 for the smallest model, well above it for the largest
        smallest, largest = (np.mean(by[("reconstruction", c, n)]) for n in (sizes[0], sizes[-1]))
        assert smallest < 0.05 and largest - smallest > 0.05
