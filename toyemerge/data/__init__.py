"""Datasets as numpy arrays, by name. See docs/DESIGN.md's data contract."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from toyemerge.data import cifar100, mnist, omniglot
from toyemerge.data.fingerprint import cached_fingerprint
from toyemerge.data.root import MissingDataError, data_root
from toyemerge.errors import ConfigError

LOADERS = {"mnist": mnist.load_mnist, "cifar100": cifar100.load_cifar100, "omniglot": omniglot.load_omniglot}
PREPARED = {"mnist": mnist.FILENAME, "cifar100": cifar100.FILENAME, "omniglot": omniglot.FILENAME}

__all__ = ["LOADERS", "MissingDataError", "data_root", "dataset_fingerprint", "load_dataset"]


def load_dataset(name: str, root: str | Path | None = None, allow_download: bool = True,
                 **options) -> dict[str, np.ndarray]:
    """The named dataset's arrays; `options` go to its loader (e.g. CIFAR-100's verify_md5)."""
    if name not in LOADERS:
        raise ConfigError(f"data.name = {name!r} is not a dataset toyemerge knows; known: {', '.join(sorted(LOADERS))}")
    return LOADERS[name](data_root(root), allow_download=allow_download, **options)


def dataset_fingerprint(name: str, root: str | Path | None = None, allow_download: bool = True, **options) -> str:
    """The sha256 of the named dataset's arrays (toyemerge.data.fingerprint), cached for its prepared file."""
    if name not in LOADERS:
        raise ConfigError(f"data.name = {name!r} is not a dataset toyemerge knows; known: {', '.join(sorted(LOADERS))}")
    return cached_fingerprint(data_root(root) / PREPARED[name],
                              lambda: load_dataset(name, root, allow_download, **options))
