"""Exports only add: they never delete or overwrite a result the store does not hold, refuse with one
line before anything is written, and keep every artifact of the export consistent."""

import shutil

import numpy as np
import pytest

import toyemerge.training.export
from devtools.synthetic import write_synthetic_mnist
from tests.helpers import compose, folder_bytes, read_csv, tiny_family, write_tiny_mnist
from toyemerge.errors import ToyemergeError
from toyemerge.explorer import page
from toyemerge.export import export_and_rebuild
from toyemerge.metrics.classification import accuracy
from toyemerge.store import RunStore
from toyemerge.train import run as train_family


def read_runs(tmp_path):
    return read_csv(tmp_path / "experiments/mnist/runs.csv")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A 2-model family trained and exported once: (tmp folder, data root, a copy of the export)."""
    tmp_path = tmp_path_factory.mktemp("export")
    data = write_tiny_mnist(tmp_path)
    train_family(compose(*tiny_family(tmp_path, data)))
    shutil.copytree(tmp_path / "experiments", tmp_path / "pristine")
    return tmp_path, data


@pytest.fixture
def fresh_clone(exported, tmp_path):
    """The export as a fresh clone has it: the committed folder, no run store."""
    src, data = exported
    shutil.copytree(src / "pristine", tmp_path / "experiments")
    return tmp_path, data


def test_export_from_an_empty_store_refuses_and_keeps_the_export(fresh_clone):
    tmp_path, data = fresh_clone
    before = folder_bytes(tmp_path / "experiments")
    with pytest.raises(ToyemergeError, match="holds no complete run of the 2 runs of mnist"):
        export_and_rebuild(compose(*tiny_family(tmp_path, data, f"store={tmp_path / 'rns'}")))
    assert folder_bytes(tmp_path / "experiments") == before


def test_one_retrained_run_is_added_and_the_others_are_kept(fresh_clone, caplog):
    tmp_path, data = fresh_clone
    before = {r["run_id"]: r for r in read_runs(tmp_path)}
    kept = next(r for r in before.values() if r["width"] == "2")
    kept_bytes = (tmp_path / f"experiments/mnist/outputs/{kept['run_id']}.npz").read_bytes()
    with caplog.at_level("INFO"):
        train_family(compose(*tiny_family(tmp_path, data, "scale=1", "seed=0")))
    after = {r["run_id"]: r for r in read_runs(tmp_path)}
    assert set(after) == set(before)  # the same family, nothing dropped
    assert after[kept["run_id"]] == kept  # kept as exported, row and file
    assert (tmp_path / f"experiments/mnist/outputs/{kept['run_id']}.npz").read_bytes() == kept_bytes
    assert "kept from the existing export: width=2 seed=0" in caplog.text
    assert "updated from the store: width=1 seed=0" in caplog.text


def test_another_configuration_is_refused_before_training(fresh_clone):
    tmp_path, data = fresh_clone
    before = folder_bytes(tmp_path / "experiments")
    with pytest.raises(ToyemergeError) as err:
        train_family(compose(*tiny_family(tmp_path, data, "train.epochs=2")))
    message = str(err.value)
    assert "another configuration" in message and "train.epochs: 1 there, 2 here" in message
    assert "experiment=mnist_<variant>" in message
    assert not (tmp_path / "runs").exists()  # refused before anything was trained
    assert folder_bytes(tmp_path / "experiments") == before


def test_other_data_is_another_configuration(fresh_clone):
    tmp_path, _ = fresh_clone
    other = write_synthetic_mnist(tmp_path / "other", n_train=512, n_test=200, seed=7)  # same format, other digits
    with pytest.raises(ToyemergeError, match="another configuration.*data.fingerprint"):
        train_family(compose(*tiny_family(tmp_path, other)))


def test_an_interrupted_export_leaves_the_old_one_whole(exported, tmp_path, monkeypatch):
    src, data = exported
    shutil.copytree(src / "runs", tmp_path / "runs")
    shutil.copytree(src / "pristine", tmp_path / "experiments")
    store = RunStore(tmp_path / "runs")
    run_id, other = (r["run_id"] for r in read_runs(tmp_path))
    shutil.rmtree(store.path(other))  # the store lacks one exported run: the export must keep it
    # ... and holds a different (retrained) version of the other: the export will copy it in.
    with np.load(store.outputs_path(run_id)) as f:
        outputs = {k: f[k] for k in f.files}
    outputs["pred"] = (outputs["pred"] + 1) % 10
    store.save(run_id, store.load_config(run_id), store.load_metrics(run_id), outputs)
    before_rows = (tmp_path / "experiments/mnist/runs.csv").read_bytes()

    def killed(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(toyemerge.training.export, "write_csv", killed)  # killed just before runs.csv is replaced
    with pytest.raises(KeyboardInterrupt):
        export_and_rebuild(compose(*tiny_family(tmp_path, data)))
    assert (tmp_path / "experiments/mnist/runs.csv").read_bytes() == before_rows
    for row in read_runs(tmp_path):  # every file the old index names is there and whole
        with np.load(tmp_path / f"experiments/mnist/outputs/{row['run_id']}.npz", allow_pickle=False) as f:
            assert f["pred"].shape == (200,)


def test_retrained_outputs_update_every_artifact(exported, tmp_path):
    """After a run is retrained to other outputs (another torch build, say), the export's tables and its
    explorer page agree with the new outputs: the README's commands compose."""
    src, data = exported
    shutil.copytree(src / "runs", tmp_path / "runs")
    shutil.copytree(src / "pristine", tmp_path / "experiments")
    store = RunStore(tmp_path / "runs")
    run_id = read_runs(tmp_path)[0]["run_id"]
    with np.load(store.outputs_path(run_id)) as f:
        outputs = {k: f[k] for k in f.files}
    outputs["pred"] = outputs["target"].copy()  # now every answer is right
    store.save(run_id, store.load_config(run_id), store.load_metrics(run_id), outputs)
    export_and_rebuild(compose(*tiny_family(tmp_path, data)))
    exp = tmp_path / "experiments/mnist"
    results = {(r["run_id"], r["metric"]): float(r["value"]) for r in read_csv(exp / "results.csv")
               if r["param"] == ""}
    assert results[(run_id, "accuracy")] == 1.0
    shown = page.read_data(exp / "explorer.html")
    index = [r["run_id"] for r in sorted(read_runs(tmp_path), key=lambda r: (int(r["n_params"]), int(r["seed"])))]
    assert shown["smooth"]["curves"][-1]["y"][index.index(run_id)] == 1.0
    for row in read_runs(tmp_path):
        with np.load(exp / "outputs" / f"{row['run_id']}.npz") as f:
            assert results[(row["run_id"], "accuracy")] == accuracy(f["target"], f["pred"])


@pytest.mark.parametrize("damage", ["truncated runs.csv", "garbled runs.csv", "missing runs.csv",
                                    "damaged output"])
def test_a_damaged_export_is_rebuilt_from_the_store_or_refused(exported, tmp_path, damage):
    src, data = exported
    shutil.copytree(src / "pristine", tmp_path / "experiments")
    exp = tmp_path / "experiments/mnist"
    rows = exp / "runs.csv"
    victim = sorted((exp / "outputs").glob("*.npz"))[0]
    if damage == "truncated runs.csv":
        rows.write_bytes(rows.read_bytes()[:-20])
    elif damage == "garbled runs.csv":
        rows.write_bytes(b"\xff\xfe" + rows.read_bytes()[5:])
    elif damage == "missing runs.csv":
        rows.unlink()
    else:
        victim.write_bytes(victim.read_bytes()[:100])
    before = folder_bytes(tmp_path / "experiments")
    # Without the store the export cannot know what it held: one line, nothing written.
    with pytest.raises(ToyemergeError) as err:
        export_and_rebuild(compose(*tiny_family(tmp_path, data, f"store={tmp_path / 'empty'}")))
    assert "restore it" in str(err.value) and "\n" not in str(err.value)
    assert folder_bytes(tmp_path / "experiments") == before
    # With the store that holds every exported run, the export is rebuilt whole.
    export_and_rebuild(compose(*tiny_family(tmp_path, data, f"store={src / 'runs'}")))
    assert folder_bytes(exp / "outputs") == folder_bytes(src / "pristine/mnist/outputs")
    assert [r["run_id"] for r in read_runs(tmp_path)] == [
        r["run_id"] for r in read_csv(src / "pristine/mnist/runs.csv")]
