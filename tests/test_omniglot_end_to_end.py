"""The real CLI on a tiny synthetic Omniglot (raw PNG folders): train → export → figures, resume, re-score."""

import numpy as np
import pytest

from tests.helpers import outputs_in, read_csv, run_in_subprocess, run_without_torch, with_overrides, write_raw_omniglot

# 2 alphabets, 8 characters, 20 drawers each: the conversion, split and sampler all run for real.
LAYOUT = {"background": {"Aa": {f"character{i:02d}": i for i in (1, 2, 3, 4)}},
          "evaluation": {"Bb": {f"character{i - 4:02d}": i for i in (5, 6, 7, 8)}}}
S, L = 60, 5


def overrides(tmp_path, *extra):
    """A family of 2 × 2 Transformers on the tiny Omniglot under tmp_path/data, every output under tmp_path."""
    return with_overrides(
        ["+exp=omniglot", f"data.root={tmp_path / 'data'}", "data.allow_download=false", *outputs_in(tmp_path),
         "data.alphabets=null", "model.n_classes=8", "data.image_size=12", f"data.test_sequences={S}",
         "family.scales=[2,16]", "seeds=[0,1]", "train.epochs=2", "train.steps_per_epoch=40", "train.batch_size=16",
         "metrics.lengths=[1,3,5]"], extra)


def write_data(tmp_path):
    write_raw_omniglot(tmp_path / "data" / "omniglot-py", LAYOUT, drawers=range(1, 21))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """The family trained once by the real command, in its own process (the sequence kind's
    end-to-end run): (tmp folder, its log)."""
    tmp_path = tmp_path_factory.mktemp("omniglot_e2e")
    write_data(tmp_path)
    first = run_in_subprocess("toyemerge.train", *overrides(tmp_path))
    return tmp_path, first.out + first.err


@pytest.mark.slow
def test_train_exports_sequence_outputs_and_resumes(trained, cli):
    tmp_path, log = trained
    assert "4 to train" in log
    exp = tmp_path / "experiments" / "omniglot"
    runs = read_csv(exp / "runs.csv")
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

    results = read_csv(exp / "results.csv")
    metrics = {(r["metric"], r["param"]) for r in results}
    assert {("accuracy", ""), ("cross_entropy", ""), ("all_correct", "5"), ("edit_distance", "3")} <= metrics
    assert len(results) == 4 * (2 + 2 * 3)
    acc = {r["run_id"]: float(r["value"]) for r in results if r["metric"] == "accuracy"}
    assert min(acc[r["run_id"]] for r in runs if r["width"] == "16") > 0.5  # the bars are learnable
    for name in ("accuracy", "all_correct", "edit_distance", "cross_entropy", "all_correct_vs_accuracy"):
        assert (tmp_path / "figures" / f"omniglot_{name}.png").stat().st_size > 1000

    second = cli("toyemerge.train", *overrides(tmp_path))
    assert second.status == 0, second.err
    assert "0 to train" in second.out + second.err
    assert read_csv(exp / "runs.csv") == runs


@pytest.mark.slow
def test_figures_rescore_other_lengths_without_torch(trained):
    tmp_path, _ = trained
    exp = tmp_path / "experiments" / "omniglot"
    ran = run_without_torch("toyemerge.figures", *overrides(tmp_path, "metrics.lengths=[2,4]"))
    assert ran.status == 0, ran.err
    params = {r["param"] for r in read_csv(exp / "results.csv") if r["metric"] == "all_correct"}
    assert params == {"2", "4"}


def test_wrong_class_count_is_one_clear_error(tmp_path, cli):
    write_data(tmp_path)
    ran = cli("toyemerge.train", *overrides(tmp_path, "model.n_classes=9", "export=false"))
    assert ran.status == 2 and ran.err.count("\n") == 1 and "model.n_classes=8" in ran.err
