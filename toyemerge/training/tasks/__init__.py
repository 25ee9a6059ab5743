"""Training-side tasks: how a family's data becomes tensors, batches, a loss and saved outputs.

A task is built once per sweep (the data are loaded once, onto the device) and then trains and
evaluates every model of the family. Each kind of family has one module here, with a class that has:

    __init__(cfg, device)                      load the data once, as tensors on the device
    steps_per_epoch(batch_size) -> int
    epoch_batches(batch_size, generator)       one epoch of batches, ordered by the CPU generator
    loss(model, batch) -> scalar tensor
    predict(model) -> dict[str, np.ndarray]    per-example test outputs (docs/DESIGN.md's folder contract)

Its numpy twin (the metrics of those outputs) is the task kind of the same name in toyemerge.metrics.TASKS.
"""

from __future__ import annotations

from toyemerge.training.tasks.classification import ClassificationTask
from toyemerge.training.tasks.reconstruction import ReconstructionTask
from toyemerge.training.tasks.sequence import SequenceTask

TASKS = {"classification": ClassificationTask, "reconstruction": ReconstructionTask, "sequence": SequenceTask}


def make_task(cfg, device):
    """The training task of cfg.task (validated by toyemerge.schema), its data loaded onto `device`."""
    return TASKS[cfg.task](cfg, device)
