"""A sweep spread over worker processes trains the same runs, bit for bit, as one process does, and
stops at once, in one line, on Ctrl-C."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devtools.synthetic import write_synthetic_mnist

REPO = Path(__file__).resolve().parents[1]


def sweep(tmp_path: Path, data: Path, workers: int, *extra: str) -> list[str]:
    return [sys.executable, "-m", "toyemerge.train", "+exp=mnist", f"data.root={data}", "data.allow_download=false",
            f"store={tmp_path / 'runs'}", f"paths.experiments={tmp_path / 'experiments'}",
            f"paths.figures={tmp_path / 'figures'}", "family.scales=[1,2,4,8]", "seeds=[0,1]", "train.epochs=2",
            "train.batch_size=64", "compute.threads=1", f"compute.workers={workers}", "export=false",
            f"hydra.run.dir={tmp_path / 'logs'}", *extra]


def outputs(store: Path) -> dict[str, bytes]:
    return {p.parent.name: p.read_bytes() for p in store.glob("*/outputs.npz")}


@pytest.mark.slow
def test_workers_train_the_same_runs_as_one_process(tmp_path):
    data = write_synthetic_mnist(tmp_path / "data", n_train=512, n_test=200)
    one = subprocess.run(sweep(tmp_path / "one", data, 1), capture_output=True, text=True, cwd=REPO)
    two = subprocess.run(sweep(tmp_path / "two", data, 2), capture_output=True, text=True, cwd=REPO)
    assert one.returncode == 0 and two.returncode == 0, one.stderr + two.stderr
    assert "training in 2 worker processes of 1 thread(s) each" in two.stdout + two.stderr
    trained = [line for line in (two.stdout + two.stderr).splitlines() if "  params " in line]
    assert len(trained) == 8  # every model's line, printed by the main process
    first, second = outputs(tmp_path / "one" / "runs"), outputs(tmp_path / "two" / "runs")
    assert len(first) == 8 and first == second


def logged(tmp_path: Path, text: str) -> bool:
    log = tmp_path / "logs" / "train.log"
    return log.is_file() and text in log.read_text()


def workers_started(tmp_path: Path) -> bool:
    """The sweep has logged that it starts its workers (they are then still importing torch)."""
    return logged(tmp_path, "worker processes")


def both_workers_train(tmp_path: Path) -> bool:
    return len(list((tmp_path / "runs" / ".locks").glob("*.lock"))) >= 2


def one_worker_idle(tmp_path: Path) -> bool:
    """The small model is trained (its worker now waits for work that will not come); the large one trains."""
    return logged(tmp_path, "width=1 seed=0  params")


BUSY_AND_IDLE = ("family.scales=[1,64]", "seeds=[0]")  # one worker trains width 64 long after width 1 is done


@pytest.mark.slow
@pytest.mark.parametrize(("moment", "stop", "extra"), [
    (workers_started, signal.SIGINT, ()), (both_workers_train, signal.SIGINT, ()),
    (workers_started, signal.SIGTERM, ()), (one_worker_idle, signal.SIGTERM, BUSY_AND_IDLE)],
    ids=["ctrl-c-while-workers-start", "ctrl-c-mid-sweep", "sigterm-while-workers-start", "sigterm-one-worker-idle"])
def test_ctrl_c_or_sigterm_stops_the_workers_in_one_line(tmp_path, moment, stop, extra):
    """A terminal's Ctrl-C (or a scheduler's SIGTERM) goes to every process of the group, the workers
    included, whenever it comes: while they start, while they train, while one waits for work."""
    data = write_synthetic_mnist(tmp_path / "data", n_train=4096, n_test=200)
    proc = subprocess.Popen(sweep(tmp_path, data, 2, "train.epochs=20", *extra), cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not moment(tmp_path):
        time.sleep(0.02)
    os.killpg(proc.pid, stop)  # as a terminal's Ctrl-C: to the whole process group
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail(f"the sweep still runs 60 s after {stop.name}: {proc.communicate()[1]}")
    assert proc.returncode in ({signal.SIGINT: 130, signal.SIGTERM: 143}[stop], -stop), err
    assert len(err.splitlines()) == 1 and err.startswith("interrupted:"), err  # no worker's traceback or warning
    assert "Run the same command again to resume" in err
    for _ in range(50):  # no worker left running (multiprocessing's helper process may take a moment to exit)
        left = subprocess.run(["ps", "-s", str(proc.pid), "-o", "pid=,args="], capture_output=True, text=True).stdout
        if not left.strip():
            break
        time.sleep(0.1)
    assert not left.strip(), left
