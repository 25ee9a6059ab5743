"""Build an experiment's explorer page from its folder (`python -m toyemerge.explore +exp=mnist`).

One self-contained HTML file, experiments/<exp>/explorer.html: the data embedded, no server, no
network. Its controls (the metric and its sharpness K, L or c; which model sizes are shown; the
test-set size) redraw the sharp curve, its CI band and its emergence score at once, beside the
smooth metric. Every number is computed here from the saved per-example outputs
(toyemerge.explorer.data); the page only looks them up. Never imports torch, never trains.

    python -m toyemerge.explore +exp=mnist explore.screenshot=figures/explorer_mnist.png
also saves a screenshot of the page (needs Chromium and playwright: toyemerge.explorer.browser).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import time
from pathlib import Path

from omegaconf import DictConfig

from toyemerge.analysis.family import load_family
from toyemerge.analysis.sharpness import grid
from toyemerge.errors import ConfigError, ToyemergeError
from toyemerge.explorer import page
from toyemerge.explorer.data import Settings, explorer_data
from toyemerge.folder import completed_runs, experiment_dir
from toyemerge.io import sha256_file, write_atomic
from toyemerge.metrics import task_kind

log = logging.getLogger("toyemerge.explore")


def sharpness_grid(cfg: DictConfig) -> list:
    """The slider's values: the sharpness map's grid with the experiment's own sharp parameters added."""
    sharp = cfg.metrics.get(task_kind(cfg.task).param_key) or []
    values = sorted(set(grid(cfg.analysis.sharpness)) | set(sharp))
    if not values:
        raise ConfigError(f"metrics.{task_kind(cfg.task).param_key} and analysis.sharpness are empty: the explorer has "
                          f"no K, L or c to offer; set them in the experiment's config")
    return values


def settings_from_cfg(cfg: DictConfig) -> Settings:
    ecfg, acfg = cfg.explore, cfg.analysis
    return Settings(test_sizes=tuple(int(n) for n in ecfg.test_sizes),
                    strides=tuple(int(m) for m in ecfg.sampling_every),
                    n_resamples=int(ecfg.bootstrap_resamples), confidence=float(acfg.confidence),
                    seed=int(acfg.seed), fit_fraction=float(acfg.fit_fraction),
                    start_param=float(ecfg.start_param), near_zero=float(ecfg.near_zero))


def build(cfg: DictConfig, only_if_changed: bool = False) -> Path:
    """Compute the page's numbers from experiments/<exp>/ and write the page; returns its path.

    `only_if_changed`: keep an existing page made from the same outputs with the same settings
    (its embedded digest says so), as `toyemerge.figures` does after every re-score."""
    start = time.perf_counter()
    exp_dir = experiment_dir(cfg)
    if not (exp_dir / "runs.csv").is_file():
        raise ToyemergeError(f"{exp_dir} holds no exported runs ({exp_dir / 'runs.csv'} not found), so there is "
                             f"nothing to explore yet; train the family first: python -m toyemerge.train "
                             f"+exp={cfg.experiment}")
    values = sharpness_grid(cfg)
    kind = task_kind(cfg.task)(list(cfg.metrics.get(task_kind(cfg.task).param_key) or values), values)
    settings = settings_from_cfg(cfg)
    out = Path(cfg.explore.output) if cfg.explore.output else exp_dir / "explorer.html"
    digest = source_digest(exp_dir, cfg, settings, values)
    if only_if_changed and out.is_file() and page.embedded_digest(out) == digest:
        log.info("[%s] explorer page up to date: %s", cfg.experiment, out)
        return out
    try:
        runs = load_family(exp_dir, kind)
    except ValueError as err:  # fewer than 2 sizes finished
        raise ToyemergeError(f"{exp_dir}: {err}; the explorer needs a family") from None
    data = explorer_data(runs, kind, values, settings)
    data["source"] = {"outputs": f"experiments/{cfg.experiment}/outputs/", "seed": int(cfg.analysis.seed),
                      "command": f"python -m toyemerge.explore +exp={cfg.experiment}", "digest": digest}
    out.parent.mkdir(parents=True, exist_ok=True)
    html = page.render(data, str(cfg.explore.title))
    write_atomic(out, html.encode("utf-8"))
    log.info("[%s] explorer page of %d models, %d settings of %s: %s (%.0f KB) in %.1f s", cfg.experiment,
             len(runs), len(values), kind.sharp_symbol, out, len(html.encode()) / 1024, time.perf_counter() - start)
    return out


def source_digest(exp_dir: Path, cfg: DictConfig, settings: Settings, values: list) -> str:
    """A hash of everything the page is computed from: each run's outputs (by sha256), size and seed,
    and the settings, so a page is rebuilt exactly when one of them changes."""
    runs = [(r["run_id"], r["n_params"], r["seed"], sha256_file(exp_dir / "outputs" / f"{r['run_id']}.npz"))
            for r in completed_runs(exp_dir)]
    blob = json.dumps({"runs": runs, "task": cfg.task, "values": [float(v) for v in values],
                       "sharp": [float(v) for v in cfg.metrics.get(task_kind(cfg.task).param_key) or values],
                       "settings": dataclasses.asdict(settings), "title": str(cfg.explore.title),
                       "version": page.VERSION}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]
