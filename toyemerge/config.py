"""Where the configs are, and the checks every entry point runs on its composed config before anything else.

The Hydra configs ship inside the package (toyemerge/conf/), so an installed toyemerge finds them
without a checkout: conf/config.yaml holds the shared defaults, the groups conf/task/, model/,
data/ what a task kind, model or dataset sets, and conf/exp/<name>.yaml one experiment's deltas.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from toyemerge.errors import ToyemergeError, fail
from toyemerge.schema import validate

CONF_DIR = Path(__file__).resolve().parent / "conf"


def available_experiments() -> list[str]:
    return sorted(p.stem for p in (CONF_DIR / "exp").glob("*.yaml"))


def compose(*overrides: str) -> DictConfig:
    """The config an entry point composes from these command-line overrides (e.g. "+exp=mnist")."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return hydra_compose("config", overrides=list(overrides))


def require_experiment(cfg: DictConfig) -> None:
    """One clear message when no experiment was chosen; then the whole config checked against the schema."""
    if not cfg.get("experiment"):
        raise ToyemergeError(
            "no experiment chosen. Add +exp=<name>, e.g. `python -m toyemerge.train +exp=mnist`. "
            f"Available: {', '.join(available_experiments())}."
        )
    validate(cfg)


def require_writable(*folders: Path) -> None:
    """Fail before any training if an output folder cannot be created or written."""
    for folder in folders:
        folder = Path(folder)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, probe = tempfile.mkstemp(dir=folder, prefix=".write-probe-")
            os.close(fd)
            os.unlink(probe)
        except OSError as e:
            raise ToyemergeError(
                f"cannot write to {folder} ({e.strerror or e}); fix its permissions or free space, or choose "
                f"another folder (store=..., paths.experiments=..., paths.figures=...)"
            ) from None


class RequireLogFolder(Callback):
    """Hydra writes each invocation's log folder before toyemerge runs: one line, not a traceback,
    when it cannot (a read-only working folder, say)."""

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        self._check(config.hydra.run.dir, "hydra.run.dir")

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        self._check(config.hydra.sweep.dir, "hydra.sweep.dir")

    @staticmethod
    def _check(folder: str, key: str) -> None:
        try:
            require_writable(Path(folder))
        except ToyemergeError:
            existing = next(p for p in Path(folder).absolute().parents if p.exists())
            raise fail(f"error: cannot write the log folder {folder} (nothing writable at {existing}); run from a "
                       f"writable folder, or put the logs elsewhere with {key}=/path/to/logs") from None
