"""Random small rotations and shifts of a batch of training images, on whole tensors.

Omniglot has only 15 training drawings per character here, and every model soon fits them exactly;
jittering each drawing by a few degrees and pixels (as drawers themselves vary) is what lets the
larger models generalise to new drawers. Parameters come from a numpy generator, so a seed fixes them.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F


def random_affine(images: torch.Tensor, rng: np.random.Generator, max_rotation: float,
                  max_shift: float) -> torch.Tensor:
    """images (N, 1, s, s) each rotated by U(±max_rotation) degrees and shifted by U(±max_shift) pixels.

    Pixels that come in from outside take the value of the nearest border pixel, the background.
    """
    if max_rotation == 0 and max_shift == 0:
        return images
    n, size = images.shape[0], images.shape[-1]
    angle = rng.uniform(-1, 1, n) * math.radians(max_rotation)
    shift = rng.uniform(-1, 1, (n, 2)) * (2 * max_shift / size)  # affine_grid works in [-1, 1] units
    cos, sin = np.cos(angle), np.sin(angle)
    theta = np.stack([np.stack([cos, -sin, shift[:, 0]], 1), np.stack([sin, cos, shift[:, 1]], 1)], 1)
    theta = torch.as_tensor(theta, dtype=images.dtype, device=images.device)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, padding_mode="border", align_corners=False)
