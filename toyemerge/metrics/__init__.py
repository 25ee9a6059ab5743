"""Metrics: pure numpy/scipy functions of saved per-example outputs, one module per task kind.

Each module defines its metrics once (formula in the docstring), the per-unit arrays they are means
of, its sharp metric's parameter and how to predict the sharp metric from the smooth one
(toyemerge.metrics.base). results.csv, curves.csv, the analysis and the explorer page all call it.
Never imports torch.
"""

from __future__ import annotations

from toyemerge.errors import ConfigError
from toyemerge.metrics.base import TaskKind
from toyemerge.metrics.classification import Classification
from toyemerge.metrics.reconstruction import Reconstruction
from toyemerge.metrics.sequence import SequenceLabelling

# The one registry of task kinds on the numpy side (cfg.task → its metrics). Training's twin, which
# turns data into tensors and a trained model into these outputs, is toyemerge.training.tasks.TASKS.
TASKS: dict[str, type[TaskKind]] = {kind.name: kind for kind in (Classification, SequenceLabelling, Reconstruction)}


def task_kind(name: str) -> type[TaskKind]:
    if name not in TASKS:
        raise ConfigError(f"task = {name!r} is not a task kind toyemerge knows; known: {', '.join(sorted(TASKS))}")
    return TASKS[name]
