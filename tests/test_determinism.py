"""Same seed, same numbers on CPU; a different seed, different numbers; non-finite loss stops a run."""

import numpy as np
import pytest
import torch

from tests.helpers import tiny_training_config
from toyemerge.models import build_model
from toyemerge.training.fit import NonFiniteLossError, fit, seed_everything
from toyemerge.training.tasks import make_task

pytestmark = pytest.mark.usefixtures("repo_cwd")


def train_once(task, cfg, seed):
    generator = seed_everything(seed)
    model = build_model({"name": "lenet", "width": 4, "reference_width": 42})
    fit(model, task, cfg.train, generator)
    return task.predict(model)


def test_same_seed_gives_identical_outputs_on_cpu(tiny_mnist_root):
    cfg = tiny_training_config(tiny_mnist_root)
    task = make_task(cfg, torch.device("cpu"))
    a, b, c = train_once(task, cfg, 0), train_once(task, cfg, 0), train_once(task, cfg, 1)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    assert not np.array_equal(a["p_target"], c["p_target"])


class DivergingTask:
    """The real task, whose loss turns NaN after a few steps (as a diverging run's would)."""

    def __init__(self, task, after: int):
        self.task, self.after, self.calls = task, after, 0

    def __getattr__(self, name):
        return getattr(self.task, name)

    def loss(self, model, batch):
        self.calls += 1
        loss = self.task.loss(model, batch)
        return loss * float("nan") if self.calls > self.after else loss


@pytest.mark.parametrize("after", [0, 3])
def test_non_finite_loss_stops_the_run(tiny_mnist_root, after):
    cfg = tiny_training_config(tiny_mnist_root)
    task = DivergingTask(make_task(cfg, torch.device("cpu")), after)
    with pytest.raises(NonFiniteLossError, match="loss became nan"):
        train_once(task, cfg, 0)
