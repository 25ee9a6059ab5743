"""Omniglot sequence labelling (causal Transformers): sampled training sequences, a fixed test list.

Training draws fresh sequences every step (see toyemerge.data.sequences); an "epoch" is a fixed
number of sampled batches, train.steps_per_epoch. The loss is the mean cross-entropy of the label
predicted at every image position. The outputs are those of docs/DESIGN.md for sequence models:
`target`, `pred` (S, L) and `p_target` (S, L) on the saved test list.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from toyemerge.data import load_dataset
from toyemerge.data.omniglot_split import split_by_drawer
from toyemerge.data.sequences import load_or_make_test_sequences, sample_sequences
from toyemerge.errors import ConfigError
from toyemerge.training.tasks.augment import random_affine

log = logging.getLogger(__name__)

TEST_SEQUENCES = "test_sequences.npz"


class SequenceTask:
    def __init__(self, cfg, device: torch.device):
        data = cfg.data
        arrays = load_dataset(data.name, data.root, data.get("allow_download", True))
        alphabets = list(data.alphabets) if data.alphabets is not None else None
        split = split_by_drawer(arrays, alphabets, list(data.train_drawers), list(data.test_drawers),
                                data.image_size)
        del arrays
        if cfg.model.get("n_classes") != split.n_classes:
            raise ConfigError(f"data.alphabets hold {split.n_classes} characters but model.n_classes is "
                             f"{cfg.model.get('n_classes')}; set model.n_classes={split.n_classes}")
        self.device = device
        self.n_classes, self.length = split.n_classes, data.sequence_length
        self.x_train = self._images(split.x_train, data.mean, data.std)
        self.x_test = self._images(split.x_test, data.mean, data.std)
        path = Path(cfg.paths.experiments) / cfg.experiment / TEST_SEQUENCES
        classes, drawers = load_or_make_test_sequences(path, data.test_seed, data.test_sequences, self.length,
                                                       split.char_id, split.test_drawers)
        self.test_classes = torch.as_tensor(classes, device=device)
        self.test_drawers = torch.as_tensor(drawers, device=device)
        self.steps = cfg.train.steps_per_epoch
        self.max_rotation, self.max_shift = cfg.train.augment.max_rotation, cfg.train.augment.max_shift
        self.eval_batch_size = cfg.train.eval_batch_size
        log.info("[%s] %d classes, %d train / %d test drawings each, %d test sequences of %d",
                 cfg.experiment, self.n_classes, split.x_train.shape[1], split.x_test.shape[1],
                 len(classes), self.length)

    def _images(self, x: np.ndarray, mean: float, std: float) -> torch.Tensor:
        """uint8 (C, D, s, s) → normalised float32 (C, D, 1, s, s) on the device, converted once."""
        x = torch.as_tensor(x, device=self.device).unsqueeze(2).float().div_(255)
        return x.sub_(mean).div_(std)

    def steps_per_epoch(self, batch_size: int) -> int:
        return self.steps

    def epoch_batches(self, batch_size: int, generator: torch.Generator):
        """`steps_per_epoch` batches of fresh, jittered sequences; their seed comes from the CPU generator."""
        seed = int(torch.randint(2**62, (1,), generator=generator))
        rng = np.random.default_rng(seed)
        for _ in range(self.steps):
            classes, drawers = sample_sequences(rng, batch_size, self.length, self.n_classes,
                                                self.x_train.shape[1])
            classes = torch.as_tensor(classes, device=self.device)
            drawers = torch.as_tensor(drawers, device=self.device)
            images = random_affine(self.x_train[classes, drawers].flatten(0, 1), rng, self.max_rotation,
                                   self.max_shift)
            yield images.unflatten(0, classes.shape), classes

    @staticmethod
    def loss(model: torch.nn.Module, batch) -> torch.Tensor:
        images, labels = batch
        return F.cross_entropy(model(images, labels).flatten(0, 1), labels.flatten())

    @torch.inference_mode()
    def predict(self, model: torch.nn.Module) -> dict[str, np.ndarray]:
        """Per-position outputs on the saved test sequences, as docs/DESIGN.md lists them for sequence models."""
        model.eval()
        preds, p_targets = [], []
        for i in range(0, len(self.test_classes), self.eval_batch_size):
            classes = self.test_classes[i:i + self.eval_batch_size]
            images = self.x_test[classes, self.test_drawers[i:i + self.eval_batch_size]]
            log_probs = torch.log_softmax(model(images, classes).float(), dim=-1)
            preds.append(log_probs.argmax(-1))
            p_targets.append(log_probs.gather(-1, classes[..., None])[..., 0].exp())
        model.train()
        return {
            "target": self.test_classes.cpu().numpy().astype(np.int16),
            "pred": torch.cat(preds).cpu().numpy().astype(np.int16),
            "p_target": torch.cat(p_targets).cpu().numpy().astype(np.float32),
        }
