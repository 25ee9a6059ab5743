"""Image classification (MNIST LeNets): cross-entropy training, per-example class outputs."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from toyemerge.data import load_dataset


class ClassificationTask:
    def __init__(self, cfg, device: torch.device):
        arrays = load_dataset(cfg.data.name, cfg.data.root, cfg.data.get("allow_download", True))
        mean, std = cfg.data.mean, cfg.data.std
        self.device = device
        self.x_train = self._images(arrays["x_train"], mean, std)
        self.y_train = torch.as_tensor(arrays["y_train"], device=device)
        self.x_test = self._images(arrays["x_test"], mean, std)
        self.y_test = torch.as_tensor(arrays["y_test"], device=device)
        self.eval_batch_size = cfg.train.eval_batch_size

    def _images(self, x: np.ndarray, mean: float, std: float) -> torch.Tensor:
        """uint8 (N, H, W) → normalised float32 (N, 1, H, W) on the device, converted once."""
        x = torch.as_tensor(x, device=self.device).unsqueeze(1).float().div_(255)
        return x.sub_(mean).div_(std)

    def epoch_batches(self, batch_size: int, generator: torch.Generator):
        """One epoch of shuffled (x, y) minibatches; the permutation is drawn on the CPU generator."""
        order = torch.randperm(len(self.y_train), generator=generator).to(self.device)
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            yield self.x_train[idx], self.y_train[idx]

    def steps_per_epoch(self, batch_size: int) -> int:
        return -(-len(self.y_train) // batch_size)

    @staticmethod
    def loss(model: torch.nn.Module, batch) -> torch.Tensor:
        x, y = batch
        return F.cross_entropy(model(x), y)

    @torch.inference_mode()
    def predict(self, model: torch.nn.Module) -> dict[str, np.ndarray]:
        """Per-example test outputs, as docs/DESIGN.md's folder contract lists them for classifiers."""
        model.eval()
        probs = torch.cat([
            torch.softmax(model(self.x_test[i:i + self.eval_batch_size]).float(), dim=1)
            for i in range(0, len(self.x_test), self.eval_batch_size)
        ])
        model.train()
        target = self.y_test
        return {
            "target": target.cpu().numpy().astype(np.int16),
            "pred": probs.argmax(1).cpu().numpy().astype(np.int16),
            "p_target": probs.gather(1, target[:, None])[:, 0].cpu().numpy().astype(np.float32),
            "probs": probs.cpu().numpy().astype(np.float16),
        }
