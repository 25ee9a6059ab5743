"""Run store: hash-named folders, marker written last, half-written runs never read."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from toyemerge.store import MARKER, RunStore, remove_stale_temps, run_hash, sha256_file


def save_one(store, run_id="r1"):
    return store.save(run_id, {"seed": 0}, {"n_params": 3}, {"target": np.arange(4), "pred": np.arange(4)})


def test_run_hash_ignores_key_order_and_sees_values():
    assert run_hash({"a": 1, "b": [1, 2]}) == run_hash({"b": [1, 2], "a": 1})
    assert run_hash({"a": 1}) != run_hash({"a": 2})
    assert len(run_hash({})) == 10


def test_saved_run_is_complete_and_readable(tmp_path):
    store = RunStore(tmp_path)
    run_dir = save_one(store)
    assert store.is_complete("r1")
    assert sorted(p.name for p in run_dir.iterdir()) == sorted([MARKER, "config.json", "metrics.json", "outputs.npz"])
    assert store.load_metrics("r1") == {"n_params": 3}
    assert json.loads((run_dir / MARKER).read_text())["sha256"] == {
        name: sha256_file(run_dir / name) for name in ("config.json", "metrics.json", "outputs.npz")}
    with np.load(store.outputs_path("r1"), allow_pickle=False) as f:
        np.testing.assert_array_equal(f["pred"], np.arange(4))
    assert not list(tmp_path.rglob("*.tmp"))


def test_run_without_marker_is_never_read(tmp_path):
    store = RunStore(tmp_path)
    save_one(store)
    (tmp_path / "r1" / MARKER).unlink()  # as if killed before the marker was written
    assert not store.is_complete("r1")
    with pytest.raises(FileNotFoundError, match="not complete"):
        store.load_metrics("r1")
    with pytest.raises(FileNotFoundError):
        store.outputs_path("r1")


def test_resaving_overwrites_a_half_written_run(tmp_path):
    store = RunStore(tmp_path)
    (tmp_path / "r1").mkdir()
    (tmp_path / "r1" / "outputs.npz").write_bytes(b"half")
    save_one(store)
    assert store.is_complete("r1")
    with np.load(store.outputs_path("r1"), allow_pickle=False) as f:
        assert f["target"].shape == (4,)


def test_marker_is_written_last(tmp_path, monkeypatch):
    """The marker is the last file written into the run's temporary folder, for complete and failed runs."""
    import toyemerge.store as store_module

    written, real = [], store_module.write_atomic
    monkeypatch.setattr(store_module, "write_atomic", lambda path, data: written.append(path.name) or real(path, data))
    save_one(RunStore(tmp_path))
    RunStore(tmp_path).save_failed("r2", {"seed": 0}, "loss became nan")
    assert written == ["config.json", "metrics.json", "outputs.npz", MARKER, "config.json", "FAILED"]


@pytest.mark.parametrize("name", ["config.json", "metrics.json", "outputs.npz", MARKER])
@pytest.mark.parametrize("how", ["truncated", "changed", "removed"])
def test_a_damaged_file_of_any_kind_makes_the_run_corrupt(tmp_path, name, how):
    store = RunStore(tmp_path)
    save_one(store)
    path = tmp_path / "r1" / name
    if how == "truncated":
        path.write_bytes(path.read_bytes()[:-3])
    elif how == "changed":
        path.write_bytes(path.read_bytes().replace(b"3", b"4", 1) if b"3" in path.read_bytes() else b"x")
    else:
        path.unlink()
    expected = "missing" if (name == MARKER and how == "removed") else "corrupt"
    assert store.status("r1") == expected
    with pytest.raises(FileNotFoundError):
        store.load_metrics("r1")


@pytest.mark.parametrize("name", ["config.json", "FAILED"])
def test_a_damaged_failure_record_makes_the_run_corrupt(tmp_path, name):
    store = RunStore(tmp_path)
    store.save_failed("r1", {"seed": 0}, "loss became nan", {"n_params": 7})
    assert store.status("r1") == "failed" and store.failure("r1")["reason"] == "loss became nan"
    path = tmp_path / "r1" / name
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    assert store.status("r1") == "corrupt"
    with pytest.raises(FileNotFoundError):
        store.failure("r1")


def test_stale_temporaries_are_removed_only_when_this_host_wrote_them(tmp_path):
    """Launcher jobs on several machines share a store: a PID from another host says nothing here."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()
    host = socket.gethostname()
    names = {f".tmp-lenet-width1-s0-abc@{host}-{dead}": False,  # this host, writer dead: removed
             f".tmp-lenet-width1-s0-abc-{dead}": False,  # written before temporaries named their host
             f".tmp-lenet-width2-s0-abc@{host}-{os.getpid()}": True,  # this host, writer alive
             f".tmp-lenet-width4-s0-abc@other-node-7-{dead}": True}  # another host: its PID means nothing here
    for name in names:
        (tmp_path / name).mkdir()
    assert remove_stale_temps(tmp_path) == 2
    assert {name: (tmp_path / name).exists() for name in names} == names


def test_a_run_is_assembled_in_a_temporary_named_by_host_and_pid(tmp_path, monkeypatch):
    seen, rename = [], os.rename
    monkeypatch.setattr(os, "rename", lambda src, dst: seen.append(Path(src).name) or rename(src, dst))
    save_one(RunStore(tmp_path))
    assert seen == [f".tmp-r1@{socket.gethostname()}-{os.getpid()}"]
