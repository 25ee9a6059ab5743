"""Train the seeds of one scale together, as one vmapped model (`compute.batch_seeds`).

The seeds of a scale share an architecture, so their parameters can be stacked along a new leading
axis and the task's own loss mapped over it with `torch.func.vmap`: one step of S small models
becomes one step of one model S times as wide, which removes the per-step overhead that dominates
tiny models. Each seed keeps its own initialisation (built after `seed_everything(seed)`, as in the
plain path), its own data order (its own generator) and its own Adam state. Adam is elementwise and
the summed loss gives each seed exactly its own gradient, so the result equals training the seeds
one by one up to floating-point summation order inside the batched kernels.

`compute.batch_seeds: auto` uses it on GPUs only: on this project's 2-core CPU the batched (grouped)
convolutions were slower than the plain path on an idle machine, at best 10 % faster on one
thread, and up to 75x slower on two threads when another process shared the cores (benchmarks/).
"""

from __future__ import annotations

import copy
import math
import time

import torch
from torch.func import functional_call, stack_module_state, vmap
from tqdm import tqdm

from toyemerge.training.fit import loss_check_due, make_optimizer, make_schedule, optimizer_step


def stack_batches(batches: tuple):
    """Per-seed batches (each a tensor or a tuple of tensors) → one batch with a leading seed axis."""
    if isinstance(batches[0], torch.Tensor):
        return torch.stack(batches)
    return tuple(torch.stack(parts) for parts in zip(*batches, strict=True))


def fit_seeds(models: list[torch.nn.Module], task, train_cfg, generators: list[torch.Generator],
              desc: str = "") -> list[dict]:
    """Train `models` (one per seed, same architecture) together; write the trained weights back.

    Returns one dict per seed: the plain path's stats (final loss, train_seconds as the group's
    time divided by the number of seeds, steps), or {"failed": reason} for a seed whose loss
    turned non-finite. A diverged seed does not disturb the others: their gradients and optimizer
    states never mix.
    """
    n_seeds = len(models)
    params, buffers = stack_module_state(models)
    template = copy.deepcopy(models[0]).to("meta")  # the architecture, without storage

    def seed_loss(seed_params, seed_buffers, batch):
        return task.loss(lambda *inputs: functional_call(template, (seed_params, seed_buffers), inputs), batch)

    batched_loss = vmap(seed_loss, randomness="error")  # a model with dropout would need its own design
    optimizer = make_optimizer(params.values(), train_cfg)
    total = train_cfg.epochs * task.steps_per_epoch(train_cfg.batch_size)
    schedule = make_schedule(optimizer, train_cfg, total)
    failed: dict[int, str] = {}
    loss_values = [float("nan")] * n_seeds
    start = time.perf_counter()
    done = 0
    with tqdm(total=total, desc=desc, leave=False, disable=None, mininterval=1.0) as bar:
        for epoch in range(train_cfg.epochs):
            epochs = [task.epoch_batches(train_cfg.batch_size, g) for g in generators]
            for step, batches in enumerate(zip(*epochs, strict=True)):
                losses = batched_loss(params, buffers, stack_batches(batches))
                optimizer_step(losses.sum(), optimizer, schedule)
                done += 1
                if loss_check_due(step, done, total):
                    loss_values = losses.tolist()
                    for seed_index, value in enumerate(loss_values):
                        if not math.isfinite(value) and seed_index not in failed:
                            failed[seed_index] = f"loss became {value} at epoch {epoch}, step {step}"
                    bar.set_postfix(loss=f"{min(loss_values):.4f}", refresh=False)
                bar.update()
    seconds = (time.perf_counter() - start) / n_seeds
    _unstack_into(models, params, buffers)
    return [{"failed": failed[i]} if i in failed else
            {"final_train_loss": loss_values[i], "train_seconds": seconds, "steps": total, "batched_seeds": n_seeds}
            for i in range(n_seeds)]


@torch.no_grad()
def _unstack_into(models: list[torch.nn.Module], params: dict, buffers: dict) -> None:
    for name, stacked in params.items():
        for model, value in zip(models, stacked, strict=True):
            model.get_parameter(name).copy_(value)
    for name, stacked in buffers.items():
        for model, value in zip(models, stacked, strict=True):
            model.get_buffer(name).copy_(value)
