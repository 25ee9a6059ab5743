"""Seeded simulated model families in the experiment export's output formats (test helper)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from toyemerge.analysis.family import Run, prepare

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
