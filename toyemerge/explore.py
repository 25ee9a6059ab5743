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

import logging
import time
from pathlib import Path

import hydra
from omegaconf import DictConfig

from toyemerge.analysis.experiment import grid
from toyemerge.analysis.family import load_family
from toyemerge.analysis.views import view_for
from toyemerge.errors import ConfigError, ToyemergeError, user_errors
from toyemerge.experiment import require_experiment
from toyemerge.explorer import page
from toyemerge.explorer.data import Settings, explorer_data
from toyemerge.store import write_atomic

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


def build(cfg: DictConfig) -> Path:
    """Compute the page's numbers from experiments/<exp>/ and write the page; returns its path."""
    start = time.perf_counter()
    exp_dir = Path(cfg.paths.experiments) / cfg.experiment
    if not (exp_dir / "runs.csv").is_file():
        raise ToyemergeError(f"{exp_dir} holds no exported runs ({exp_dir / 'runs.csv'} not found), so there is "
                             f"nothing to explore yet; train the family first: python -m toyemerge.train "
                             f"+exp={cfg.experiment}")
    values = sharpness_grid(cfg.analysis)
    view = view_for(cfg.task, list(cfg.analysis.sharp_params or values), values)
    try:
        runs = load_family(exp_dir, view)
    except ValueError as err:  # fewer than 2 sizes finished
        raise ToyemergeError(f"{exp_dir}: {err}; the explorer needs a family") from None
    data = explorer_data(runs, view, values, settings_from_cfg(cfg), cfg.task)
    data["source"] = {"outputs": f"experiments/{cfg.experiment}/outputs/", "seed": int(cfg.analysis.seed),
                      "command": f"python -m toyemerge.explore +exp={cfg.experiment}"}
    out = Path(cfg.explore.output) if cfg.explore.output else exp_dir / "explorer.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    html = page.render(data, str(cfg.explore.title))
    write_atomic(out, html.encode("utf-8"))
    log.info("[%s] explorer page of %d models, %d settings of %s: %s (%.0f KB) in %.1f s", cfg.experiment,
             len(runs), len(values), view.sharp_symbol, out, len(html.encode()) / 1024, time.perf_counter() - start)
    return out


@hydra.main(version_base="1.3", config_path="../conf", config_name="config")
def main(cfg: DictConfig) -> None:
    require_experiment(cfg)
    with user_errors():
        out = build(cfg)
        if cfg.explore.screenshot:
            from toyemerge.explorer import browser

            reason = browser.why_unavailable()
            if reason:
                raise ToyemergeError(f"no screenshot: {reason}")
            browser.screenshot(out, Path(cfg.explore.screenshot))
            log.info("[%s] screenshot: %s", cfg.experiment, cfg.explore.screenshot)


if __name__ == "__main__":
    main()
