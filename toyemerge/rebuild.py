"""Re-score, analyse and redraw one experiment from its folder alone, in seconds.

This is the one idea of the project in code: the outputs of every model stay fixed, and every
metric, smooth or sharp, and every table, figure and page is recomputed from them. Reads
experiments/<exp>/runs.csv and outputs/*.npz; writes

    results.csv                          every metric of every model (toyemerge.metrics)
    config.yaml                          its scoring sections (what was trained stays as exported)
    figures/<exp>_<name>.png/.pdf        the experiment's panels (cfg.figures) and its task kind's own
    curves.csv, emergence.csv, sharpness.csv, resolution.csv, bootstrap_ci.json, and
    figures/<exp>_{mirage,resolution,sampling,sharpness_map}   the analysis (toyemerge.analysis.tables)
    explorer.html                        when its outputs or settings changed (toyemerge.explorer)

Never imports torch, never trains.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from matplotlib.figure import Figure
from omegaconf import DictConfig, OmegaConf

from toyemerge.analysis.family import load_family
from toyemerge.analysis.sharpness import grid
from toyemerge.analysis.tables import Settings, analyze, write_tables
from toyemerge.errors import ToyemergeError
from toyemerge.explorer.build import build as build_page
from toyemerge.folder import (
    RESULTS_COLUMNS,
    completed_runs,
    experiment_dir,
    failed_runs,
    load_outputs,
    read_results,
)
from toyemerge.io import write_atomic, write_csv
from toyemerge.metrics import task_kind
from toyemerge.plots import analysis as analysis_figures
from toyemerge.plots import reconstructions, sequences
from toyemerge.plots.panels import metric_figure
from toyemerge.plots.save import save_figure

log = logging.getLogger("toyemerge.figures")

# What re-scoring may change in config.yaml; the rest says what was trained, and the export wrote it.
SCORING_SECTIONS = ("metrics", "analysis", "figures", "explore")
def rebuild(cfg: DictConfig) -> list[Path]:
    """Every artifact of cfg.experiment from experiments/<exp>/ (module docstring); returns the files written."""
    start = time.perf_counter()
    exp_dir = experiment_dir(cfg)
    if not (exp_dir / "runs.csv").is_file():
        raise ToyemergeError(f"{exp_dir} holds no exported runs ({exp_dir / 'runs.csv'} not found); train the "
                             f"family first: python -m toyemerge.train +exp={cfg.experiment}")
    kind = task_kind(cfg.task)
    rows = score_experiment(exp_dir, kind.from_metrics_cfg(cfg.metrics), cfg.metrics)
    write_csv(exp_dir / "results.csv", rows, RESULTS_COLUMNS)
    write_atomic(exp_dir / "config.yaml", scoring_config(exp_dir / "config.yaml", cfg))
    written = [exp_dir / "results.csv"]
    results = read_results(exp_dir / "results.csv")  # figures draw what the table holds
    failed = [int(r["n_params"]) for r in failed_runs(exp_dir) if r.get("n_params")]
    if failed:
        log.warning("[%s] %d runs failed; the figures mark them with ×", cfg.experiment, len(failed))
    figures = {name: metric_figure(results, spec, failed) for name, spec in cfg.figures.items()}
    figures.update(task_figures(kind, exp_dir, results, cfg))
    for name, fig in figures.items():
        written += save_figure(fig, Path(cfg.paths.figures) / f"{cfg.experiment}_{name}")
    sizes = len({r["n_params"] for r in rows})
    if cfg.analysis.enabled:  # emergence scores, resolution, prediction, ...
        written += analyze_experiment(cfg, exp_dir, sizes)
    if cfg.explore.with_figures and sizes >= 2:
        written += [build_page(cfg, only_if_changed=True)]
    log.info("[%s] re-scored %d runs and drew %d figures in %.1f s", cfg.experiment,
             len({r["run_id"] for r in rows}), len(figures), time.perf_counter() - start)
    return written


def score_experiment(exp_dir: Path, kind, metrics_cfg) -> list[dict]:
    """results.csv's rows: every metric of every completed run listed in exp_dir/runs.csv."""
    rows = []
    for run in completed_runs(exp_dir):
        outputs = load_outputs(exp_dir / "outputs" / f"{run['run_id']}.npz", run.get("outputs_sha256"))
        for row in kind.table(outputs, metrics_cfg):
            rows.append({"run_id": run["run_id"], "n_params": int(run["n_params"]), "seed": int(run["seed"]), **row})
    return rows


def task_figures(kind, exp_dir: Path, results: list[dict], cfg: DictConfig) -> dict[str, Figure]:
    """The figures only this task kind has (kind.figures)."""
    out = {}
    if "all_correct_vs_accuracy" in kind.figures:
        out["all_correct_vs_accuracy"] = sequences.all_correct_vs_accuracy(results)
    if "reconstructions" in kind.figures:
        runs = reconstructions.lowest_seed_per_scale(completed_runs(exp_dir), cfg.family.knob)
        outputs = [load_outputs(exp_dir / "outputs" / f"{r['run_id']}.npz", r.get("outputs_sha256")) for r in runs]
        out["reconstructions"] = reconstructions.reconstruction_grid(runs, outputs, cfg.family.knob,
                                                                     list(cfg.metrics.cutoffs), cfg.experiment)
    return out


def analyze_experiment(cfg: DictConfig, exp_dir: Path, sizes: int) -> list[Path]:
    """curves.csv, emergence.csv, sharpness.csv, resolution.csv and the four analysis figures."""
    start = time.perf_counter()
    if sizes < 2:  # a partial sweep, or runs that failed: train and figures still finish
        log.warning("[%s] analysis skipped: the export holds completed models of %d size(s); scores and "
                    "predictions need at least 2", cfg.experiment, sizes)
        return []
    kind = task_kind(cfg.task)
    sharp = list(cfg.metrics[kind.param_key])
    kind = kind(sharp, grid(cfg.analysis.sharpness) or sharp)  # no grid given: sweep the table's parameters
    runs = load_family(exp_dir, kind)
    settings = Settings.from_cfg(cfg.analysis)
    result = analyze(runs, kind, settings, cache_dir=exp_dir)
    written = write_tables(exp_dir, result)
    for name, fig in analysis_figures.figures(result, runs, kind, cfg.experiment, settings).items():
        written += save_figure(fig, Path(cfg.paths.figures) / f"{cfg.experiment}_{name}")
    log.info("[%s] analysed %d runs in %.1f s", cfg.experiment, len(runs), time.perf_counter() - start)
    return written


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
