"""A model family: every (scale, seed) of an experiment config, each with its run config and id.

A run's id is `<model>-<knob><scale>-s<seed>-<hash>`, the hash covering everything that determines
the model's outputs: the task, the data settings and the fingerprint of the data arrays themselves
(toyemerge.data.fingerprint), the model (with the knob set to the scale), the training settings and
the seed. Where the data lie (data.root) and how runs are computed (compute.*) are not part of it.

Torch-free, so the export step can name runs without importing the training stack.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from omegaconf import DictConfig, OmegaConf

from toyemerge.data import MissingDataError, dataset_fingerprint
from toyemerge.errors import ConfigError, ToyemergeError
from toyemerge.store import RunStore, run_hash

log = logging.getLogger("toyemerge.training.family")

# Data keys that say where the data is, not what it is: they do not change a run's identity.
_DATA_LOCATION_KEYS = ("root", "allow_download")


@dataclass(frozen=True)
class RunSpec:
    scale: int
    seed: int
    config: dict
    run_id: str


def data_fingerprint(cfg: DictConfig, store: RunStore | None = None) -> str:
    """The fingerprint of the experiment's data set (loads it once; cached for a prepared file).

    Where the data is not here (an export of runs trained elsewhere), the fingerprint is the one
    recorded by the store's runs of this configuration, if they agree on one."""
    data = cfg.data
    try:
        return dataset_fingerprint(data.name, data.root, data.get("allow_download", True),
                                   **(data.get("options") or {}))
    except MissingDataError as missing:
        found = store_fingerprints(cfg, store) if store is not None else set()
        if len(found) == 1:
            log.info("[%s] %s; using the data fingerprint recorded by the runs in %s", cfg.experiment,
                     str(missing).split(" (")[0].split(". Fix")[0], store.root)
            return found.pop()
        if found:
            raise ToyemergeError(f"{missing} The store {store.root} holds runs of this configuration trained on "
                                 f"{len(found)} different data sets, so the data itself is needed.") from None
        raise


def store_fingerprints(cfg: DictConfig, store: RunStore) -> set[str]:
    """The data fingerprints recorded by the store's runs (complete or failed) of cfg's configuration."""
    knob = cfg.family.knob
    recipe = _recipe(run_config(cfg, 0, 0, ""), knob)
    found = set()
    for run_dir in store.root.glob(f"{cfg.model.name}-{cfg.family.knob}*"):
        if store.status(run_dir.name) in ("complete", "failed"):
            config = store.load_config(run_dir.name)
            if _recipe(config, knob) == recipe:
                found.add(config["data"]["fingerprint"])
    return found


def _recipe(config: dict, knob: str) -> str:
    """A run config without what differs between the runs of one family: scale, seed, data fingerprint."""
    return json.dumps({**config, "seed": None, "data": {**config["data"], "fingerprint": None},
                       "model": {k: v for k, v in config["model"].items() if k != knob}}, sort_keys=True)


def run_config(cfg: DictConfig, scale: int, seed: int, fingerprint: str) -> dict:
    """Everything that determines one trained model: task, data (with its fingerprint), model, training, seed."""
    model = OmegaConf.to_container(cfg.model, resolve=True)
    model[cfg.family.knob] = scale
    data = {k: v for k, v in OmegaConf.to_container(cfg.data, resolve=True).items() if k not in _DATA_LOCATION_KEYS}
    data["fingerprint"] = fingerprint
    train = OmegaConf.to_container(cfg.train, resolve=True)
    return {"task": cfg.task, "data": data, "model": model, "train": train, "seed": seed}


def run_spec(cfg: DictConfig, scale: int, seed: int, fingerprint: str) -> RunSpec:
    _check_scale(scale, cfg.family.knob)
    config = run_config(cfg, scale, int(seed), fingerprint)
    return RunSpec(scale, int(seed), config, f"{cfg.model.name}-{cfg.family.knob}{scale}-s{seed}-{run_hash(config)}")


def run_specs(cfg: DictConfig, selected_only: bool = True, fingerprint: str | None = None) -> list[RunSpec]:
    """The family's runs in scale-major order; `selected_only` applies the `scale=` / `seed=` filters."""
    scales = list(cfg.family.scales)
    seeds = list(cfg.seeds)
    if selected_only and cfg.get("scale") is not None:
        scales = [cfg.scale]
    if selected_only and cfg.get("seed") is not None:
        seeds = [cfg.seed]
    for scale in scales:
        _check_scale(scale, cfg.family.knob)
    fingerprint = fingerprint or data_fingerprint(cfg)
    return [run_spec(cfg, scale, seed, fingerprint) for scale in scales for seed in seeds]


def _check_scale(scale, knob: str) -> None:
    if isinstance(scale, bool) or not isinstance(scale, int) or scale < 1:
        raise ConfigError(f"family scale {knob}={scale!r} must be a positive integer")
