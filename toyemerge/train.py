"""Train a whole model family: `python -m toyemerge.train +exp=mnist`.

Trains every (scale, seed) of the experiment that the run store does not already hold, saves each
model's per-example test outputs, then exports experiments/<exp>/ and re-draws its figures.
`scale=` and `seed=` restrict the sweep to one value each (for launcher jobs); `export=false` skips
the export step (`+launch=<engine>` runs one such job per (scale, seed), then exports once).
Sweeps sharing one store never train the same run at once (per-run locks); a run whose loss turns
non-finite is recorded as failed with its reason and the sweep goes on.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import hydra
import torch
from omegaconf import DictConfig

from toyemerge.errors import user_errors
from toyemerge.experiment import require_experiment, require_writable
from toyemerge.export import experiment_dir, export_and_draw
from toyemerge.family import RunSpec, run_specs
from toyemerge.fit import NonFiniteLossError, fit, resolve_device, seed_everything
from toyemerge.launch import register_resolvers
from toyemerge.models import build_model, count_params
from toyemerge.scoring import scorer
from toyemerge.store import RunStore, remove_stale_temps
from toyemerge.tasks import make_task

log = logging.getLogger("toyemerge.train")
register_resolvers()  # conf/launch/ presets sweep over ${sweep_values:${family.scales}}


def train_run(cfg: DictConfig, task, spec: RunSpec, store: RunStore, device: torch.device) -> dict:
    """Train one model of the family, score its outputs and save the run; return its metrics."""
    generator = seed_everything(spec.seed)
    model = build_model(spec.config["model"]).to(device)
    n_params = count_params(model)
    label = f"{cfg.family.knob}={spec.scale} seed={spec.seed}"
    try:
        stats = fit(model, task, cfg.train, generator, desc=f"[{cfg.experiment}] {label}")
    except NonFiniteLossError as e:
        store.save_failed(spec.run_id, spec.config, str(e), {"n_params": n_params})
        log.error("[%s] %s  params %s  FAILED: %s (recorded; the sweep goes on)", cfg.experiment, label,
                  f"{n_params:,}", e)
        return {"n_params": n_params, "failed": str(e)}
    start = time.perf_counter()
    outputs = task.predict(model)
    scorer(cfg.task).score(outputs, cfg.metrics)  # a metric config that cannot work fails before any save
    test = scorer(cfg.task).summary(outputs)
    metrics = {"n_params": n_params, **stats, "eval_seconds": time.perf_counter() - start,
               "test": test, "device": str(device), "torch": torch.__version__}
    store.save(spec.run_id, spec.config, metrics, outputs)
    smooth = "  ".join(f"test {k} {v:.4f}" for k, v in test.items())
    log.info("[%s] %s  params %s  %.1f s  %s", cfg.experiment, label, f"{n_params:,}",
             stats["train_seconds"], smooth)
    return metrics


def needs_training(status: str, retry_failed: bool) -> bool:
    """A run in the store needs training when missing, corrupt, or failed and retry_failed is set."""
    return status in ("missing", "corrupt") or (status == "failed" and retry_failed)


def pending(cfg: DictConfig, store: RunStore, specs: list[RunSpec]) -> list[RunSpec]:
    """The runs still to train, saying why a corrupt or failed run is (or is not) among them."""
    todo = []
    for spec in specs:
        status = store.status(spec.run_id)
        if status == "corrupt":
            log.warning("[%s] run %s does not match its marker: training it again", cfg.experiment, spec.run_id)
        if status == "failed" and not cfg.retry_failed:
            log.warning("[%s] run %s failed before (%s); retry_failed=true trains it again", cfg.experiment,
                        spec.run_id, store.failure(spec.run_id)["reason"])
        if needs_training(status, cfg.retry_failed):
            todo.append(spec)
    return todo


def train_family(cfg: DictConfig) -> None:
    store = RunStore(cfg.store)
    specs = run_specs(cfg)
    require_writable(store.root)
    if removed := remove_stale_temps(store.root):
        log.info("[%s] removed %d temporary files left by killed sweeps", cfg.experiment, removed)
    if cfg.export:
        require_writable(experiment_dir(cfg), Path(cfg.paths.figures))
    todo = pending(cfg, store, specs)
    one_model = len(specs) == len(todo) == 1  # a launcher job: the model's own line says it all
    log.log(logging.DEBUG if one_model else logging.INFO, "[%s] %d runs selected: %d already in %s, %d to train",
            cfg.experiment, len(specs), len(specs) - len(todo), store.root, len(todo))
    device = resolve_device(cfg.device)
    task = None

    def train_if_free(spec: RunSpec, wait: bool) -> bool:
        """Train `spec` under its lock; False if another sweep holds it and `wait` is off."""
        nonlocal task
        with store.lock(spec.run_id, wait=wait) as held:
            if not held:
                return False
            if needs_training(store.status(spec.run_id), cfg.retry_failed):  # another sweep may have done it
                if task is None:  # load the data only when something needs training
                    start = time.perf_counter()
                    task = make_task(cfg, device)
                    log.log(logging.DEBUG if one_model else logging.INFO, "[%s] data on %s in %.1f s",
                            cfg.experiment, device, time.perf_counter() - start)
                train_run(cfg, task, spec, store, device)
            return True

    held_elsewhere = [spec for spec in todo if not train_if_free(spec, wait=False)]
    for spec in held_elsewhere:  # wait for the other sweep; train the run ourselves if it died
        train_if_free(spec, wait=True)
    if cfg.export:
        export_and_draw(cfg, store)


@hydra.main(version_base="1.3", config_path="../conf", config_name="config")
def main(cfg: DictConfig) -> None:
    require_experiment(cfg)
    with user_errors():
        train_family(cfg)


if __name__ == "__main__":
    main()
