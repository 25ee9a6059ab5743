"""Synthetic MNIST-format data for tests, demos and the kill-and-resume check (never real results).

Written as the raw gzipped IDX files of the original distribution, so the real conversion code runs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from toyemerge.data.idx import write_idx


def synthetic_digits(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A learnable stand-in for MNIST: class c is a bright bar at rows 2 + 2c, over uniform noise."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, n)
    x = rng.integers(0, 60, (n, 28, 28))
    for i, c in enumerate(y):
        x[i, 2 + 2 * c: 4 + 2 * c, 4:24] = 255
    return x.astype(np.uint8), y.astype(np.uint8)


def write_synthetic_mnist(root: Path, n_train: int = 512, n_test: int = 200, seed: int = 0) -> Path:
    """Raw MNIST IDX files of synthetic digits under root/MNIST/raw; returns the data root."""
    raw = Path(root) / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for split, n, split_seed in (("train", n_train, seed), ("t10k", n_test, seed + 1)):
        x, y = synthetic_digits(n, split_seed)
        write_idx(raw / f"{split}-images-idx3-ubyte.gz", x)
        write_idx(raw / f"{split}-labels-idx1-ubyte.gz", y)
    return Path(root)
