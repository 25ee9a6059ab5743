"""Fixtures shared by the test modules; the helpers they are built on are in tests/helpers.py."""

import pytest

from tests.helpers import REPO, run_in_process, write_tiny_mnist


@pytest.fixture
def tiny_mnist_root(tmp_path):
    """A data root of raw MNIST IDX files: 512 train and 200 test synthetic digits."""
    return write_tiny_mnist(tmp_path)


@pytest.fixture
def cli(capsys, tmp_path):
    """Run an entry point in this process as `python -m <module> <args>` would: returns Ran(status, out, err).

    `cli("toyemerge.train", "+exp=mnist", ...)`. Hydra's log folder goes under tmp_path unless the
    arguments choose one (hydra.run.dir=...)."""

    def run(module, *args):
        args = [str(a) for a in args]
        chose_logs = any(a.startswith(("hydra.run.dir=", "hydra.sweep.dir=")) for a in args)
        if module != "toyemerge.rescore" and not chose_logs:  # rescore is no Hydra command
            args.append(f"hydra.run.dir={tmp_path / 'cli-logs'}")
        return run_in_process(module, *args, capture=capsys)

    return run


@pytest.fixture
def repo_cwd(monkeypatch):
    """Run the test from the repository root."""
    monkeypatch.chdir(REPO)
