"""Sweeps that survive kills, share a store, and meet each user mistake with one clear message."""

import errno
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import toyemerge.config
import toyemerge.store
import toyemerge.train
import toyemerge.training.sweep
from devtools import chaos
from tests.helpers import REPO, compose, read_csv, run_dirs, tiny_family, write_tiny_mnist
from toyemerge.errors import Interrupted, Terminated, user_errors
from toyemerge.store import RunStore
from toyemerge.training.fit import NonFiniteLossError


def sweep_overrides(tmp_path, data_root, *extra):
    """Widths 1 and 21 (371 and 139,471 parameters), seed 0: a tiny family whose larger run can be made to diverge."""
    return tiny_family(tmp_path, data_root, "family.scales=[1,21]", *extra)


def compose_cfg(tmp_path, data_root, *extra):
    return compose(*sweep_overrides(tmp_path, data_root, *extra))


@pytest.fixture
def diverge_at(monkeypatch):
    """Make the run whose progress label contains `label` hit a NaN loss, as a diverging run would."""
    real_fit = toyemerge.training.sweep.fit
    calls = []

    def install(label):
        def fit(model, task, train_cfg, generator, desc=""):
            calls.append(desc)
            if label in desc:
                raise NonFiniteLossError("loss became nan at epoch 0, step 3")
            return real_fit(model, task, train_cfg, generator, desc)
        monkeypatch.setattr(toyemerge.training.sweep, "fit", fit)
        return calls
    return install


def test_diverged_run_is_recorded_the_sweep_goes_on_and_figures_mark_it(tmp_path, diverge_at):
    data = write_tiny_mnist(tmp_path)
    calls = diverge_at("width=21 seed=0")
    toyemerge.train.run(compose_cfg(tmp_path, data))
    runs = read_csv(tmp_path / "experiments/mnist/runs.csv")
    by_width = {r["width"]: r for r in runs}
    assert by_width["21"]["status"] == "failed" and "nan" in by_width["21"]["failure"]
    assert by_width["21"]["n_params"] == "139471"  # its size is known before it trains: (21, 42, 168, 21) LeNet
    assert by_width["1"]["status"] == "complete"
    results = read_csv(tmp_path / "experiments/mnist/results.csv")
    assert {r["run_id"] for r in results} == {by_width["1"]["run_id"]}
    assert (tmp_path / "figures/mnist_accuracy.png").is_file()

    calls.clear()
    toyemerge.train.run(compose_cfg(tmp_path, data))
    assert calls == []  # the failure is deterministic: not retried by default
    toyemerge.train.run(compose_cfg(tmp_path, data, "retry_failed=true"))
    assert len(calls) == 1
    assert RunStore(tmp_path / "runs").status(by_width["21"]["run_id"]) == "failed"


def test_no_space_left_leaves_no_run_and_says_so(tmp_path, monkeypatch, capsys):
    data = write_tiny_mnist(tmp_path)

    def full_disk(path, data):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))
    monkeypatch.setattr(toyemerge.store, "write_atomic", full_disk)
    with pytest.raises(SystemExit) as err, user_errors():
        toyemerge.train.run(compose_cfg(tmp_path, data))
    message = capsys.readouterr().err
    assert err.value.code == 2 and "No space left on device" in message and "disk is full" in message
    assert run_dirs(tmp_path / "runs") == []
    assert not any(p.name.startswith(".tmp-") for p in (tmp_path / "runs").iterdir())


def test_read_only_output_folder_fails_before_training(tmp_path, monkeypatch, diverge_at, capsys):
    data = write_tiny_mnist(tmp_path)
    calls = diverge_at("never")

    def read_only(*args, **kwargs):
        raise PermissionError(errno.EROFS, "Read-only file system")
    monkeypatch.setattr(toyemerge.config.tempfile, "mkstemp", read_only)
    with pytest.raises(SystemExit) as err, user_errors():
        toyemerge.train.run(compose_cfg(tmp_path, data))
    message = capsys.readouterr().err
    assert err.value.code == 2 and "cannot write to" in message and "Read-only file system" in message
    assert calls == [] and run_dirs(tmp_path / "runs") == []


@pytest.mark.slow
def test_corrupt_run_in_the_store_is_retrained(tmp_path, diverge_at):
    data = write_tiny_mnist(tmp_path)
    calls = diverge_at("never")
    toyemerge.train.run(compose_cfg(tmp_path, data))
    runs = read_csv(tmp_path / "experiments/mnist/runs.csv")
    victim = RunStore(tmp_path / "runs").path(runs[0]["run_id"]) / "outputs.npz"
    good = victim.read_bytes()
    victim.write_bytes(good[: len(good) // 2])
    assert RunStore(tmp_path / "runs").status(runs[0]["run_id"]) == "corrupt"
    calls.clear()
    toyemerge.train.run(compose_cfg(tmp_path, data))
    assert len(calls) == 1 and victim.read_bytes() == good  # retrained, bit for bit the same


@pytest.mark.parametrize("victim", ["config.json", "metrics.json", "COMPLETE", "FAILED"])
def test_a_damaged_run_is_named_in_a_warning_and_trained_again(tmp_path, diverge_at, caplog, victim):
    data = write_tiny_mnist(tmp_path)
    calls = diverge_at("width=21" if victim == "FAILED" else "never")
    toyemerge.train.run(compose_cfg(tmp_path, data, "export=false"))
    store = RunStore(tmp_path / "runs")
    run_dir = next(p for p in run_dirs(tmp_path / "runs") if (p / victim).is_file())
    (run_dir / victim).write_bytes((run_dir / victim).read_bytes()[:7])  # truncated mid-JSON
    calls.clear()
    with caplog.at_level("WARNING"):
        toyemerge.train.run(compose_cfg(tmp_path, data, "export=false"))
    assert f"run {run_dir.name} is damaged" in caplog.text and "training it again" in caplog.text
    assert len(calls) == 1 and store.status(run_dir.name) == ("failed" if victim == "FAILED" else "complete")


@pytest.mark.parametrize("case", ["missing", "corrupt", "wrong_dtype", "zero_width", "negative_width",
                                  "non_integer_width", "k_too_large", "store_is_a_file", "corrupt_export"])
def test_each_mistake_is_one_clear_message_and_an_untouched_store(tmp_path, cli, case):
    data = tmp_path / "data"
    data.mkdir()
    extra, expected, module = [], None, "toyemerge.train"
    if case == "missing":
        expected = ["error: mnist.npz not found under the data root", str(data), "TOYEMERGE_DATA"]
    elif case == "corrupt":
        (data / "mnist.npz").write_bytes(b"PK\x03\x04 truncated")
        expected = ["error:", "mnist.npz is not a readable .npz file"]
    elif case == "wrong_dtype":
        np.savez(data / "mnist.npz", x_train=np.zeros((2, 28, 28), np.float64), y_train=np.zeros(2, np.int64),
                 x_test=np.zeros((1, 28, 28), np.uint8), y_test=np.zeros(1, np.int64))
        expected = ["error:", "'x_train' is float64", "expected uint8"]
    elif case in ("zero_width", "negative_width", "non_integer_width"):
        write_tiny_mnist(tmp_path)
        value = {"zero_width": "0", "negative_width": "-3", "non_integer_width": "2.5"}[case]
        extra, expected = [f"scale={value}"], [f"error: scale = {value} is not allowed", "an integer ≥ 1"]
    elif case == "k_too_large":
        write_tiny_mnist(tmp_path)
        extra, expected = ["metrics.subset_k=[1,500]"], ["error: K = 500 is larger than the test set (200 examples)"]
    elif case == "store_is_a_file":
        write_tiny_mnist(tmp_path)
        (tmp_path / "afile").write_text("")
        extra, expected = [f"store={tmp_path / 'afile' / 'runs'}"], ["error: cannot write to", "afile"]
    elif case == "corrupt_export":
        write_tiny_mnist(tmp_path)
        assert cli("toyemerge.train", *sweep_overrides(tmp_path, data)).status == 0
        victim = next((tmp_path / "experiments/mnist/outputs").glob("*.npz"))
        victim.write_bytes(b"garbage")
        module, expected = "toyemerge.figures", ["error:", victim.name, "damaged or replaced", "export it again"]
    before = sorted(p.name for p in run_dirs(tmp_path / "runs"))
    ran = cli(module, *sweep_overrides(tmp_path, data, *extra))
    assert ran.status == 2
    for text in expected:
        assert text in ran.err, ran.err
    assert "Traceback" not in ran.err
    assert ran.err.count("error:") == 1 and ran.err.count("\n") == 1
    if case != "store_is_a_file":
        assert sorted(p.name for p in run_dirs(tmp_path / "runs")) == before  # nothing half-made was left


def test_lock_of_a_killed_holder_is_released(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import time
        from toyemerge.store import RunStore
        with RunStore({str(tmp_path)!r}).lock("r1") as held:
            print("held" if held else "busy", flush=True)
            time.sleep(60)
    """)], cwd=REPO, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    store = RunStore(tmp_path)
    with store.lock("r1") as held:
        assert not held  # another live process holds it
    holder.kill()
    holder.wait()
    with store.lock("r1") as held:
        assert held  # the kernel released the dead holder's lock


@pytest.mark.slow
def test_two_sweeps_on_one_store_train_each_run_once(tmp_path):
    data = write_tiny_mnist(tmp_path)
    args = sweep_overrides(tmp_path, data, "family.scales=[1,2,4,8]", "seeds=[0,1]")
    procs = [subprocess.Popen([sys.executable, "-m", "toyemerge.train", *args, f"hydra.run.dir={tmp_path}/logs{i}"],
                              cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for i in range(2)]
    logs = [p.communicate(timeout=600)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], logs
    trained = [line for log in logs for line in log.splitlines() if "  params " in line]
    assert len(trained) == 8, trained  # every run exactly once across both sweeps
    store = RunStore(tmp_path / "runs")
    runs = read_csv(tmp_path / "experiments/mnist/runs.csv")
    assert len(runs) == 8 and all(store.is_complete(r["run_id"]) for r in runs)


@pytest.mark.slow
def test_kill_and_resume_small(tmp_path, capsys):
    assert chaos.main(["--kills", "3", "--damages", "3", "--workdir", str(tmp_path), "--scales", "[1,2]",
                       "--seeds", "[0]"]) == 0
    out = capsys.readouterr().out
    assert "kills: 3" in out and "0 lost" in out and "identical to the uninterrupted sweep: yes" in out


@pytest.mark.parametrize(("after_training", "says"), [
    (False, "0 of the 2 runs of this sweep are finished in"),
    (True, "2 of the 2 runs of this sweep are finished in")])
def test_an_interrupt_says_how_many_runs_are_kept_and_whether_any_was_dropped(tmp_path, monkeypatch,
                                                                               after_training, says):
    data = write_tiny_mnist(tmp_path)
    real_train_pending = toyemerge.training.sweep.train_pending

    def interrupted(*args):
        if after_training:
            real_train_pending(*args)  # every run is saved; then the SIGTERM comes, before the export
        raise Terminated()
    monkeypatch.setattr(toyemerge.training.sweep, "train_pending", interrupted)
    with pytest.raises(Interrupted) as stopped:
        toyemerge.train.run(compose_cfg(tmp_path, data))
    message = str(stopped.value)
    assert says in message and stopped.value.status == 143
    dropped = "what was being trained was dropped"
    assert (dropped not in message and "nothing was being trained; the export did not run" in message
            if after_training else dropped in message)
    assert not (tmp_path / "experiments" / "mnist" / "runs.csv").exists()  # no export of an interrupted sweep
