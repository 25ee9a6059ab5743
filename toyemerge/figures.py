"""Re-score and redraw an experiment from its saved outputs alone: `python -m toyemerge.figures +exp=mnist`.

Reads experiments/<exp>/runs.csv and outputs/*.npz and rewrites results.csv, every figure, the
analysis tables and, when its outputs changed, the explorer page (toyemerge.rebuild). Never imports
torch, never trains: seconds.
"""

from __future__ import annotations

import hydra
from omegaconf import DictConfig

from toyemerge.errors import command, user_errors


@hydra.main(version_base="1.3", config_path="conf", config_name="config")
def hydra_main(cfg: DictConfig) -> None:
    with user_errors():
        from toyemerge.config import require_experiment
        from toyemerge.rebuild import rebuild

        require_experiment(cfg)
        rebuild(cfg)


main = command(hydra_main)

if __name__ == "__main__":
    main()
