"""Write an experiment's explorer page: `python -m toyemerge.explore +exp=mnist`.

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

import hydra
from omegaconf import DictConfig

from toyemerge.analysis.experiment import grid
from toyemerge.analysis.family import load_family
from toyemerge.analysis.views import view_for
from toyemerge.errors import ConfigError, ToyemergeError, command, user_errors
from toyemerge.experiment import require_experiment
from toyemerge.explorer import page
from toyemerge.explorer.data import Settings, explorer_data
from toyemerge.scoring import completed_runs
from toyemerge.store import sha256_file, write_atomic

log = logging.getLogger("toyemerge.explore")


def sharpness_grid(acfg) -> list:
    """The slider's values: the sharpness map's grid with the experiment's own sharp parameters added."""
    values = sorted(set(grid(acfg.sharpness)) | set(acfg.sharp_params or []))
    if not values:
        raise ConfigError("analysis.sharp_params and analysis.sharpness are empty: the explorer has no K, L or c "
                          "to offer; set them under analysis: in the experiment's config")
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
    exp_dir = Path(cfg.paths.experiments) / cfg.experiment
    if not (exp_dir / "runs.csv").is_file():
        raise ToyemergeError(f"{exp_dir} holds no exported runs ({exp_dir / 'runs.csv'} not found), so there is "
                             f"nothing to explore yet; train the family first: python -m toyemerge.train "
                             f"+exp={cfg.experiment}")
    values = sharpness_grid(cfg.analysis)
    view = view_for(cfg.task, list(cfg.analysis.sharp_params or values), values)
    settings = settings_from_cfg(cfg)
    out = Path(cfg.explore.output) if cfg.explore.output else exp_dir / "explorer.html"
    digest = source_digest(exp_dir, cfg, settings, values)
    if only_if_changed and out.is_file() and page.embedded_digest(out) == digest:
        log.info("[%s] explorer page up to date: %s", cfg.experiment, out)
        return out
    try:
        runs = load_family(exp_dir, view)
    except ValueError as err:  # fewer than 2 sizes finished
        raise ToyemergeError(f"{exp_dir}: {err}; the explorer needs a family") from None
    data = explorer_data(runs, view, values, settings, cfg.task)
    data["source"] = {"outputs": f"experiments/{cfg.experiment}/outputs/", "seed": int(cfg.analysis.seed),
                      "command": f"python -m toyemerge.explore +exp={cfg.experiment}", "digest": digest}
    out.parent.mkdir(parents=True, exist_ok=True)
    html = page.render(data, str(cfg.explore.title))
    write_atomic(out, html.encode("utf-8"))
    log.info("[%s] explorer page of %d models, %d settings of %s: %s (%.0f KB) in %.1f s", cfg.experiment,
             len(runs), len(values), view.sharp_symbol, out, len(html.encode()) / 1024, time.perf_counter() - start)
    return out


def source_digest(exp_dir: Path, cfg: DictConfig, settings: Settings, values: list) -> str:
    """A hash of everything the page is computed from: each run's outputs (by sha256), size and seed,
    and the settings, so a page is rebuilt exactly when one of them changes."""
    runs = [(r["run_id"], r["n_params"], r["seed"], sha256_file(exp_dir / "outputs" / f"{r['run_id']}.npz"))
            for r in completed_runs(exp_dir)]
    blob = json.dumps({"runs": runs, "task": cfg.task, "values": [float(v) for v in values],
                       "sharp": [float(v) for v in cfg.analysis.sharp_params or values],
                       "settings": dataclasses.asdict(settings), "title": str(cfg.explore.title),
                       "version": page.VERSION}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


@hydra.main(version_base="1.3", config_path="../conf", config_name="config")
def hydra_main(cfg: DictConfig) -> None:
    with user_errors():
        require_experiment(cfg)
        out = build(cfg)
        if cfg.explore.screenshot:
            from toyemerge.explorer import browser

            reason = browser.why_unavailable()
            if reason:
                raise ToyemergeError(f"no screenshot: {reason}")
            browser.screenshot(out, Path(cfg.explore.screenshot))
            log.info("[%s] screenshot: %s", cfg.experiment, cfg.explore.screenshot)


main = command(hydra_main)


if __name__ == "__main__":
    main()
