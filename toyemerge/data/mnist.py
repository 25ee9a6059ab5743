"""MNIST: the prepared mnist.npz under the data root; else the raw IDX files; else a download.

Arrays: x_train (60000, 28, 28) uint8, y_train (60000,) int64, x_test (10000, 28, 28) uint8,
y_test (10000,) int64, in the original file order.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from toyemerge.data.idx import read_idx
from toyemerge.data.prepared import BadDataError, check_labelled_images, load_or_prepare, load_prepared

FILENAME = "mnist.npz"
SCHEMA = {"x_train": ("uint8", 3), "y_train": ("int64", 1), "x_test": ("uint8", 3), "y_test": ("int64", 1)}
IMAGE_SHAPE, N_CLASSES = (28, 28), 10
RAW_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
# Folders under the data root where raw IDX files are looked for (torchvision puts them in MNIST/raw).
RAW_DIRS = (".", "MNIST/raw", "mnist", "MNIST")


def find_raw(root: Path) -> dict[str, Path] | None:
    """The four raw IDX files (plain or .gz) in one of RAW_DIRS under `root`, or None."""
    for sub in RAW_DIRS:
        found = {}
        for key, stem in RAW_FILES.items():
            for name in (stem, stem + ".gz"):
                if (root / sub / name).is_file():
                    found[key] = root / sub / name
                    break
        if len(found) == len(RAW_FILES):
            return found
    return None


def convert_raw(files: dict[str, Path]) -> dict[str, np.ndarray]:
    arrays = {key: read_idx(path) for key, path in files.items()}
    for key in ("y_train", "y_test"):
        arrays[key] = arrays[key].astype(np.int64)
    for key in ("x_train", "x_test"):
        if arrays[key].ndim != 3 or arrays[key].dtype != np.uint8:
            raise BadDataError(f"{files[key]}: expected uint8 images (N, 28, 28), got {arrays[key].dtype} "
                               f"{arrays[key].shape}")
    return check(arrays, f"raw MNIST in {files['x_train'].parent}")


def check(arrays: dict[str, np.ndarray], source: str) -> dict[str, np.ndarray]:
    """28×28 images, one label 0-9 per image, non-empty train and test sets."""
    return check_labelled_images(source, arrays, IMAGE_SHAPE, {"y_{split}": N_CLASSES})


def download(root: Path) -> dict[str, Path]:
    """Fetch the raw files with torchvision (needs internet); return their paths."""
    from torchvision.datasets import MNIST  # imported here: only the download path needs it

    for train in (True, False):
        MNIST(str(root), train=train, download=True)
    files = find_raw(root)
    if files is None:
        raise FileNotFoundError(f"torchvision's download left no raw MNIST files under {root}")
    return files


def load_mnist(root: Path, allow_download: bool = True) -> dict[str, np.ndarray]:
    """Load MNIST as numpy arrays, preparing mnist.npz from raw files or a download on first use."""
    return load_or_prepare(root, FILENAME, lambda path: check(load_prepared(path, SCHEMA), str(path)), find_raw,
                           download, convert_raw, _RAW_HINT, allow_download)


_RAW_HINT = (
    "put the four raw IDX files (train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], "
    "t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]) in it, or run once with internet access"
)
