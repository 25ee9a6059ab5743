"""Write examples/toy_curves.csv: the committed toy experiments' scores as an aggregate table (`--curves`).

    python examples/make_curves_example.py [OUT]   # from the repository root; OUT: default examples/toy_curves.csv

This project's own exports only, never a third party's data: every experiments/<exp>/results.csv
(one row per model × metric × metric parameter) becomes rows of task × family × metric × size:

    task              the experiment (mnist, mnist_lesson, omniglot, mnist_autoencoder, omniglot_autoencoder)
    family            the architecture and training seed ("lenet seed 0"): each seed's models are one family
    metric            results.csv's metric, with its parameter where it has one ("subset_accuracy K=5")
    n_params, value   as in results.csv
    n_examples        the test units the value is a mean over, read from the shape of the committed outputs:
                      test images (classifiers, autoencoders), images or sequences (sequence models), and
                      ⌊N/K⌋ disjoint groups for subset accuracy measured on groups
    higher_is_better  0 for cross-entropy, Brier score, edit distance and MSE, else 1

Like a BIG-bench results table, it pools many task curves per metric name: accuracy appears in
three tasks, the sharp metrics in one each (one row of the paper's Fig. 5 per metric).
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
EXPERIMENTS = ("mnist", "mnist_lesson", "omniglot", "mnist_autoencoder", "omniglot_autoencoder")
SYMBOL = {"subset_accuracy": "K", "subset_accuracy_sampled": "K", "all_correct": "L", "edit_distance": "L",
          "reconstruction": "c"}
LOWER_IS_BETTER = {"cross_entropy", "brier", "edit_distance", "mse"}
OUT = ROOT / "examples" / "toy_curves.csv"


def test_units(exp_dir: Path, run_id: str) -> tuple[int, int]:
    """(test images, images per sequence) of an experiment's committed outputs (every run shares them)."""
    with np.load(exp_dir / "outputs" / f"{run_id}.npz", allow_pickle=False) as out:
        shape = out["sq_err"].shape if "sq_err" in out.files else out["target"].shape
    return (shape[0], shape[1]) if len(shape) == 2 else (shape[0], 1)


def n_examples(metric: str, param: str, units: tuple[int, int]) -> int:
    n, length = units
    if metric == "subset_accuracy_sampled":
        return n // int(param)
    if length > 1 and metric in ("accuracy", "cross_entropy"):
        return n * length  # per image, over every position of every sequence
    return n


def main(out: Path = OUT) -> None:
    rows = []
    for exp in EXPERIMENTS:
        exp_dir = ROOT / "experiments" / exp
        with open(exp_dir / "results.csv", newline="") as f:
            results = list(csv.DictReader(f))
        units = test_units(exp_dir, results[0]["run_id"])
        for r in results:
            name = r["metric"] if not r["param"] else f"{r['metric']} {SYMBOL[r['metric']]}={r['param']}"
            rows.append([exp, f"{r['run_id'].split('-')[0]} seed {r['seed']}", r["n_params"], name, r["value"],
                         n_examples(r["metric"], r["param"], units), int(r["metric"] not in LOWER_IS_BETTER)])
    with open(out, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["task", "family", "n_params", "metric", "value", "n_examples", "higher_is_better"])
        writer.writerows(rows)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
