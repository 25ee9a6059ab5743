"""The real CLI on a tiny synthetic CIFAR-100 archive in the official format: train → export → figures."""

import numpy as np
import pytest

from tests.helpers import (
    outputs_in,
    read_csv,
    run_in_subprocess,
    run_without_torch,
    synthetic_members,
    with_overrides,
    write_archive,
)


def overrides(tmp_path, *extra):
    """A family of 2 × 2 autoencoders on the tiny archive under tmp_path/data, every output under tmp_path."""
    return with_overrides(
        ["+exp=cifar100", f"data.root={tmp_path / 'data'}", "data.allow_download=false",
         "data.options.verify_md5=false",  # synthetic files cannot carry the official MD5s
         *outputs_in(tmp_path), "family.scales=[2,16]", "seeds=[0,1]", "train.epochs=3", "train.batch_size=16",
         "data.stored_examples=3"], extra)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """The family trained once by the real command, in its own process (the reconstruction kind's
    end-to-end run): (tmp folder, its log)."""
    tmp_path = tmp_path_factory.mktemp("ae-e2e")
    write_archive(tmp_path / "data", synthetic_members(n_train=96, n_test=24))
    first = run_in_subprocess("toyemerge.train", *overrides(tmp_path))
    return tmp_path, first.out + first.err


@pytest.mark.slow
def test_train_from_the_official_archive_exports_the_folder_contract(trained, cli):
    tmp_path, log = trained
    assert "4 to train" in log
    exp = tmp_path / "experiments" / "cifar100"
    runs = read_csv(exp / "runs.csv")
    assert list(runs[0]) == ["run_id", "exp", "n_params", "seed", "n_hidden", "train_seconds", "status", "failure",
                             "outputs_sha256"]
    assert {(r["n_hidden"], r["seed"], r["n_params"]) for r in runs} == {
        ("2", "0", "15362"), ("2", "1", "15362"), ("16", "0", "101392"), ("16", "1", "101392")}
    for r in runs:
        with np.load(exp / "outputs" / f"{r['run_id']}.npz", allow_pickle=False) as f:
            assert f["sq_err"].shape == (24,) and f["sq_err"].dtype == np.float32
            assert f["example_index"].tolist() == [0, 12, 23]  # evenly spaced, the same for every model
            assert f["example_input"].shape == f["example_recon"].shape == (3, 32, 32, 3)
            assert f["example_recon"].dtype == np.uint8
            # the stored (8-bit) reconstruction agrees with the stored per-image error
            x = f["example_input"].reshape(3, -1) / 255
            x_hat = f["example_recon"].reshape(3, -1) / 255
            np.testing.assert_allclose(((x - x_hat) ** 2).mean(1), f["sq_err"][[0, 12, 23]], atol=2e-3)

    results = read_csv(exp / "results.csv")
    assert {(r["metric"], r["param"]) for r in results} == {
        ("mse", ""), ("psnr", ""), ("reconstruction", "0.002"), ("reconstruction", "0.004"),
        ("reconstruction", "0.008")}
    assert len(results) == 4 * 5
    for name in ("mse", "reconstruction", "psnr", "reconstructions"):
        for suffix in (".png", ".pdf"):
            assert (tmp_path / "figures" / f"cifar100_{name}{suffix}").stat().st_size > 1000
    mse = {r["run_id"]: float(r["value"]) for r in results if r["metric"] == "mse"}
    by_scale = {s: np.mean([mse[r["run_id"]] for r in runs if r["n_hidden"] == s]) for s in ("2", "16")}
    assert by_scale["16"] < by_scale["2"] < 0.25  # it learns, and more units reconstruct better
    assert (tmp_path / "data" / "cifar100.npz").is_file()  # converted once, read directly next time

    second = cli("toyemerge.train", *overrides(tmp_path))
    assert second.status == 0, second.err
    assert "0 to train" in second.out + second.err
    assert read_csv(exp / "runs.csv") == runs


@pytest.mark.slow
def test_figures_rescore_new_cutoffs_without_torch(trained, cli):
    tmp_path, _ = trained
    exp = tmp_path / "experiments" / "cifar100"
    ran = run_without_torch("toyemerge.figures", *overrides(tmp_path, "metrics.cutoffs=[0.05,0.5]"))
    assert ran.status == 0, ran.err
    params = {r["param"] for r in read_csv(exp / "results.csv") if r["metric"] == "reconstruction"}
    assert params == {"0.05", "0.5"}

    ran = cli("toyemerge.suggest_cutoffs", *overrides(tmp_path))
    assert ran.status == 0, ran.err
    assert "cutoffs: [" in ran.out and "101,392 parameters" in ran.out


def test_model_and_data_sizes_must_agree(tmp_path, cli):
    write_archive(tmp_path / "data", synthetic_members(n_train=8, n_test=4))
    ran = cli("toyemerge.train", *overrides(tmp_path, "model.n_inputs=784", "family.scales=[2]", "seeds=[0]"))
    assert ran.status == 2 and ran.err.count("\n") == 1 and "n_inputs = 784" in ran.err
