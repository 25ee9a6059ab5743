"""Suggest the cutoffs c of Reconstruction_c from an exported family: `python -m toyemerge.suggest_cutoffs +exp=...`.

Pools the per-image errors (`sq_err`) of every seed of the family's largest model and prints their
`metrics.cutoff_quantiles`, rounded to two significant figures, as a `metrics.cutoffs` line to put
in the experiment config. Reconstruction_c at the largest scale is then about each quantile, while
smaller models, whose errors are larger, sit near 0: the choice that makes the sharp metric show
the family's range. Reads experiments/<exp>/ only (numpy): seconds, no training.
"""

from __future__ import annotations

from pathlib import Path

import hydra
import numpy as np
from omegaconf import DictConfig

from toyemerge.config import require_experiment
from toyemerge.errors import ToyemergeError, command, user_errors
from toyemerge.folder import completed_runs, load_outputs
from toyemerge.metrics.reconstruction import suggest_cutoffs


def largest_model_errors(exp_dir: Path) -> tuple[int, np.ndarray]:
    """(n_params, pooled sq_err over its seeds) of the largest model in exp_dir/runs.csv."""
    if not (exp_dir / "runs.csv").is_file():
        raise ToyemergeError(f"{exp_dir} holds no exported runs ({exp_dir / 'runs.csv'} not found); train the "
                             f"family first")
    runs = completed_runs(exp_dir)
    if not runs:
        raise ToyemergeError(f"{exp_dir / 'runs.csv'} lists no completed run")
    largest = max(int(r["n_params"]) for r in runs)
    errors = [load_outputs(exp_dir / "outputs" / f"{r['run_id']}.npz", r.get("outputs_sha256"))["sq_err"]
              for r in runs if int(r["n_params"]) == largest]
    return largest, np.concatenate(errors)


@hydra.main(version_base="1.3", config_path="conf", config_name="config")
def hydra_main(cfg: DictConfig) -> None:
    with user_errors():
        require_experiment(cfg)
        if cfg.task != "reconstruction":
            raise ToyemergeError(f"suggest_cutoffs chooses the cutoffs c of Reconstruction_c; {cfg.experiment} is a "
                                 f"{cfg.task} experiment")
        exp_dir = Path(cfg.paths.experiments) / cfg.experiment
        n_params, errors = largest_model_errors(exp_dir)
        quantiles = [float(q) for q in cfg.metrics.cutoff_quantiles]
        cutoffs = suggest_cutoffs(errors, quantiles)
    print(f"# {cfg.experiment}: quantiles {quantiles} of the per-image errors of the largest model "
          f"({n_params:,} parameters, {errors.size} test images over all seeds)")
    print(f"cutoffs: [{', '.join(f'{c:g}' for c in cutoffs)}]")


main = command(hydra_main)


if __name__ == "__main__":
    main()
