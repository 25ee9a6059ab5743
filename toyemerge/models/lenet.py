"""LeNet-5 (LeCun et al. 1998) with its widths scaled by one knob.

    x (1×28×28) → conv 5×5 (c1) → act → max-pool 2 → conv 5×5 (c2) → act → max-pool 2
                → fc (f1) → act → fc (f2) → act → fc → 10 logits

LeNet-5's own widths are (c1, c2, f1, f2) = (6, 16, 120, 84) and its activation squashes (tanh).
The scale knob `width` multiplies the four widths of `base` by width / reference_width (rounded, at
least 1), so `width == reference_width` is `base` itself. With LeNet-5's widths as `base` all four
layers shrink together down to single channels and units; experiments/mnist uses base (1, 2, 8, 1)
at reference width 1, so that width b is (b, 2b, 8b, b): the last hidden layer, b units wide, is a
bottleneck whose width sets how many classes the net can tell apart.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

LENET5_WIDTHS = (6, 16, 120, 84)
ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh}


def layer_widths(width: int, reference_width: int, base: Sequence[int] = LENET5_WIDTHS) -> tuple[int, ...]:
    """(c1, c2, f1, f2) for the knob value `width`; `width == reference_width` gives `base`."""
    if not isinstance(width, int) or isinstance(width, bool) or width < 1:
        raise ValueError(f"LeNet width must be a positive integer, got {width!r}")
    if len(base) != 4:
        raise ValueError(f"LeNet has 4 scaled layers (c1, c2, f1, f2); base {list(base)} has {len(base)}")
    return tuple(max(1, round(b * width / reference_width)) for b in base)


class LeNet(nn.Module):
    def __init__(self, width: int, reference_width: int = 12, in_channels: int = 1, image_size: int = 28,
                 n_classes: int = 10, base: Sequence[int] = LENET5_WIDTHS, activation: str = "relu"):
        super().__init__()
        c1, c2, f1, f2 = self.widths = layer_widths(width, reference_width, base)
        side = ((image_size - 4) // 2 - 4) // 2  # two valid 5×5 convs, each followed by a 2× pool
        act = ACTIVATIONS[activation]
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, c1, kernel_size=5), act(), nn.MaxPool2d(2),
            nn.Conv2d(c1, c2, kernel_size=5), act(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(c2 * side * side, f1), act(),
            nn.Linear(f1, f2), act(),
            nn.Linear(f2, n_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))
