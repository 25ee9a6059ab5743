"""Checks shared by the entry points on the composed experiment config, before anything runs."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from toyemerge.errors import ToyemergeError, fail
from toyemerge.schema import validate

CONF_DIR = Path(__file__).resolve().parent.parent / "conf"


def available_experiments() -> list[str]:
    return sorted(p.stem for p in (CONF_DIR / "exp").glob("*.yaml"))


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
