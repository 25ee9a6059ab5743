"""Everything the tests share, in one place (the fixtures built on it are in conftest.py).

    Configs          compose, compose_with_hydra, tiny_training_config, analysis_settings
    Command lines    outputs_in, tiny_family, with_overrides
    Running a CLI    Ran, run_in_process (the `cli` fixture), run_in_subprocess, run_without_torch
    Reading results  read_csv, run_dirs, folder_bytes
    Synthetic data   write_tiny_mnist; simulated families (classifier_family, write_classifier_export, ...);
                     CIFAR-100 in the official format (synthetic_members, write_archive, ...);
                     raw Omniglot PNG folders (write_raw_omniglot)

Most checks of an entry point run it in this process (`cli`, seconds faster than a new Python). A
subprocess is kept where the process boundary is the point: torch must not be imported, a kill or
a signal, two sweeps sharing one store, Hydra's launchers, a second browser (playwright allows one
per thread), and one run of the real command per task kind. tests/README.md maps the test files.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import logging
import os
import pickle
import runpy
import signal
import struct
import subprocess
import sys
import tarfile
import warnings
from pathlib import Path
from typing import NamedTuple

import numpy as np

from devtools.synthetic import write_synthetic_mnist
from toyemerge.analysis.family import Run, prepare
from toyemerge.config import CONF_DIR
from toyemerge.config import compose as compose  # the one way the tests build a config (re-exported)

REPO = Path(__file__).resolve().parents[1]


# --- Configs ---------------------------------------------------------------------------------------


def compose_with_hydra(*overrides: str):
    """The config with its `hydra` node (launcher, sweeper, runtime choices), as a multirun sees it:
    what the `+launch=<preset>` tests need. Every other test uses `compose`."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    from toyemerge.launch import register_resolvers

    register_resolvers()  # the presets sweep over ${sweep_values:${family.scales}}
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return hydra_compose("config", overrides=list(overrides), return_hydra_config=True)


def tiny_training_config(data_root: Path, *overrides: str, exp: str = "mnist"):
    """An experiment's config on tiny data, one epoch of batches of 64: what a training test needs."""
    return compose(f"+exp={exp}", f"data.root={data_root}", "train.epochs=1", "train.batch_size=64", *overrides)


def analysis_settings(**changes):
    """The analysis settings of conf/config.yaml (toyemerge.analysis.tables.Settings), with `changes`."""
    from toyemerge.analysis.tables import Settings

    return dataclasses.replace(Settings.from_cfg(compose("+exp=mnist").analysis), **changes)


# --- Command lines ---------------------------------------------------------------------------------


def _key(override: str) -> str:
    return override.split("=", 1)[0].lstrip("+~")


def with_overrides(base: list[str], extra: tuple[str, ...] | list[str]) -> list[str]:
    """`base` with `extra` applied: an extra override replaces the one of the same key, in place;
    the others are appended."""
    merged = {_key(o): o for o in base}
    for o in extra:
        merged[_key(o)] = o
    return list(merged.values())


def outputs_in(tmp_path: Path) -> list[str]:
    """Overrides that put everything a command writes under tmp_path: the run store, the export, the
    figures and Hydra's log folder."""
    return [f"store={tmp_path / 'runs'}", f"paths.experiments={tmp_path / 'experiments'}",
            f"paths.figures={tmp_path / 'figures'}", f"hydra.run.dir={tmp_path / 'logs'}"]


def tiny_family(tmp_path: Path, data_root: Path, *extra: str) -> list[str]:
    """Overrides of a tiny MNIST family: widths 1 and 2, seed 0, one epoch on tiny data, few resamples,
    every output under tmp_path. Each of `extra` replaces the default of its key (e.g. "seeds=[0,1]")."""
    return with_overrides(
        ["+exp=mnist", f"data.root={data_root}", "data.allow_download=false", *outputs_in(tmp_path),
         "family.scales=[1,2]", "seeds=[0]", "train.epochs=1", "train.batch_size=64", "metrics.subset_k=[1,2]",
         "analysis.bootstrap_resamples=20", "explore.bootstrap_resamples=20"], extra)


# --- Running an entry point ------------------------------------------------------------------------


class Ran(NamedTuple):
    """What a command left: its exit status and what it printed."""

    status: int
    out: str
    err: str


def _exit_status(code) -> int:
    if code is None:
        return 0
    return code if isinstance(code, int) else 1  # sys.exit("message") exits 1


@contextlib.contextmanager
def _process_state_kept():
    """Put back what an entry point changes in its process: sys.argv, the SIGTERM handler
    (toyemerge.errors.command) and the logging handlers Hydra installs for its run."""
    argv, sigterm = sys.argv, signal.getsignal(signal.SIGTERM)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    loggers = {name: (lg.handlers[:], lg.level, lg.propagate, lg.disabled)
               for name, lg in logging.Logger.manager.loggerDict.items() if isinstance(lg, logging.Logger)}
    try:
        yield
    finally:
        for handler in root.handlers:
            if handler not in handlers:
                handler.close()  # Hydra's <job>.log file handler
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, (lg_handlers, lg_level, propagate, disabled) in loggers.items():
            lg = logging.getLogger(name)
            lg.handlers[:], lg.level, lg.propagate, lg.disabled = lg_handlers, lg_level, propagate, disabled
        signal.signal(signal.SIGTERM, sigterm)
        sys.argv = argv


def run_in_process(module: str, *args: str, capture) -> Ran:
    """`python -m <module> <args>` run in this process, as a user would run it.

    Runs the module as `__main__` with sys.argv set, as `python -m` does, so its `main()`
    (`command(hydra_main)`) parses sys.argv; Hydra clears its global state when it ends, so runs can
    follow each other. (Calling the imported module's `main()` would not do: Hydra then looks for the
    configs as the package toyemerge.conf, which has no __init__.py.) `capture` is pytest's capsys:
    what the command printed is returned, not what came before. The exit status is SystemExit's code,
    0 when it returns."""
    capture.readouterr()
    with _process_state_kept(), warnings.catch_warnings():
        # runpy warns when the module was imported before (by another test): `python -m` starts afresh
        warnings.filterwarnings("ignore", message=".*found in sys.modules", category=RuntimeWarning)
        sys.argv = [module, *args]  # runpy puts the module's file in sys.argv[0], as python -m does
        try:
            runpy.run_module(module, run_name="__main__", alter_sys=True)
            status = 0
        except SystemExit as stop:
            status = _exit_status(stop.code)
    out, err = capture.readouterr()
    return Ran(status, out, err)


def _child_env(env: dict | None) -> dict:
    # One torch thread: the tiny models gain nothing from more, and threads that spin-wait for a
    # busy core make them many times slower.
    return {**os.environ, "OMP_NUM_THREADS": "1", **(env or {})}


def run_in_subprocess(module: str, *args: str, check: bool = True, env: dict | None = None) -> Ran:
    """`python -m <module> <args>` in a new Python process, from the repository root.

    With check=True (the default) a non-zero exit fails the test, showing what it printed."""
    proc = subprocess.run([sys.executable, "-m", module, *args], cwd=REPO, capture_output=True, text=True,
                          env=_child_env(env), timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"{module} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return Ran(proc.returncode, proc.stdout, proc.stderr)


def run_without_torch(module: str, *args: str) -> Ran:
    """`python -m <module> <args>` in a new process, which fails if the command imported torch
    (the layering rule: figures, explore and export never need it)."""
    code = ("import sys, runpy; sys.argv = sys.argv[1:]; "
            f"runpy.run_module('{module}', run_name='__main__'); "
            f"assert 'torch' not in sys.modules, '{module} imported torch'")
    proc = subprocess.run([sys.executable, "-c", code, module, *args], cwd=REPO, capture_output=True, text=True,
                          env=_child_env(None), timeout=600)
    return Ran(proc.returncode, proc.stdout, proc.stderr)


# --- Reading what a command wrote ------------------------------------------------------------------


def write_csv(path: Path, header: list[str], rows: list[list]) -> Path:
    """A CSV file of a header and rows, written with the csv module (a rescore input)."""
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run_rescore(args, capsys) -> tuple[int, object]:
    """rescore's main() on these arguments, in this process: its exit status and what it printed."""
    from toyemerge.rescore import cli

    code = cli.main([str(a) for a in args])
    return code, capsys.readouterr()


def read_csv(path: Path) -> list[dict]:
    """The rows of a CSV file as dicts (read with the csv module, independently of toyemerge.io)."""
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def run_dirs(store: Path) -> list[Path]:
    """The run folders of a run store (dot-folders such as .locks and .tmp-* are not runs)."""
    store = Path(store)
    return [p for p in store.iterdir() if not p.name.startswith(".")] if store.is_dir() else []


def folder_bytes(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (relative path → bytes): to check that a command left it untouched."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(Path(folder).rglob("*")) if p.is_file()}


# --- Synthetic MNIST -------------------------------------------------------------------------------


def write_tiny_mnist(tmp_path: Path) -> Path:
    """tmp_path/data: raw MNIST IDX files (gzipped) of 512 train and 200 test synthetic digits."""
    return write_synthetic_mnist(tmp_path / "data", n_train=512, n_test=200)


# --- Simulated model families, in the export's output formats ---------------------------------------

SCALES = np.geomspace(1e2, 1e6, 11).astype(int)
ALPHA, C = -0.5, 30.0  # per-item loss ℓ(N) = (N / C)^ALPHA, p(correct) = exp(−ℓ)


def true_accuracy(n_params, alpha=ALPHA, c=C):
    return np.exp(-((np.asarray(n_params, dtype=float) / c) ** alpha))


def classifier_outputs(acc: float, n: int, rng: np.random.Generator, classes: int = 10) -> dict:
    """target/pred/p_target/probs with each item right independently with probability acc."""
    target = rng.integers(0, classes, n)
    correct = rng.random(n) < acc
    pred = np.where(correct, target, (target + 1) % classes)
    p_true = np.where(correct, rng.uniform(0.5, 1.0, n), rng.uniform(0.0, 0.5, n))
    probs = np.zeros((n, classes))
    probs[np.arange(n), target] = p_true
    probs[np.arange(n), (target + 1) % classes] = 1 - p_true
    return {"target": target, "pred": pred, "p_target": p_true.astype(np.float32), "probs": probs.astype(np.float16)}


def classifier_family(view, n: int = 2000, seeds=(0, 1), scales=SCALES, seed: int = 0) -> list[Run]:
    """A simulated classifier family following the paper's model (true_accuracy), prepared for `view`."""
    rng = np.random.default_rng(seed)
    runs = [Run(f"m{s}_{i}", int(x), s, view.units(classifier_outputs(true_accuracy(x), n, rng)))
            for s in seeds for i, x in enumerate(scales)]
    return prepare(runs, view)


def sequence_outputs(acc: float, s: int, length: int, rng: np.random.Generator) -> dict:
    target = rng.integers(0, 5, (s, length))
    correct = rng.random((s, length)) < acc
    pred = np.where(correct, target, (target + 1) % 5)
    p = np.where(correct, 0.8, 0.1).astype(np.float32)
    return {"target": target, "pred": pred, "p_target": p}


def reconstruction_outputs(mse: float, n: int, rng: np.random.Generator) -> dict:
    return {"sq_err": (mse * rng.lognormal(-0.125, 0.5, n)).astype(np.float32)}


def write_classifier_export(exp_dir, scales=SCALES[::2], seeds=(0, 1), n: int = 300, seed: int = 0) -> None:
    """An experiment folder in the export's format (runs.csv + outputs/<run_id>.npz) of a simulated
    classifier family, for the tools that read exports (figures, explore) without training."""
    exp_dir = Path(exp_dir)
    (exp_dir / "outputs").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    rows = []
    for s in seeds:
        for x in scales:
            run_id = f"toy-n{int(x)}-s{s}"
            np.savez(exp_dir / "outputs" / f"{run_id}.npz", **classifier_outputs(true_accuracy(x), n, rng))
            rows.append({"run_id": run_id, "exp": exp_dir.name, "n_params": int(x), "seed": s, "status": "complete"})
    with open(exp_dir / "runs.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


# --- Tiny synthetic CIFAR-100 in the official "python version" format --------------------------------
# Written byte for byte as the official Python 2 files are: protocol-2 pickles whose strings are py2
# `str` (BINSTRING opcodes) and whose arrays name numpy.core.multiarray._reconstruct.


class Py2Pickler(pickle._Pickler):
    """Python's pure pickler, writing bytes as Python 2 `str` and numpy's module as numpy.core."""

    dispatch = pickle._Pickler.dispatch.copy()

    def save_bytes(self, obj: bytes) -> None:
        n = len(obj)
        if n < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([n]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", n) + obj)
        self.memoize(obj)

    dispatch[bytes] = save_bytes

    def save_str(self, obj: str) -> None:  # Python 2 had no text type in these files: str is bytes
        self.save_bytes(obj.encode("latin1"))

    dispatch[str] = save_str

    def save_global(self, obj, name=None) -> None:
        module = getattr(obj, "__module__", None) or "builtins"
        module = module.replace("numpy._core", "numpy.core")
        if module == "numpy.core.multiarray" or obj is np.ndarray or obj is np.dtype:
            module = "numpy.core.multiarray" if obj not in (np.ndarray, np.dtype) else "numpy"
        self.write(pickle.GLOBAL + f"{module}\n{name or obj.__qualname__}\n".encode())
        self.memoize(obj)


def py2_pickle(obj) -> bytes:
    buf = io.BytesIO()
    Py2Pickler(buf, protocol=2).dump(obj)
    return buf.getvalue()


def synthetic_split(n: int, seed: int) -> dict:
    """n random CIFAR-like images: smooth colour blobs (learnable), rows of 3072 R, G, B planes."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:32, 0:32] / 31.0
    images = []
    for _ in range(n):
        a, b, c = rng.uniform(0, 1, 3)
        planes = [255 * np.clip(a * xx + (1 - a) * yy * c + rng.normal(0, 0.02, (32, 32)) + k * b / 3, 0, 1)
                  for k in range(3)]
        images.append(np.stack(planes).astype(np.uint8).reshape(-1))
    return {b"batch_label": b"synthetic", b"filenames": [f"img_{i}.png".encode() for i in range(n)],
            b"fine_labels": rng.integers(0, 100, n).tolist(), b"coarse_labels": rng.integers(0, 20, n).tolist(),
            b"data": np.stack(images)}


def synthetic_members(n_train: int = 64, n_test: int = 16) -> dict[str, bytes]:
    """The three members of the official folder (train, test, meta) as bytes."""
    meta = {b"fine_label_names": [f"fine{i}".encode() for i in range(100)],
            b"coarse_label_names": [f"coarse{i}".encode() for i in range(20)]}
    return {"train": py2_pickle(synthetic_split(n_train, 0)), "test": py2_pickle(synthetic_split(n_test, 1)),
            "meta": py2_pickle(meta)}


def write_folder(root: Path, members: dict[str, bytes]) -> Path:
    """root/cifar-100-python/<member>, as the official archive unpacks."""
    folder = root / "cifar-100-python"
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in members.items():
        (folder / name).write_bytes(data)
    return folder


def write_archive(root: Path, members: dict[str, bytes]) -> Path:
    """root/cifar-100-python.tar.gz, the official archive's layout."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / "cifar-100-python.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(f"cifar-100-python/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


# --- Tiny raw Omniglot (PNG folders as the official zips unpack) --------------------------------------

# Two tiny splits: alphabet → {character folder: global char_id}; drawers 1-3 per character.
OMNIGLOT_LAYOUT = {
    "background": {"Beta_(b)": {"character02": 3, "character01": 2}, "Alpha": {"character01": 1}},
    "evaluation": {"Gamma": {"character01": 4}},
}
OMNIGLOT_DRAWERS = (1, 2, 3)


def omniglot_drawing(char_id: int, drawer: int) -> np.ndarray:
    """A 105×105 0/1 image (1 = background) that encodes its char_id and drawer: a bar and a dot."""
    x = np.ones((105, 105), np.uint8)
    x[10 * char_id: 10 * char_id + 5, 5:100] = 0
    x[90:95, 20 * (drawer % 5): 20 * (drawer % 5) + 5] = 0
    return x


def write_raw_omniglot(base: Path, layout=OMNIGLOT_LAYOUT, drawers=OMNIGLOT_DRAWERS) -> None:
    """images_<split>/<alphabet>/<character>/<NNNN_DD>.png as the official zips unpack, 1-bit PNGs."""
    from PIL import Image

    for split, alphabets in layout.items():
        for alphabet, characters in alphabets.items():
            for character, char_id in characters.items():
                folder = base / f"images_{split}" / alphabet / character
                folder.mkdir(parents=True)
                for drawer in drawers:
                    image = Image.fromarray(omniglot_drawing(char_id, drawer) * 255).convert("1")
                    image.save(folder / f"{char_id:04d}_{drawer:02d}.png")
