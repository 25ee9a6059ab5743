"""Re-score and re-draw an experiment from its saved outputs alone: `python -m toyemerge.figures +exp=mnist`.

Reads experiments/<exp>/runs.csv and outputs/*.npz, rewrites results.csv and every figure of the
experiment config, then the emergence analysis (curves.csv, emergence.csv, four figures), and the
explorer page when its outputs or settings changed, so that every artifact of the export agrees
with the outputs beside it. Never imports torch, never trains: seconds.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import hydra
from omegaconf import DictConfig, OmegaConf

from toyemerge import explore
from toyemerge.analysis.experiment import analyze_experiment
from toyemerge.errors import ToyemergeError, command, user_errors
from toyemerge.experiment import require_experiment
from toyemerge.plots import metric_figure, save_figure
from toyemerge.scoring import RESULTS_COLUMNS, failed_runs, read_results, score_experiment, scorer, write_csv
from toyemerge.store import write_atomic

log = logging.getLogger("toyemerge.figures")


def rebuild(cfg: DictConfig) -> list[Path]:
    """results.csv, config.yaml and all figures of cfg.experiment from experiments/<exp>/; returns written files."""
    start = time.perf_counter()
    exp_dir = Path(cfg.paths.experiments) / cfg.experiment
    if not (exp_dir / "runs.csv").is_file():
        raise ToyemergeError(f"{exp_dir} holds no exported runs ({exp_dir / 'runs.csv'} not found); train the "
                             f"family first: python -m toyemerge.train +exp={cfg.experiment}")
    rows = score_experiment(exp_dir, cfg.task, cfg.metrics)
    write_csv(exp_dir / "results.csv", rows, RESULTS_COLUMNS)
    write_atomic(exp_dir / "config.yaml", scoring_config(exp_dir / "config.yaml", cfg))
    written = [exp_dir / "results.csv"]
    results = read_results(exp_dir / "results.csv")  # figures draw what the table holds
    failed = [int(r["n_params"]) for r in failed_runs(exp_dir) if r.get("n_params")]
    if failed:
        log.warning("[%s] %d runs failed; the figures mark them with ×", cfg.experiment, len(failed))
    figures = {name: metric_figure(results, spec, failed) for name, spec in cfg.figures.items()}
    extra = getattr(scorer(cfg.task), "extra_figures", None)
    if extra is not None:
        figures.update(extra(exp_dir, results, cfg))
    for name, fig in figures.items():
        written += save_figure(fig, Path(cfg.paths.figures) / f"{cfg.experiment}_{name}")
    if cfg.get("analysis") and cfg.analysis.enabled:  # emergence scores, resolution, prediction, ...
        written += analyze_experiment(cfg)
    if cfg.explore.get("with_figures", True) and len({r["n_params"] for r in rows}) >= 2:
        written += [explore.build(cfg, only_if_changed=True)]
    log.info("[%s] re-scored %d runs and drew %d figures in %.1f s", cfg.experiment,
             len({r["run_id"] for r in rows}), len(figures), time.perf_counter() - start)
    return written


# What re-scoring may change in config.yaml; the rest says what was trained, and the export wrote it.
SCORING_SECTIONS = ("metrics", "analysis", "figures", "explore")


def scoring_config(path: Path, cfg: DictConfig) -> bytes:
    """The export's config.yaml with cfg's scoring sections: the export wrote what was trained (the
    family, data, model and training settings), and re-scoring never relabels it."""
    new = OmegaConf.to_container(cfg, resolve=True)
    new.pop("hydra", None)
    try:
        config = OmegaConf.to_container(OmegaConf.load(path)) if path.is_file() else new
    except Exception:  # noqa: BLE001 - a damaged config.yaml: say so, and write it from cfg
        log.warning("%s is unreadable; written again from this config", path)
        config = new
    config.update({key: new[key] for key in SCORING_SECTIONS if key in new})
    return OmegaConf.to_yaml(OmegaConf.create(config)).encode()


@hydra.main(version_base="1.3", config_path="../conf", config_name="config")
def hydra_main(cfg: DictConfig) -> None:
    with user_errors():
        require_experiment(cfg)
        rebuild(cfg)


main = command(hydra_main)


if __name__ == "__main__":
    main()
