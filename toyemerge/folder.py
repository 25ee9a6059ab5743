"""The experiment folder contract: what experiments/<exp>/ holds, and reading it back checked.

    runs.csv              one row per trained model: run_id, exp, n_params, seed, the scale knob,
                          train_seconds, status (complete | failed), failure, outputs_sha256
    outputs/<run_id>.npz  the model's per-example test outputs (no pickles)
    results.csv           one row per model × metric × parameter: value, CI (toyemerge.rebuild)
    config.yaml           the resolved config: what was trained (export), how it is scored (rebuild)

Read by everything downstream of training (the analysis, the figures, the explorer page, rescore's
own tables), so a damaged file is one clear error here, never a shorter family or a wrong number.
Torch-free.
"""

from __future__ import annotations

import csv
import io
import math
import zipfile
from pathlib import Path

import numpy as np

from toyemerge.errors import ToyemergeError
from toyemerge.io import read_csv, sha256_file

RUNS_COLUMNS_FIRST = ["run_id", "exp", "n_params", "seed"]  # then the scale knob, then RUNS_COLUMNS_LAST
RUNS_COLUMNS_LAST = ["train_seconds", "status", "failure", "outputs_sha256"]
RESULTS_COLUMNS = ["run_id", "n_params", "seed", "metric", "param", "value", "ci_low", "ci_high"]


def experiment_dir(cfg) -> Path:
    """experiments/<exp>/ of a composed config (paths.experiments / experiment)."""
    return Path(cfg.paths.experiments) / cfg.experiment


class ExportDamaged(ToyemergeError):
    """A file of an experiment export is unreadable, truncated, or not the one runs.csv records."""


def restore_hint(path: Path) -> str:
    return (f"restore it (git checkout -- {path}, if it is committed) or export it again from the run store "
            f"(python -m toyemerge.export +exp=<name>; finished runs are never retrained)")


def load_outputs(path: Path, sha256: str | None = None) -> dict[str, np.ndarray]:
    """A run's saved outputs; an unreadable file, or one whose sha256 is not the one `runs.csv` records,
    is one clear error naming it and the fix."""
    if sha256 and path.is_file() and sha256_file(path) != sha256:
        raise ExportDamaged(f"{path} is not the file runs.csv records (its sha256 differs): it was damaged or "
                            f"replaced; {restore_hint(path)}.")
    try:
        with np.load(path, allow_pickle=False) as f:
            return {name: f[name] for name in f.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
        raise ExportDamaged(
            f"{path} is missing or unreadable ({type(e).__name__}: {e}). Fix: export it again from the run "
            f"store with `python -m toyemerge.train +exp=<name>` (finished runs are not retrained)."
        ) from None


def read_runs(exp_dir: Path) -> list[dict]:
    """The rows of exp_dir/runs.csv, checked: a truncated or garbled file is one clear error, never a
    shorter family. Rows written before runs.csv recorded `status` count as complete."""
    path = Path(exp_dir) / "runs.csv"
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise ExportDamaged(f"{path} is damaged (not UTF-8 text: {e.reason}); {restore_hint(path)}.") from None
    rows = list(csv.DictReader(io.StringIO(text)))
    header = text.split("\n", 1)[0].split(",")
    why = None
    if not text.endswith("\n"):
        why = "it ends in the middle of a line: truncated"
    elif missing := [c for c in RUNS_COLUMNS_FIRST if c not in header]:
        why = f"no column {missing[0]}"
    else:
        for line, row in enumerate(rows, start=2):
            if None in row or None in row.values():
                why = f"line {line} does not have the header's {len(header)} fields"
            elif not row["run_id"] or row.get("status", "complete") not in ("complete", "failed") \
                    or not row["seed"].lstrip("-").isdigit():
                why = f"line {line} is not a run"
            if why:
                break
    if why:
        raise ExportDamaged(f"{path} is damaged ({why}); {restore_hint(path)}.")
    return rows


def completed_runs(exp_dir: Path) -> list[dict]:
    """Rows of exp_dir/runs.csv for runs that finished (failed runs have no outputs)."""
    return [r for r in read_runs(exp_dir) if r.get("status", "complete") == "complete"]


def failed_runs(exp_dir: Path) -> list[dict]:
    return [r for r in read_runs(exp_dir) if r.get("status") == "failed"]


def parse_param(text: str) -> int | float | None:
    """A metric parameter cell: K and L are ints, a cutoff c is a float, empty means none."""
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        return float(text)


def read_results(path: Path) -> list[dict]:
    """results.csv with typed values: param is an int, a float or None; CIs are floats or NaN."""
    rows = []
    for row in read_csv(path):
        rows.append({
            "run_id": row["run_id"], "n_params": int(row["n_params"]), "seed": int(row["seed"]),
            "metric": row["metric"], "param": parse_param(row["param"]),
            "value": float(row["value"]),
            "ci_low": float(row["ci_low"]) if row.get("ci_low") else math.nan,
            "ci_high": float(row["ci_high"]) if row.get("ci_high") else math.nan,
        })
    return rows
