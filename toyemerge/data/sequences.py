"""Sequences of L (image, label) pairs: L distinct classes, each with one drawing of it.

A sequence is a (classes, drawers) pair of (L,) arrays into a (class, drawer) image grid: image i is
grid[classes[i], drawers[i]] and its label is classes[i]. Classes within a sequence are distinct,
so an earlier label in the context never gives away a later one: every position is plain
classification of its image (the paper's per-image accuracy), and "all L right" is a property of
L different images.

The test set is one fixed list of sequences, drawn once from a seed and saved, so every model of a
family is scored on the very same sequences; `load_or_make_test_sequences` reuses the saved list.
"""

from __future__ import annotations

import logging
import zipfile
from pathlib import Path

import numpy as np

from toyemerge.data.prepared import save_prepared
from toyemerge.errors import ConfigError

log = logging.getLogger(__name__)


def sample_sequences(rng: np.random.Generator, n_sequences: int, length: int, n_classes: int,
                     n_drawers: int) -> tuple[np.ndarray, np.ndarray]:
    """(classes, drawers), each int64 (n_sequences, length): L distinct classes, any drawer each."""
    if length > n_classes:
        raise ConfigError(f"data.sequence_length: sequences of {length} distinct classes need at least {length} "
                          f"classes, have {n_classes}")
    # The L smallest of C uniform keys are L distinct classes in random order.
    classes = np.argsort(rng.random((n_sequences, n_classes)), axis=1)[:, :length]
    drawers = rng.integers(0, n_drawers, (n_sequences, length))
    return classes.astype(np.int64), drawers.astype(np.int64)


def load_or_make_test_sequences(path: Path, seed: int, n_sequences: int, length: int, char_id: np.ndarray,
                                drawers: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The saved test list at `path` when it was made for this class set and size, else a new one saved there.

    The file records each element as (global char_id, drawer number) besides the grid indices, so a
    saved list is only reused for the same characters and drawers, and stays readable without the code.
    """
    n_classes = len(char_id)
    if path.is_file():
        try:
            with np.load(path, allow_pickle=False) as f:
                saved = {k: f[k] for k in f.files}
        except (OSError, ValueError, zipfile.BadZipFile, EOFError):
            saved = {}  # damaged: drawn again from its seed, the same list
        if _matches(saved, seed, n_sequences, length, char_id, drawers):
            return saved["classes"], saved["drawers"]
        log.warning("%s is unreadable or was made for another class set or size; drawing the test list from its "
                    "seed again", path)
    classes, drawer_index = sample_sequences(np.random.default_rng(seed), n_sequences, length, n_classes,
                                             len(drawers))
    save_prepared(path, {"classes": classes, "drawers": drawer_index, "seed": np.int64(seed),
                         "char_id": char_id[classes].astype(np.int64),
                         "drawer": np.asarray(drawers, dtype=np.int64)[drawer_index]})
    return classes, drawer_index


def _matches(saved: dict, seed: int, n_sequences: int, length: int, char_id: np.ndarray,
             drawers: tuple[int, ...]) -> bool:
    try:
        classes, drawer_index = saved["classes"], saved["drawers"]
        return (int(saved["seed"]) == seed and classes.shape == drawer_index.shape == (n_sequences, length)
                and classes.max() < len(char_id) and drawer_index.max() < len(drawers)
                and np.array_equal(char_id[classes], saved["char_id"])
                and np.array_equal(np.asarray(drawers)[drawer_index], saved["drawer"]))
    except (KeyError, ValueError, IndexError):
        return False
