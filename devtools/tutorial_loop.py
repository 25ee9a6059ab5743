"""The training loop a user would write from the PyTorch examples (mnist/main.py): the benchmark's baseline.

torchvision's MNIST dataset hands out one PIL image per index, `ToTensor()` + `Normalize` turn it
into a tensor, and a DataLoader collates batches of 64; Adam, cross-entropy. Nothing here is tuned:
it is the yardstick that toyemerge's own training path (whole tensors on the device, see
toyemerge.training.tasks and toyemerge.training.fit) is measured against by `python -m toyemerge.bench`.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torchvision import datasets, transforms

from toyemerge.data.idx import write_idx

# The file names torchvision.datasets.MNIST reads from <root>/MNIST/raw/ (uncompressed).
_RAW_FILES = {"x_train": "train-images-idx3-ubyte", "y_train": "train-labels-idx1-ubyte",
              "x_test": "t10k-images-idx3-ubyte", "y_test": "t10k-labels-idx1-ubyte"}


def write_torchvision_mnist(arrays: dict[str, np.ndarray], root: Path) -> Path:
    """Lay MNIST arrays out as torchvision's MNIST expects them, so its own dataset class reads them."""
    raw = Path(root) / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for key, name in _RAW_FILES.items():
        write_idx(raw / name, arrays[key])
    return Path(root)


def tutorial_train(model: torch.nn.Module, root: Path, epochs: int, mean: float, std: float,
                   batch_size: int = 64, lr: float = 1e-3, seed: int = 0, max_batches: int | None = None) -> dict:
    """Train `model` the tutorial way on CPU; return images/s over the training loop and test accuracy.

    `max_batches` stops after that many batches (a throughput sample, not a full training)."""
    torch.manual_seed(seed)
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((mean,), (std,))])
    train_set = datasets.MNIST(root, train=True, download=False, transform=transform)
    test_set = datasets.MNIST(root, train=False, download=False, transform=transform)
    train_loader = torch.utils.data.DataLoader(train_set, batch_size=batch_size, shuffle=True)
    test_loader = torch.utils.data.DataLoader(test_set, batch_size=1000)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    start, images = time.perf_counter(), 0
    for _ in range(epochs):
        for batch, (data, target) in enumerate(train_loader):
            if max_batches is not None and batch >= max_batches:
                break
            optimizer.zero_grad()
            loss = F.cross_entropy(model(data), target)
            loss.backward()
            optimizer.step()
            images += len(target)
    seconds = time.perf_counter() - start
    model.eval()
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            correct += (model(data).argmax(1) == target).sum().item()
    return {"images_per_second": images / seconds, "train_seconds": seconds,
            "test_accuracy": correct / len(test_set)}
