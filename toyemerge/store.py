"""The run store: one folder per trained model, named by a hash of everything that determines it.

    runs/<run_id>/config.json    the resolved run config (task, data with its fingerprint, model, train, seed)
                  metrics.json   smooth metrics, parameter count, timings
                  outputs.npz    per-example test outputs (no pickles; byte-for-byte reproducible)
                  COMPLETE       written last; holds the sha256 of each file above
    runs/<run_id>/config.json    for a run that diverged instead:
                  FAILED         its reason, and the sha256 of config.json
    runs/.locks/<run_id>.lock    held (flock) by the process training that run

A run is assembled in a temporary folder (`.tmp-<run_id>@<host>-<pid>`) and renamed into place, so a
kill at any moment leaves either the finished run or nothing that is read. A folder is complete (or
failed) only when its marker (COMPLETE or FAILED) parses and every file it names has the hash it
records: a damaged or truncated file of any kind makes the run read as corrupt, and it is trained
again. A lock is released by the
kernel when its holder dies, so a killed sweep never leaves a run locked. Launcher jobs on several
machines may share one store: each removes only the temporaries of dead processes of its own host.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from toyemerge.io import npz_bytes, sha256_file, write_atomic

MARKER = "COMPLETE"
FAILED = "FAILED"
_HOST = socket.gethostname()  # a PID names a process only on its own host


def run_hash(run_config: dict) -> str:
    """A short, stable hash of a JSON-able run config (key order does not matter)."""
    blob = json.dumps(run_config, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()[:10]


def remove_stale_temps(folder: Path) -> int:
    """Remove temporaries (`.tmp-<run>@<host>-<pid>` folders, `.<name>.<pid>.tmp` files) left by dead writers.

    Temporaries carry their writer's PID, so those of a live sweep sharing the folder are kept; run
    folders also carry the writer's host, so a job never removes one that another machine is writing.
    """
    removed = 0
    for path in Path(folder).glob(".*"):
        pid = _temp_owner(path.name)
        if pid is not None and not _alive(pid):
            shutil.rmtree(path) if path.is_dir() else path.unlink()
            removed += 1
    return removed


def _temp_owner(name: str) -> int | None:
    """The PID of the local process that wrote a temporary; None if it is none or another host wrote it."""
    parts = name.rsplit("-", 1) if name.startswith(".tmp-") else name.rsplit(".", 2)
    if name.startswith(".tmp-") and len(parts) == 2 and parts[1].isdigit():
        host = parts[0].rpartition("@")[2] if "@" in parts[0] else _HOST
        return int(parts[1]) if host == _HOST else None
    if name.endswith(".tmp") and len(parts) == 3 and parts[1].isdigit():
        return int(parts[1])
    return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class RunStore:
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def path(self, run_id: str) -> Path:
        return self.root / run_id

    def status(self, run_id: str) -> str:
        """'complete', 'failed', 'corrupt' (a marker that does not parse, or a file that does not
        match the hash the marker records) or 'missing'."""
        run_dir = self.path(run_id)
        for marker, status, files in ((MARKER, "complete", RUN_FILES), (FAILED, "failed", FAILED_FILES)):
            if (run_dir / marker).is_file():
                return status if _marker_holds(run_dir, marker, files) is not None else "corrupt"
        return "missing"

    def is_complete(self, run_id: str) -> bool:
        return self.status(run_id) == "complete"

    def save(self, run_id: str, config: dict, metrics: dict, outputs: dict[str, np.ndarray]) -> Path:
        """Write a finished run: assembled aside, marker last, then renamed into place."""
        files = {"config.json": _json(config), "metrics.json": _json(metrics), "outputs.npz": npz_bytes(outputs)}
        files[MARKER] = _json({"sha256": _hashes(files)})
        return self._publish(run_id, files)

    def save_failed(self, run_id: str, config: dict, reason: str, details: dict | None = None) -> Path:
        """Record a run that could not finish (e.g. a non-finite loss), so sweeps and exports can say so."""
        files = {"config.json": _json(config)}
        files[FAILED] = _json({"reason": reason, **(details or {}), "sha256": _hashes(files)})
        return self._publish(run_id, files)

    def failure(self, run_id: str) -> dict:
        """The FAILED record of a run whose status is 'failed': its reason and details."""
        record = _marker_holds(self.path(run_id), FAILED, FAILED_FILES)
        if record is None:
            raise FileNotFoundError(f"run {run_id} has no intact FAILED record in the store {self.root}")
        return record

    def _publish(self, run_id: str, files: dict[str, bytes]) -> Path:
        final = self.path(run_id)
        tmp = self.root / f".tmp-{run_id}@{_HOST}-{os.getpid()}"
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir()
            for name, data in files.items():  # the marker is last in the dict, so written last
                write_atomic(tmp / name, data)
            if final.exists():  # a half-written or failed earlier attempt: we hold the run's lock
                shutil.rmtree(final)
            os.rename(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return final

    @contextlib.contextmanager
    def lock(self, run_id: str, wait: bool = False) -> Iterator[bool]:
        """Hold the run's lock for the `with` block; yields False if another process holds it.

        flock is released by the kernel when the holder exits or is killed, so a dead sweep never
        leaves a run locked. (Local file systems; on NFS use one store per node or a launcher.)
        """
        lock_dir = self.root / ".locks"
        lock_dir.mkdir(parents=True, exist_ok=True)
        with open(lock_dir / f"{run_id}.lock", "a+b") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def load_metrics(self, run_id: str) -> dict:
        self._require_complete(run_id)
        return json.loads((self.path(run_id) / "metrics.json").read_text())

    def load_config(self, run_id: str) -> dict:
        return json.loads((self.path(run_id) / "config.json").read_text())

    def outputs_path(self, run_id: str) -> Path:
        self._require_complete(run_id)
        return self.path(run_id) / "outputs.npz"

    def _require_complete(self, run_id: str) -> None:
        status = self.status(run_id)
        if status != "complete":
            raise FileNotFoundError(f"run {run_id} is not complete in the store {self.root} (it is {status})")


RUN_FILES = ("config.json", "metrics.json", "outputs.npz")  # what a COMPLETE marker vouches for
FAILED_FILES = ("config.json",)  # what a FAILED record vouches for


def _hashes(files: dict[str, bytes]) -> dict[str, str]:
    return {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}


def _marker_holds(run_dir: Path, marker: str, files: tuple[str, ...]) -> dict | None:
    """The parsed marker if it parses and every one of `files` has the sha256 it records, else None."""
    try:
        record = json.loads((run_dir / marker).read_text())
        hashes = record["sha256"]
        if sorted(hashes) != sorted(files):
            return None
        if any(hashes[name] != sha256_file(run_dir / name) for name in files):
            return None
        return record
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _json(obj) -> bytes:
    return json.dumps(obj, indent=2, sort_keys=True).encode()
