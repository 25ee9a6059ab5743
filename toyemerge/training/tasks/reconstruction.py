"""Image reconstruction (shallow autoencoders): MSE training, per-example squared error as output.

Generic over the data set: the config names the dataset and which of its uint8 image arrays are
the train and test sets (`data.train_images`, `data.test_images`); each image is flattened and
scaled to [0, 1]. Saved per model (docs/DESIGN.md's folder contract):

    sq_err          (N,) float32   each test image's mean squared error over its pixels in [0, 1]
    example_index   (k,) int64     k test images fixed by the config (the same for every model)
    example_input   (k, *shape) uint8   those images
    example_recon   (k, *shape) uint8   their reconstructions, rounded to 8 bits (figures only)

The images stay uint8 on the device and are scaled per batch: CIFAR-100's training set is 150 MB
that way instead of 600 MB as float32.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from toyemerge.data import load_dataset
from toyemerge.data.prepared import BadDataError
from toyemerge.data.resize import resize_images
from toyemerge.errors import ConfigError


def example_indices(n_test: int, k: int) -> np.ndarray:
    """k test images spread evenly over the test set (its order), identical for every model."""
    return np.unique(np.linspace(0, n_test - 1, num=min(k, n_test)).round().astype(np.int64))


class ReconstructionTask:
    def __init__(self, cfg, device: torch.device):
        data = cfg.data
        arrays = load_dataset(data.name, data.root, data.get("allow_download", True), **(data.get("options") or {}))
        x_train, x_test = (resize_images(data.name, arrays[key], data.get("image_size"))
                           for key in (data.train_images, data.test_images))
        self.shape = tuple(x_test.shape[1:])
        n_inputs = math.prod(self.shape)
        if x_train.dtype != np.uint8 or x_test.dtype != np.uint8 or tuple(x_train.shape[1:]) != self.shape:
            raise BadDataError(f"{data.name}: train {x_train.dtype}{x_train.shape} and test {x_test.dtype}"
                             f"{x_test.shape} must be uint8 images of one shape")
        if cfg.model.n_inputs != n_inputs:
            raise ConfigError(f"model.n_inputs = {cfg.model.n_inputs}, but {data.name} images {self.shape} "
                             f"have {n_inputs} values")
        self.device = device
        self.x_train = torch.as_tensor(x_train.reshape(len(x_train), -1), device=device)
        self.x_test = torch.as_tensor(x_test.reshape(len(x_test), -1), device=device)
        self.examples = example_indices(len(x_test), data.stored_examples)
        self.eval_batch_size = cfg.train.eval_batch_size

    @staticmethod
    def _unit(x: torch.Tensor) -> torch.Tensor:
        return x.float().div_(255)

    def epoch_batches(self, batch_size: int, generator: torch.Generator):
        """One epoch of shuffled image batches in [0, 1]; the permutation is drawn on the CPU generator."""
        order = torch.randperm(len(self.x_train), generator=generator).to(self.device)
        for start in range(0, len(order), batch_size):
            yield self._unit(self.x_train[order[start:start + batch_size]])

    def steps_per_epoch(self, batch_size: int) -> int:
        return -(-len(self.x_train) // batch_size)

    @staticmethod
    def loss(model: torch.nn.Module, batch: torch.Tensor) -> torch.Tensor:
        return F.mse_loss(model(batch), batch)

    @torch.inference_mode()
    def predict(self, model: torch.nn.Module) -> dict[str, np.ndarray]:
        """Per-example test outputs, as docs/DESIGN.md's folder contract lists them for autoencoders."""
        model.eval()
        sq_err = []
        for i in range(0, len(self.x_test), self.eval_batch_size):
            x = self._unit(self.x_test[i:i + self.eval_batch_size])
            sq_err.append(((model(x).float() - x) ** 2).mean(dim=1))
        idx = torch.as_tensor(self.examples, device=self.device)
        recon = model(self._unit(self.x_test[idx])).float().clamp(0, 1).mul(255).round().to(torch.uint8)
        model.train()
        shape = (len(self.examples), *self.shape)
        return {
            "sq_err": torch.cat(sq_err).cpu().numpy().astype(np.float32),
            "example_index": self.examples,
            "example_input": self.x_test[idx].cpu().numpy().reshape(shape),
            "example_recon": recon.cpu().numpy().reshape(shape),
        }
