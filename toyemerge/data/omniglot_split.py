"""The Omniglot classification split of the sequence task: a class set, split by drawer.

Classes are the characters of the chosen alphabets (from either Omniglot split), numbered 0..C-1 in
the order of their global char_id. Every character was drawn once by each of 20 drawers; drawers
`train_drawers` give the training images and `test_drawers` the test images, so a test image is a
new drawing of a character the model was trained on. Images are downsampled to image_size²
(area average, ink = 255) and laid out as a (class, drawer) grid, so a sampled (class, drawer)
pair indexes its image directly and a label can never drift from its image.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from toyemerge.data.omniglot import SPLITS, downsample
from toyemerge.data.prepared import BadDataError
from toyemerge.errors import ConfigError


@dataclass(frozen=True)
class CharacterSplit:
    x_train: np.ndarray      # (C, len(train_drawers), s, s) uint8, ink = 255
    x_test: np.ndarray       # (C, len(test_drawers), s, s) uint8
    char_id: np.ndarray      # (C,) global Omniglot character number of each class
    names: np.ndarray        # (C,) 'Alphabet/characterNN' of each class
    train_drawers: tuple[int, ...]
    test_drawers: tuple[int, ...]

    @property
    def n_classes(self) -> int:
        return len(self.char_id)


def alphabet_names(arrays: dict[str, np.ndarray]) -> list[str]:
    """All alphabet names of both Omniglot splits."""
    return [str(a) for split in SPLITS for a in arrays[f"alphabet_names_{split}"]]


def split_by_drawer(arrays: dict[str, np.ndarray], alphabets: list[str] | None, train_drawers: list[int],
                    test_drawers: list[int], image_size: int) -> CharacterSplit:
    """The (class, drawer) image grids of the chosen alphabets (None: all 50) for both drawer sets."""
    train_drawers, test_drawers = tuple(int(d) for d in train_drawers), tuple(int(d) for d in test_drawers)
    if set(train_drawers) & set(test_drawers):
        shared = sorted(set(train_drawers) & set(test_drawers))
        raise ConfigError(f"data.train_drawers and data.test_drawers share drawers {shared}; a test drawing must be "
                          "new to the model")
    known = alphabet_names(arrays)
    wanted = known if alphabets is None else [str(a) for a in alphabets]
    unknown = sorted(set(wanted) - set(known))
    if unknown or not wanted:
        raise ConfigError(f"data.alphabets: unknown Omniglot alphabets {unknown or wanted}; known: {', '.join(known)}")
    char_ids, names, images, drawers, image_chars = [], [], [], [], []
    for split in SPLITS:
        table = arrays[f"alphabet_names_{split}"]
        keep = np.isin(table[arrays[f"alphabet_{split}"]], wanted)
        images.append(arrays[f"x_{split}"][keep])
        drawers.append(arrays[f"drawer_{split}"][keep])
        image_chars.append(arrays[f"char_id_{split}"][keep])
        first = np.unique(arrays[f"y_{split}"][keep], return_index=True)[1]  # one image per class
        char_ids.append(arrays[f"char_id_{split}"][keep][first])
        names.append(arrays[f"character_names_{split}"][arrays[f"y_{split}"][keep][first]])
    char_id = np.concatenate(char_ids)
    order = np.argsort(char_id, kind="stable")
    char_id, names = char_id[order], np.concatenate(names)[order]
    images, drawers, image_chars = np.concatenate(images), np.concatenate(drawers), np.concatenate(image_chars)
    cls = np.searchsorted(char_id, image_chars)
    return CharacterSplit(
        x_train=_grid(images, cls, drawers, train_drawers, len(char_id), image_size),
        x_test=_grid(images, cls, drawers, test_drawers, len(char_id), image_size),
        char_id=char_id, names=names, train_drawers=train_drawers, test_drawers=test_drawers)


def _grid(images: np.ndarray, cls: np.ndarray, drawers: np.ndarray, chosen: tuple[int, ...],
          n_classes: int, image_size: int) -> np.ndarray:
    """(C, len(chosen), s, s): the image of class c by drawer chosen[j] at [c, j]; each slot filled once."""
    column = {d: j for j, d in enumerate(chosen)}
    keep = np.isin(drawers, chosen)
    col = np.array([column[d] for d in drawers[keep].tolist()], dtype=np.int64)
    slot = cls[keep] * len(chosen) + col
    if len(np.unique(slot)) != len(slot) or len(slot) != n_classes * len(chosen):
        raise BadDataError(f"Omniglot: expected exactly one image per (character, drawer) for drawers {list(chosen)}")
    grid = np.empty((n_classes * len(chosen), image_size, image_size), np.uint8)
    grid[slot] = downsample(images[keep], image_size)
    return grid.reshape(n_classes, len(chosen), image_size, image_size)
