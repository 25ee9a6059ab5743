"""Train a whole model family: `python -m toyemerge.train +exp=mnist`.

Trains every (scale, seed) of the experiment that the run store does not already hold
(toyemerge.training.sweep), then exports experiments/<exp>/ (toyemerge.training.export) and
re-scores, analyses and redraws it (toyemerge.rebuild). `scale=` and `seed=` restrict the sweep to
one value each; `export=false` skips the export (`+launch=<engine>` runs one such job per
(scale, seed), then exports once). Everything that can be refused is refused before training.
"""

from __future__ import annotations

from pathlib import Path

import hydra
from omegaconf import DictConfig

from toyemerge.errors import command, user_errors
from toyemerge.launch import register_resolvers

register_resolvers()  # conf/launch/ presets sweep over ${sweep_values:${family.scales}}


def run(cfg: DictConfig) -> None:
    """Train the family of a composed config, then export and rebuild it (what the command does)."""
    from toyemerge.config import require_experiment, require_writable
    from toyemerge.export import export_and_rebuild
    from toyemerge.folder import experiment_dir
    from toyemerge.store import RunStore
    from toyemerge.training.export import plan_export
    from toyemerge.training.sweep import train_family

    require_experiment(cfg)
    if cfg.export:  # an export that would be refused after training is refused now
        plan_export(cfg, RunStore(cfg.store), require_runs=False)
        require_writable(experiment_dir(cfg), Path(cfg.paths.figures))
    train_family(cfg)
    if cfg.export:
        export_and_rebuild(cfg)


@hydra.main(version_base="1.3", config_path="conf", config_name="config")
def hydra_main(cfg: DictConfig) -> None:
    with user_errors():
        run(cfg)


main = command(hydra_main)

if __name__ == "__main__":
    main()
