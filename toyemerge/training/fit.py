"""The training loop shared by every family: seeded, whole-tensor batches, stop on a non-finite loss."""

from __future__ import annotations

import math
import time

import torch
from tqdm import tqdm

from toyemerge.errors import ConfigError


class NonFiniteLossError(FloatingPointError):
    """Training produced a NaN or infinite loss; the run is stopped rather than saved."""


def resolve_device(name: str) -> torch.device:
    """`auto` → CUDA when available, else CPU; `cpu`, `cuda` or `cuda:<index>` as asked, if present."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device={name}, but torch sees no CUDA GPU here (torch {torch.__version__}); "
                          f"use device=auto or device=cpu")
    if device.type == "cuda" and (device.index or 0) >= torch.cuda.device_count():
        raise ConfigError(f"device={name}, but torch sees {torch.cuda.device_count()} CUDA GPU(s) here; "
                          f"use device=cuda or device=auto")
    return device


def set_threads(threads: int | None) -> None:
    """Use `threads` CPU threads for torch's kernels (None: torch's default, one per core).

    With several sweeps on one machine, give each threads=1: oversubscribed cores slow small
    models far more than a fair share would.
    """
    if threads is not None:
        torch.set_num_threads(int(threads))


def seed_everything(seed: int) -> torch.Generator:
    """Seed torch's global RNG (model init) and return a CPU generator for the data order."""
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def make_optimizer(params, train_cfg) -> torch.optim.Optimizer:
    if train_cfg.optimizer == "adam":
        return torch.optim.Adam(params, lr=train_cfg.lr, weight_decay=train_cfg.weight_decay)
    if train_cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=train_cfg.lr, momentum=train_cfg.momentum,
                               weight_decay=train_cfg.weight_decay)
    raise ValueError(f"unknown optimizer '{train_cfg.optimizer}' (adam or sgd)")


def make_schedule(optimizer: torch.optim.Optimizer, train_cfg, total_steps: int):
    """Per-step learning-rate schedule: `constant`, or `onecycle` (warm-up, then cosine decay)."""
    if train_cfg.schedule == "constant":
        return None
    if train_cfg.schedule == "onecycle":
        return torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=train_cfg.lr, total_steps=total_steps,
            pct_start=train_cfg.warmup_fraction, anneal_strategy="cos")
    raise ValueError(f"unknown schedule '{train_cfg.schedule}' (constant or onecycle)")


def optimizer_step(loss: torch.Tensor, optimizer: torch.optim.Optimizer, schedule) -> None:
    """One update from `loss`, then one step of the per-step learning-rate schedule (if any)."""
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    if schedule is not None:
        schedule.step()


def loss_check_due(step: int, done: int, total: int) -> bool:
    """Read the loss back every 50th step of an epoch and at the last step: reading it syncs the GPU."""
    return step % 50 == 0 or done == total


def fit(model: torch.nn.Module, task, train_cfg, generator: torch.Generator, desc: str = "") -> dict:
    """Train `model` on `task` for train_cfg.epochs epochs; return the final loss and timings."""
    optimizer = make_optimizer(model.parameters(), train_cfg)
    total = train_cfg.epochs * task.steps_per_epoch(train_cfg.batch_size)
    schedule = make_schedule(optimizer, train_cfg, total)
    model.train()
    start = time.perf_counter()
    loss_value, done = float("nan"), 0
    with tqdm(total=total, desc=desc, leave=False, disable=None, mininterval=1.0) as bar:
        for epoch in range(train_cfg.epochs):
            for step, batch in enumerate(task.epoch_batches(train_cfg.batch_size, generator)):
                loss = task.loss(model, batch)
                optimizer_step(loss, optimizer, schedule)
                done += 1
                if loss_check_due(step, done, total):
                    loss_value = loss.item()
                    if not math.isfinite(loss_value):
                        raise NonFiniteLossError(f"loss became {loss_value} at epoch {epoch}, step {step}")
                    bar.set_postfix(loss=f"{loss_value:.4f}", refresh=False)
                bar.update()
    if not math.isfinite(loss_value):
        raise NonFiniteLossError(f"final loss is {loss_value}")
    return {"final_train_loss": loss_value, "train_seconds": time.perf_counter() - start, "steps": total}
