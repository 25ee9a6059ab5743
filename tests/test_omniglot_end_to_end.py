"""The real CLI on a tiny synthetic Omniglot (raw PNG folders): train → export → figures, resume, re-score."""

import csv

import numpy as np
import pytest

from tests.conftest import REPO, run_cli, run_figures_without_torch
from tests.test_omniglot_data import write_raw_omniglot

# 2 alphabets, 8 characters, 20 drawers each: the conversion, split and sampler all run for real.
LAYOUT = {"background": {"Aa": {f"character{i:02d}": i for i in (1, 2, 3, 4)}},
          "evaluation": {"Bb": {f"character{i - 4:02d}": i for i in (5, 6, 7, 8)}}}
S, L = 60, 5


def overrides(tmp_path, *extra):
    return ["+exp=omniglot", f"data.root={tmp_path / 'data'}", "data.allow_download=false",
            f"store={tmp_path / 'runs'}", f"paths.experiments={tmp_path / 'experiments'}",
            f"paths.figures={tmp_path / 'figures'}", "data.alphabets=null", "model.n_classes=8",
            "data.image_size=12", f"data.test_sequences={S}", "family.scales=[2,16]", "seeds=[0,1]",
            "train.epochs=2", "train.steps_per_epoch=40", "train.batch_size=16", "metrics.lengths=[1,3,5]",
            *extra]


def read(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("omniglot_e2e")
    write_raw_omniglot(tmp_path / "data" / "omniglot-py", LAYOUT, drawers=range(1, 21))
    first = run_cli("toyemerge.train", *overrides(tmp_path), env={"OMP_NUM_THREADS": "1"})
    return tmp_path, first.stdout + first.stderr


def test_train_exports_sequence_outputs_and_resumes(trained):
    tmp_path, log = trained
    assert "4 to train" in log
    exp = tmp_path / "experiments" / "omniglot"
    runs = read(exp / "runs.csv")
    assert len(runs) == 4 and {(r["width"], r["seed"]) for r in runs} == {("2", "0"), ("2", "1"), ("16", "0"),
                                                                            ("16", "1")}
    targets = []
    for r in runs:
        with np.load(exp / "outputs" / f"{r['run_id']}.npz", allow_pickle=False) as f:
            assert f["target"].shape == f["pred"].shape == f["p_target"].shape == (S, L)
            assert f["p_target"].dtype == np.float32 and f["pred"].max() < 8
            targets.append(f["target"])
    assert all(np.array_equal(t, targets[0]) for t in targets)  # every model saw the same test list
    with np.load(exp / "test_sequences.npz", allow_pickle=False) as f:
        np.testing.assert_array_equal(f["char_id"] - 1, targets[0])  # char_id 1..8 are classes 0..7
        assert f["drawer"].min() >= 16

    results = read(exp / "results.csv")
    metrics = {(r["metric"], r["param"]) for r in results}
    assert {("accuracy", ""), ("cross_entropy", ""), ("all_correct", "5"), ("edit_distance", "3")} <= metrics
    assert len(results) == 4 * (2 + 2 * 3)
    acc = {r["run_id"]: float(r["value"]) for r in results if r["metric"] == "accuracy"}
    assert min(acc[r["run_id"]] for r in runs if r["width"] == "16") > 0.5  # the bars are learnable
    for name in ("accuracy", "all_correct", "edit_distance", "cross_entropy", "all_correct_vs_accuracy"):
        assert (tmp_path / "figures" / f"omniglot_{name}.png").stat().st_size > 1000

    second = run_cli("toyemerge.train", *overrides(tmp_path))
    assert "0 to train" in second.stdout + second.stderr
    assert read(exp / "runs.csv") == runs


def test_figures_rescore_other_lengths_without_torch(trained):
    tmp_path, _ = trained
    exp = tmp_path / "experiments" / "omniglot"
    args = overrides(tmp_path, "metrics.lengths=[2,4]")
    proc = run_figures_without_torch(*args)
    assert proc.returncode == 0, proc.stderr
    params = {r["param"] for r in read(exp / "results.csv") if r["metric"] == "all_correct"}
    assert params == {"2", "4"}


def test_wrong_class_count_is_one_clear_error(trained):
    tmp_path, _ = trained
    proc = run_cli("toyemerge.train", *overrides(tmp_path, "model.n_classes=9", f"store={tmp_path / 'other'}",
                                                  "export=false"), check=False)
    assert proc.returncode != 0 and "model.n_classes=8" in proc.stderr


def test_committed_export_follows_the_contract_and_spans_the_range():
    exp = REPO / "experiments" / "omniglot"
    if not (exp / "runs.csv").is_file():
        pytest.skip("no committed experiments/omniglot export")
    runs, results = read(exp / "runs.csv"), read(exp / "results.csv")
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
