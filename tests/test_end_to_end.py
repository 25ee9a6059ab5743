"""The real CLI on tiny synthetic data: train → store → export → figures, resume, re-score."""

import os

import numpy as np
import pytest

from tests.helpers import (
    compose,
    read_csv,
    run_dirs,
    run_in_subprocess,
    run_without_torch,
    tiny_family,
    write_tiny_mnist,
)

FIGURES = list(compose("+exp=mnist").figures)  # every figure the experiment declares


def overrides(tmp_path, data_root, *extra):
    """2 widths × 2 seeds, 3 epochs: enough for the larger model to learn the synthetic digits."""
    return tiny_family(tmp_path, data_root, "family.scales=[1,21]", "seeds=[0,1]", "train.epochs=3",
                       "train.batch_size=32", "metrics.subset_k=[1,2,3]", *extra)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One tiny family trained once by the real command, in its own process (the classification kind's
    end-to-end run): (tmp folder, data root, its log)."""
    tmp_path = tmp_path_factory.mktemp("e2e")
    data = write_tiny_mnist(tmp_path)
    first = run_in_subprocess("toyemerge.train", *overrides(tmp_path, data))
    return tmp_path, data, first.out + first.err


@pytest.mark.slow
def test_train_exports_the_folder_contract_and_resumes(trained, cli):
    tmp_path, tiny_mnist_root, log = trained
    args = overrides(tmp_path, tiny_mnist_root)
    assert "4 to train" in log

    exp = tmp_path / "experiments" / "mnist"
    runs = read_csv(exp / "runs.csv")
    assert list(runs[0]) == ["run_id", "exp", "n_params", "seed", "width", "train_seconds", "status", "failure",
                             "outputs_sha256"]
    assert {r["status"] for r in runs} == {"complete"}
    assert len(runs) == 4 and {r["exp"] for r in runs} == {"mnist"}
    assert {(r["width"], r["seed"]) for r in runs} == {("1", "0"), ("1", "1"), ("21", "0"), ("21", "1")}
    for r in runs:
        with np.load(exp / "outputs" / f"{r['run_id']}.npz", allow_pickle=False) as f:
            assert f["target"].shape == f["pred"].shape == f["p_target"].shape == (200,)
            assert f["probs"].shape == (200, 10) and f["probs"].dtype == np.float16
            np.testing.assert_allclose(f["probs"].astype(np.float32).sum(1), 1, atol=1e-2)

    results = read_csv(exp / "results.csv")
    assert list(results[0]) == ["run_id", "n_params", "seed", "metric", "param", "value", "ci_low", "ci_high"]
    metrics = {(r["metric"], r["param"]) for r in results}
    expected = {("accuracy", ""), ("cross_entropy", ""), ("subset_accuracy", "3"), ("subset_accuracy_sampled", "2")}
    assert expected <= metrics
    assert len(results) == 4 * (4 + 2 * 3)  # accuracy, cross_entropy, log_prob, brier; 2 metrics x K
    assert (exp / "config.yaml").is_file()
    assert {"accuracy", "subset_accuracy", "subset_accuracy_sampled", "cross_entropy"} <= set(FIGURES)
    for name in FIGURES:
        for suffix in (".png", ".pdf"):
            assert (tmp_path / "figures" / f"mnist_{name}{suffix}").stat().st_size > 1000

    # The large model learns the synthetic task; the summary in the store matches the results.
    acc = {r["run_id"]: float(r["value"]) for r in results if r["metric"] == "accuracy"}
    big = [r["run_id"] for r in runs if r["width"] == "21"]
    assert min(acc[b] for b in big) > 0.3

    second = cli("toyemerge.train", *args)
    assert second.status == 0, second.err
    assert "0 to train" in second.out + second.err
    assert read_csv(exp / "runs.csv") == runs


@pytest.mark.slow
def test_figures_rescores_without_torch_and_without_training(trained):
    tmp_path, tiny_mnist_root, _ = trained
    exp = tmp_path / "experiments" / "mnist"
    before = (exp / "results.csv").read_text()
    (exp / "results.csv").unlink()
    for png in (tmp_path / "figures").glob("*.png"):
        png.unlink()
    # Change only the metric: K up to 4 now. Same outputs, new table, no training, no torch.
    args = overrides(tmp_path, tiny_mnist_root, "metrics.subset_k=[1,2,3,4]")
    ran = run_without_torch("toyemerge.figures", *args)
    assert ran.status == 0, ran.err
    after = (exp / "results.csv").read_text()
    assert after.startswith(before.splitlines()[0])
    assert ",subset_accuracy,4," in after and ",subset_accuracy,4," not in before
    assert not list((tmp_path / "runs").glob(".tmp-*"))  # no run left half-assembled
    assert not [p for p in exp.rglob(".*.tmp")]  # no half-written export file
    analysis_figures = ("mirage", "resolution", "sampling", "sharpness_map")
    pngs = sorted(p.stem for p in (tmp_path / "figures").glob("*.png"))
    assert pngs == sorted(f"mnist_{n}" for n in [*FIGURES, *analysis_figures])
    assert (exp / "emergence.csv").is_file() and (exp / "curves.csv").is_file()


def test_no_experiment_is_one_clear_error(tmp_path, cli):
    ran = cli("toyemerge.train", f"store={tmp_path}", f"hydra.run.dir={tmp_path}/logs")
    assert ran.status == 2 and ran.err.count("\n") == 1  # one line
    assert "+exp=" in ran.err and "mnist" in ran.err


def test_unknown_experiment_is_refused(tmp_path, cli):
    ran = cli("toyemerge.train", "+exp=nope", f"store={tmp_path}", f"hydra.run.dir={tmp_path}/logs")
    assert ran.status == 2 and ran.err.count("\n") == 1
    assert "no config exp/nope; the choices for exp are: cifar100, mnist," in ran.err


@pytest.mark.parametrize("typo, line", [
    ("train.epoch=3", "unknown config key train.epoch (did you mean train.epochs?); the keys under train"),
    ("epochs=3", "unknown config key epochs (did you mean train.epochs?); the keys at the top level"),
    ("model=nope", "there is no config model/nope; the choices for model are: autoencoder, lenet, transformer"),
    ("train.lr=[1", "cannot parse the argument 'train.lr=[1'"),
])
def test_a_command_line_hydra_cannot_compose_is_one_line(tmp_path, cli, monkeypatch, typo, line):
    """Hydra's own report is several lines and, for a typo'd key, advises adding it with `+`."""
    monkeypatch.delenv("HYDRA_FULL_ERROR", raising=False)
    ran = cli("toyemerge.figures", "+exp=mnist", typo, f"paths.experiments={tmp_path}")
    assert ran.status == 2 and ran.err.count("\n") == 1 and ran.err.startswith(f"error: {line}")
    assert "HYDRA_FULL_ERROR" not in os.environ  # set only while the command runs


@pytest.mark.parametrize("bad", ["0", "-2"])
def test_bad_scale_is_refused_before_training(tmp_path, tiny_mnist_root, cli, bad):
    ran = cli("toyemerge.train", *overrides(tmp_path, tiny_mnist_root, f"scale={bad}"))
    assert ran.status == 2 and ran.err.count("\n") == 1 and f"scale = {bad} is not allowed" in ran.err
    assert run_dirs(tmp_path / "runs") == []
