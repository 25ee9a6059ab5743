"""Images at the side length an experiment asks for, by each dataset's own downsampling rule."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from toyemerge.data.omniglot import downsample as omniglot_downsample
from toyemerge.errors import ConfigError

# dataset name → downsample(x uint8 (N, H, W), size) → uint8 (N, size, size). A dataset is listed
# here only when it has a documented rule (e.g. Omniglot's 105×105 strokes → MNIST-like 28×28).
RESIZERS: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {"omniglot": omniglot_downsample}


def resize_images(dataset: str, x: np.ndarray, size: int | None) -> np.ndarray:
    """`x` unchanged when `size` is None or already its side length, else the dataset's downsample."""
    if size is None or tuple(x.shape[1:3]) == (size, size):
        return x
    if dataset not in RESIZERS:
        raise ConfigError(f"data.image_size: no downsampling rule for '{dataset}' images {x.shape[1:]} → "
                          f"{size}×{size}; known: {', '.join(sorted(RESIZERS)) or 'none'}")
    return RESIZERS[dataset](x, size)
