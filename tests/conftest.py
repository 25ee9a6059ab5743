import os
import subprocess
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

from devtools.synthetic import write_synthetic_mnist
from toyemerge.config import CONF_DIR

REPO = Path(__file__).resolve().parents[1]


def run_cli(module: str, *overrides: str, check: bool = True, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run `python -m <module> <overrides>` from the repository root, as a user would."""
    proc = subprocess.run([sys.executable, "-m", module, *overrides], cwd=REPO, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"{module} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def run_without_torch(module: str, *overrides: str) -> subprocess.CompletedProcess:
    """Run `python -m <module> <overrides>` and fail if it imported torch (the layering rule)."""
    code = ("import sys, runpy; sys.argv = sys.argv[1:]; "
            f"runpy.run_module('{module}', run_name='__main__'); "
            f"assert 'torch' not in sys.modules, '{module} imported torch'")
    return subprocess.run([sys.executable, "-c", code, module, *overrides], cwd=REPO, capture_output=True, text=True)


def run_figures_without_torch(*overrides: str) -> subprocess.CompletedProcess:
    return run_without_torch("toyemerge.figures", *overrides)


def make_tiny_mnist_root(tmp_path: Path) -> Path:
    """A data root holding raw MNIST IDX files (gzipped) of 512 train and 200 test synthetic digits."""
    return write_synthetic_mnist(tmp_path / "data", n_train=512, n_test=200)


@pytest.fixture
def tiny_mnist_root(tmp_path):
    return make_tiny_mnist_root(tmp_path)


def compose_config(*overrides: str):
    """The config an entry point would get from these command-line overrides (composed in-process)."""
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return compose("config", overrides=list(overrides))


def tiny_family(tmp_path: Path, data_root: Path, *extra: str) -> list[str]:
    """Overrides of a 2-model MNIST family on tiny data, writing only under tmp_path."""
    return ["+exp=mnist", f"data.root={data_root}", "data.allow_download=false", f"store={tmp_path / 'runs'}",
            f"paths.experiments={tmp_path / 'experiments'}", f"paths.figures={tmp_path / 'figures'}",
            "family.scales=[1,2]", "seeds=[0]", "train.epochs=1", "train.batch_size=64", "metrics.subset_k=[1,2]",
            "analysis.bootstrap_resamples=20", "explore.bootstrap_resamples=20", f"hydra.run.dir={tmp_path / 'logs'}",
            *extra]


def folder_bytes(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (relative path → bytes): to check that a command left it untouched."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(Path(folder).rglob("*")) if p.is_file()}


def analysis_settings(**changes):
    """The analysis settings of conf/config.yaml (toyemerge.analysis.tables.Settings), with `changes`."""
    import dataclasses

    from toyemerge.analysis.tables import Settings

    return dataclasses.replace(Settings.from_cfg(compose_config("+exp=mnist").analysis), **changes)
