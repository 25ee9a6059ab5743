"""Seed-batched training (vmap over the seeds of one scale) equals the plain path and stays deterministic."""

import json

import numpy as np
import pytest
import torch
from omegaconf import OmegaConf

from tests.helpers import read_csv, tiny_family, tiny_training_config
from toyemerge.models import build_model
from toyemerge.training.fit import fit, seed_everything
from toyemerge.training.fit_seeds import fit_seeds
from toyemerge.training.tasks import make_task

SEEDS = (0, 1, 2)
LENET = {"name": "lenet", "width": 4, "reference_width": 42}

pytestmark = pytest.mark.usefixtures("repo_cwd")


def seeded(model_cfg, seed, channels_last=False):
    generator = seed_everything(seed)
    model = build_model(model_cfg)
    return (model.to(memory_format=torch.channels_last) if channels_last else model), generator


def train_plain(task, cfg, model_cfg):
    outputs = []
    for seed in SEEDS:
        model, generator = seeded(model_cfg, seed)
        fit(model, task, cfg.train, generator)
        outputs.append(task.predict(model))
    return outputs


def train_batched(task, cfg, model_cfg, channels_last=False):
    models, generators = zip(*(seeded(model_cfg, seed, channels_last) for seed in SEEDS), strict=True)
    stats = fit_seeds(list(models), task, cfg.train, list(generators))
    return [task.predict(model) for model in models], stats


def test_batched_seeds_match_plain_training(tiny_mnist_root):
    cfg = tiny_training_config(tiny_mnist_root, "train.lr=3e-3", "train.schedule=onecycle")
    task = make_task(cfg, torch.device("cpu"))
    plain = train_plain(task, cfg, LENET)
    batched, stats = train_batched(task, cfg, LENET)
    for a, b in zip(plain, batched, strict=True):
        np.testing.assert_allclose(a["p_target"], b["p_target"], rtol=1e-3, atol=1e-4)
        assert (a["pred"] == b["pred"]).mean() >= 0.99
    assert not np.allclose(batched[0]["p_target"], batched[1]["p_target"])  # seeds stayed distinct
    assert [(s["batched_seeds"], s["steps"]) for s in stats] == [(3, 8)] * len(SEEDS)


def test_batched_seeds_are_deterministic_on_cpu(tiny_mnist_root):
    cfg = tiny_training_config(tiny_mnist_root)
    task = make_task(cfg, torch.device("cpu"))
    first, _ = train_batched(task, cfg, LENET, channels_last=True)
    second, _ = train_batched(task, cfg, LENET, channels_last=True)
    for a, b in zip(first, second, strict=True):
        for key in a:
            np.testing.assert_array_equal(a[key], b[key])


def test_autoencoder_seeds_batch_too(tiny_mnist_root):
    cfg = tiny_training_config(tiny_mnist_root, exp="mnist_autoencoder")
    task = make_task(cfg, torch.device("cpu"))
    model_cfg = {**OmegaConf.to_container(cfg.model), "n_hidden": 8}
    plain = train_plain(task, cfg, model_cfg)
    batched, _ = train_batched(task, cfg, model_cfg)
    for a, b in zip(plain, batched, strict=True):
        np.testing.assert_allclose(a["sq_err"], b["sq_err"], rtol=1e-3, atol=1e-6)


class PoisonedSeed:
    """The real task, feeding NaN images to the one seed whose data-order generator is `generator`."""

    def __init__(self, task, generator):
        self.task, self.generator = task, generator

    def __getattr__(self, name):
        return getattr(self.task, name)

    def epoch_batches(self, batch_size, generator):
        for x, y in self.task.epoch_batches(batch_size, generator):
            yield (x * float("nan"), y) if generator is self.generator else (x, y)


def test_a_diverging_seed_fails_alone(tiny_mnist_root):
    cfg = tiny_training_config(tiny_mnist_root)
    task = make_task(cfg, torch.device("cpu"))
    healthy, _ = train_batched(task, cfg, LENET)
    models, generators = zip(*(seeded(LENET, seed) for seed in SEEDS), strict=True)
    stats = fit_seeds(list(models), PoisonedSeed(task, generators[1]), cfg.train, list(generators))
    assert "loss became nan" in stats[1]["failed"]
    assert "failed" not in stats[0] and "failed" not in stats[2]
    for index in (0, 2):  # the other seeds trained exactly as they do beside a healthy one
        np.testing.assert_array_equal(task.predict(models[index])["p_target"], healthy[index]["p_target"])


def test_the_sweep_trains_seed_groups_and_saves_every_run(tiny_mnist_root, tmp_path, cli):
    """`compute.batch_seeds=true` through the command: one vmapped group per scale, one saved run per seed."""
    ran = cli("toyemerge.train", *tiny_family(tmp_path, tiny_mnist_root, "seeds=[0,1]", "compute.batch_seeds=true",
                                              "analysis.enabled=false"))
    assert ran.status == 0, ran.err
    runs = read_csv(tmp_path / "experiments" / "mnist" / "runs.csv")
    assert {(r["width"], r["seed"], r["status"]) for r in runs} == {
        (w, s, "complete") for w in ("1", "2") for s in ("0", "1")}
    metrics = [json.loads(p.read_text()) for p in (tmp_path / "runs").glob("*/metrics.json")]
    assert len(metrics) == 4 and all(m["batched_seeds"] == 2 for m in metrics)
