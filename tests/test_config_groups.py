"""The config groups (conf/task, conf/model, conf/data, conf/family) changed how the YAML is laid out, never
what it composes: each command line below gives the config it gave before the split.

tests/data/composed_configs.json holds what the configs of commit 67f2bac (one self-contained file per
experiment) composed for these command lines. It was written by this module:

    git archive 67f2bac conf | tar -x -C /tmp/before
    PYTHONPATH=. python -m tests.test_config_groups write /tmp/before/conf tests/data/composed_configs.json

and `python -m tests.test_config_groups compare /tmp/before/conf` compares the two conf/ folders directly
(also key order, which the test leaves aside: it changes no value, only the order of an exported
config.yaml's lines).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.errors import MissingConfigException
from omegaconf import OmegaConf, open_dict

from toyemerge.experiment import CONF_DIR
from toyemerge.launch import register_resolvers

FIXTURE = Path(__file__).parent / "data" / "composed_configs.json"

# The command lines users run (README, experiments/*/README.md, the tests), as override lists.
OVERRIDES = [
    [],  # no experiment: the entry points then say "no experiment chosen"
    ["+exp=mnist"],
    ["+exp=mnist", "+preset=lesson"],
    ["+exp=cifar100"],
    ["+exp=mnist_autoencoder"],
    ["+exp=omniglot"],
    ["+exp=omniglot_autoencoder"],
    ["+exp=mnist", "+launch=joblib"],
    ["+exp=mnist", "+launch=slurm"],
    ["+exp=mnist", "+launch=submitit_local"],
    ["+exp=mnist", "+launch=family_grid"],
    ["+exp=mnist", "+preset=lesson", "+launch=joblib"],
    ["+exp=cifar100", "+launch=slurm"],
    ["+exp=mnist", "train.epochs=8"],
    ["+exp=mnist", "metrics.subset_k=[1,2,5,10,20]"],
    ["+exp=omniglot_autoencoder", "metrics.cutoffs=[0.001]"],
    ["+exp=mnist", "seed=1", "scale=42"],
    ["+exp=mnist", "train.epochs=8", "experiment=mnist_8_epochs", "device=cuda"],
    ["+exp=mnist_autoencoder", "+launch=joblib", "family.scales=[2,8]", "seeds=[3]"],
    # overrides of values that the groups now set, or that others interpolate
    ["+exp=cifar100", "explore.title=Mine"],
    ["+exp=mnist_autoencoder", "model.activation=tanh", "data.stored_examples=4", "analysis.sharpness_log_x=false"],
    ["+exp=omniglot_autoencoder", "data.image_size=14", "model.n_inputs=196"],
    ["+exp=omniglot", "data.sequence_length=4", "metrics.lengths=[1,2,3,4]", "data.image_size=32"],
    ["+exp=omniglot", "figures.accuracy.title=Mine", "model.depth=3"],
    ["+exp=mnist", "model.reference_width=21", "data.mean=0.5", "figures.subset_accuracy.params=[1,2]"],
]

# What of the hydra node the configs set (conf/config.yaml's hydra: block, the launch presets).
HYDRA_KEYS = ["mode", "run", "sweep", "job.chdir", "callbacks", "sweeper.params", "launcher"]


def name(overrides: list[str]) -> str:
    return " ".join(overrides) or "(no +exp)"


def composed(conf_dir: Path, overrides: list[str]) -> dict:
    """The config and the set parts of the hydra node that `overrides` compose from `conf_dir`."""
    register_resolvers()
    with initialize_config_dir(config_dir=str(conf_dir), version_base="1.3"):
        cfg = compose("config", overrides=list(overrides), return_hydra_config=True)
    hydra = OmegaConf.to_container(cfg.hydra, resolve=False)
    params = cfg.hydra.sweeper.get("params")
    resolved_params = OmegaConf.to_container(params, resolve=True) if params else None
    with open_dict(cfg):
        del cfg["hydra"]  # hydra.sweep.subdir does not resolve outside a run
    config = OmegaConf.to_container(cfg, resolve=True)
    picked = {}
    for key in HYDRA_KEYS:
        node = hydra
        for part in key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        picked[key] = node.name if hasattr(node, "name") else node  # mode: an enum
    picked["sweeper.params (resolved)"] = resolved_params
    return {"config": config, "hydra": picked}


def compose_all(conf_dir: Path) -> dict:
    return {name(o): composed(conf_dir, o) for o in OVERRIDES}


def expected() -> dict:
    return json.loads(FIXTURE.read_text())


def test_the_fixture_covers_every_command_line():
    assert list(expected()) == [name(o) for o in OVERRIDES]


@pytest.mark.parametrize("overrides", OVERRIDES, ids=name)
def test_the_groups_compose_what_the_experiment_files_composed(overrides):
    before, after = expected()[name(overrides)], json.loads(json.dumps(composed(CONF_DIR, overrides)))
    assert after["config"] == before["config"]
    assert after["hydra"] == before["hydra"]


def test_without_an_experiment_the_entry_points_can_say_so():
    config = composed(CONF_DIR, [])["config"]
    assert config["experiment"] is None and config["task"] is None
    assert "model" not in config and "family" not in config


def test_an_unknown_experiment_lists_the_experiments_and_nothing_else():
    with pytest.raises(MissingConfigException) as err:
        composed(CONF_DIR, ["+exp=nope"])
    options = str(err.value).split("Available options in 'exp':")[1].split("Config search path")[0].split()
    assert options == sorted(p.stem for p in (CONF_DIR / "exp").glob("*.yaml"))


def _diff(a, b, path="") -> list[str]:
    """Where a and b differ, key order included."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = [] if list(a) == list(b) else [f"{path or '.'}: key order {list(a)} -> {list(b)}"]
        for k in a.keys() | b.keys():
            if k not in a or k not in b:
                out.append(f"{path}{k}: {'only after' if k in b else 'only before'}")
            else:
                out += _diff(a[k], b[k], f"{path}{k}.")
        return out
    return [] if a == b and type(a) is type(b) else [f"{path.rstrip('.')}: {a!r} -> {b!r}"]


if __name__ == "__main__":
    command, conf = sys.argv[1], Path(sys.argv[2]).resolve()
    if command == "write":
        Path(sys.argv[3]).write_text(json.dumps(compose_all(conf), indent=1, ensure_ascii=False) + "\n")
    elif command == "compare":
        before, after = compose_all(conf), compose_all(CONF_DIR)
        for key in before:
            diffs = _diff(before[key], after[key])
            values = [d for d in diffs if ": key order " not in d]
            print(f"{'OK  ' if not values else 'DIFF'} {key}" + (f"  ({len(diffs)} key-order changes)"
                                                                if diffs and not values else ""))
            for d in diffs:
                print("      " + d)
        sys.exit(any(v for key in before for v in _diff(before[key], after[key]) if ": key order " not in v))
