"""A model family as the analysis sees it: one `Run` per trained model, with its per-unit arrays.

Reads the experiment folder (runs.csv + outputs/<run_id>.npz, toyemerge.folder), or any list of
(model, n_params, outputs) such as the rescore CLI builds from a CSV.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from toyemerge.folder import completed_runs, load_outputs
from toyemerge.io import sha256_file


@dataclass
class Run:
    run_id: str
    n_params: int
    seed: int
    units: dict[str, np.ndarray]
    digest: str | None = None  # sha256 of the saved outputs: the key of cached bootstrap CIs


def load_family(exp_dir: Path, kind) -> list[Run]:
    """Every completed run of exp_dir/runs.csv with the task kind's units of its saved outputs."""
    runs = []
    for row in completed_runs(exp_dir):  # failed runs have no outputs
        path = exp_dir / "outputs" / f"{row['run_id']}.npz"
        outputs = load_outputs(path, row.get("outputs_sha256"))
        runs.append(Run(row["run_id"], int(row["n_params"]), int(row["seed"]), kind.units(outputs), sha256_file(path)))
    return prepare(runs, kind)


def prepare(runs: list[Run], kind) -> list[Run]:
    """Sort by (scale, seed), check the family is one, and let the task kind fit family-wide state."""
    if len({r.n_params for r in runs}) < 2:
        raise ValueError(f"a family needs models of at least 2 sizes, got {len(runs)} model(s) of "
                         f"{len({r.n_params for r in runs})} size(s)")
    runs = sorted(runs, key=lambda r: (r.n_params, r.seed))
    kind.fit_shape([r.units for r in runs])
    return runs


def scales(runs: list[Run]) -> np.ndarray:
    """Sorted unique parameter counts of the family."""
    return np.unique([r.n_params for r in runs])
