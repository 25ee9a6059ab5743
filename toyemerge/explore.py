"""Write an experiment's explorer page: `python -m toyemerge.explore +exp=mnist`.

One self-contained HTML file, experiments/<exp>/explorer.html, computed from the saved outputs
(toyemerge.explorer). `explore.screenshot=figures/explorer_mnist.png` also saves a screenshot
(needs Chromium and playwright). Never imports torch, never trains.
"""

from __future__ import annotations

import logging
from pathlib import Path

import hydra
from omegaconf import DictConfig

from toyemerge.errors import ToyemergeError, command, user_errors

log = logging.getLogger("toyemerge.explore")


@hydra.main(version_base="1.3", config_path="conf", config_name="config")
def hydra_main(cfg: DictConfig) -> None:
    with user_errors():
        from toyemerge.config import require_experiment
        from toyemerge.explorer.build import build

        require_experiment(cfg)
        out = build(cfg)
        if cfg.explore.screenshot:
            from toyemerge.explorer import browser

            if reason := browser.why_unavailable():
                raise ToyemergeError(f"no screenshot: {reason}")
            browser.screenshot(out, Path(cfg.explore.screenshot))
            log.info("[%s] screenshot: %s", cfg.experiment, cfg.explore.screenshot)


main = command(hydra_main)

if __name__ == "__main__":
    main()
