"""Prepared datasets: one compressed .npz per dataset, uint8 images, checked against a schema."""

from __future__ import annotations

import os
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from toyemerge.data.root import MissingDataError, missing_data_message
from toyemerge.errors import ToyemergeError


class BadDataError(ToyemergeError, ValueError):
    """A prepared dataset file exists but is unreadable or does not match its schema."""


def load_prepared(path: Path, schema: dict[str, tuple[str, int]]) -> dict[str, np.ndarray]:
    """Load `path` (never with pickles) and check each array's dtype kind and number of dims.

    `schema` maps array name → (numpy dtype string, ndim), e.g. {"x_train": ("uint8", 3)}.
    """
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {name: f[name] for name in schema if name in f.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
        raise BadDataError(f"{path} is not a readable .npz file ({e}); delete it and prepare it again.") from e
    for name, (dtype, ndim) in schema.items():
        if name not in arrays:
            raise BadDataError(f"{path} has no array '{name}'; expected arrays: {', '.join(schema)}.")
        a = arrays[name]
        if a.dtype != np.dtype(dtype) or a.ndim != ndim:
            raise BadDataError(
                f"{path}: array '{name}' is {a.dtype} with shape {a.shape}; expected {dtype} with {ndim} dims."
            )
    return arrays


def check_labelled_images(source: str, arrays: dict[str, np.ndarray], image_shape: tuple[int, ...],
                          labels: dict[str, int], splits: tuple[str, ...] = ("train", "test")) -> dict[str, np.ndarray]:
    """Check what training relies on and return `arrays`: for each split, at least one image in
    `x_<split>` of shape `image_shape`, and for each label array of `labels` (a name with `{split}`
    in it → number of classes) one label per image, each in 0 … classes − 1."""
    for split in splits:
        x = arrays[f"x_{split}"]
        if tuple(x.shape[1:]) != tuple(image_shape):
            raise BadDataError(f"{source}: x_{split} holds images of shape {tuple(x.shape[1:])}; expected "
                               f"{tuple(image_shape)}. Fix: prepare the file again from the official data.")
        if len(x) == 0:
            raise BadDataError(f"{source}: x_{split} holds no images; the {split} set must not be empty.")
        for template, n_classes in labels.items():
            name = template.format(split=split)
            y = arrays[name]
            if len(y) != len(x):
                raise BadDataError(f"{source}: {len(x)} images in x_{split} but {len(y)} labels in {name}; "
                                   f"every image needs exactly one label.")
            if y.min() < 0 or y.max() >= n_classes:
                raise BadDataError(f"{source}: {name} holds labels {int(y.min())} … {int(y.max())}; "
                                   f"expected 0 … {n_classes - 1}.")
    return arrays


def save_prepared(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write `arrays` to `path` atomically (temp file in the same folder, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez_compressed(f, **arrays)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_or_prepare(root: Path, filename: str, load: Callable[[Path], dict], find_raw: Callable[[Path], Any],
                    download: Callable[[Path], Any], convert: Callable[[Any], dict], raw_hint: str,
                    allow_download: bool = True) -> dict[str, np.ndarray]:
    """The data contract's order: the prepared `filename` under `root`; else raw files found there
    (`find_raw`), converted once and cached as `filename`; else a download where there is internet;
    else one MissingDataError naming the file, the root and the fix.
    """
    root = Path(root)
    path = root / filename
    if path.is_file():
        return load(path)
    source = find_raw(root)
    if source is None and allow_download:
        try:
            source = download(root)
        except Exception as e:  # no network, read-only root, ...: one clear error below
            raise MissingDataError(missing_data_message(filename, root, raw_hint, e)) from e
    if source is None:
        raise MissingDataError(missing_data_message(filename, root, raw_hint))
    arrays = convert(source)
    try:
        save_prepared(path, arrays)
    except OSError:
        pass  # a read-only root still works: convert again next time
    return arrays
