"""Export a family from the run store and redraw it: `python -m toyemerge.export +exp=mnist`.

Trains nothing: for runs trained by launcher jobs (README, "Scale-out") or copied in from
elsewhere. The export only ever adds to experiments/<exp>/ (toyemerge.training.export); then every
table, figure and page is rebuilt from the outputs (toyemerge.rebuild).
"""

from __future__ import annotations

from pathlib import Path

import hydra
from omegaconf import DictConfig

from toyemerge.errors import command, user_errors


def export_and_rebuild(cfg: DictConfig, store=None) -> Path:
    """Export the family from the store (cfg.store unless given), then re-score and redraw it."""
    from toyemerge.config import require_writable
    from toyemerge.folder import experiment_dir
    from toyemerge.rebuild import rebuild
    from toyemerge.store import RunStore
    from toyemerge.training.export import export_experiment

    require_writable(experiment_dir(cfg), Path(cfg.paths.figures))
    exp_dir = export_experiment(cfg, store or RunStore(cfg.store))
    rebuild(cfg)
    return exp_dir


@hydra.main(version_base="1.3", config_path="conf", config_name="config")
def hydra_main(cfg: DictConfig) -> None:
    with user_errors():
        from toyemerge.config import require_experiment

        require_experiment(cfg)
        export_and_rebuild(cfg)


main = command(hydra_main)

if __name__ == "__main__":
    main()
