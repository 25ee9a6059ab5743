"""The config schema: which keys exist, what each may hold, checked once, before anything runs.

Every entry point validates the composed config first, so that a typo'd key (`+train.epoch=4`), a
value of the wrong type (`train.epochs=abc`) or out of range (`train.batch_size=0`,
`metrics.confidence=2`) is one line naming the key, the value and what is allowed, before anything
is trained or written. The defaults themselves live in the YAML files under conf/; this module
only says what is allowed. The keys of `data`, `model`, `train` and `metrics` depend on the
experiment's task, model and dataset, as the code that reads them does.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from toyemerge.errors import ConfigError


@dataclass(frozen=True)
class Rule:
    """What a key may hold: a test and its description in words, for the error message."""

    allowed: str
    test: Callable[[Any], bool]
    optional: bool = False  # may be left out (the code has a default)

    def __or__(self, other: Rule) -> Rule:
        return Rule(f"{self.allowed}, or {other.allowed}", lambda v: self.test(v) or other.test(v))


def optional(rule: Rule) -> Rule:
    return Rule(rule.allowed, rule.test, optional=True)


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def integer(low: int | None = None, high: int | None = None) -> Rule:
    words = ("an integer" + (f" ≥ {low}" if low is not None else "") + (f" ≤ {high}" if high is not None else ""))
    return Rule(words, lambda v: _is_int(v) and (low is None or v >= low) and (high is None or v <= high))


def number(above: float | None = None, below: float | None = None, at_least: float | None = None) -> Rule:
    parts = [f"> {above:g}" if above is not None else "", f"≥ {at_least:g}" if at_least is not None else "",
             f"< {below:g}" if below is not None else ""]
    words = "a finite number" + (" " + " and ".join(p for p in parts if p) if any(parts) else "")
    return Rule(words, lambda v: _is_number(v) and (above is None or v > above) and (below is None or v < below)
                and (at_least is None or v >= at_least))


def listof(item: Rule, nonempty: bool = True, unique: bool = False, length: int | None = None) -> Rule:
    size = f"list of {length} " if length is not None else f"{'non-empty ' if nonempty else ''}list of "
    words = f"a {size}{'distinct ' if unique else ''}values, each {item.allowed}"
    return Rule(words, lambda v: isinstance(v, list) and (len(v) > 0 or not nonempty)
                and (length is None or len(v) == length)
                and all(item.test(x) for x in v) and (not unique or len(set(map(repr, v))) == len(v)))


def choice(*options) -> Rule:
    return Rule("one of " + ", ".join(str(o) for o in options), lambda v: any(v == o and type(v) is type(o)
                                                                             for o in options))


BOOL = Rule("true or false", lambda v: isinstance(v, bool))
TEXT = Rule("a non-empty string", lambda v: isinstance(v, str) and v != "")
NULL = Rule("null", lambda v: v is None)
ANY = Rule("anything", lambda v: True)
DEVICE = Rule("auto, cpu, cuda or cuda:<index>",
              lambda v: isinstance(v, str) and re.fullmatch(r"auto|cpu|cuda(:\d+)?", v) is not None)
POSITIVE = integer(1)
FRACTION = number(above=0, below=1)
SHARPNESS = (listof(number()) | NULL
             | Rule("{first, last} (integers)", lambda v: isinstance(v, dict) and set(v) == {"first", "last"}
                    and _is_int(v["first"]) and _is_int(v["last"]) and 1 <= v["first"] <= v["last"])
             | Rule("{min, max, num, log}", lambda v: isinstance(v, dict) and set(v) <= {"min", "max", "num", "log"}
                    and {"min", "max", "num"} <= set(v) and _is_number(v["min"]) and _is_number(v["max"])
                    and 0 < v["min"] < v["max"] and _is_int(v["num"]) and v["num"] >= 2
                    and isinstance(v.get("log", False), bool)))

# Keys every experiment has. A dict value is a section; a Rule is a leaf.
COMMON: dict = {
    "experiment": TEXT, "task": choice("classification", "reconstruction", "sequence"),
    "seeds": listof(integer(0), unique=True), "seed": integer(0) | NULL, "scale": POSITIVE | NULL,
    "device": DEVICE, "store": TEXT, "export": BOOL, "retry_failed": BOOL,
    "compute": {"workers": POSITIVE | choice("auto"), "threads": POSITIVE | NULL, "channels_last": BOOL,
                "batch_seeds": BOOL | choice("auto")},
    "paths": {"experiments": TEXT, "figures": TEXT},
    "family": {"knob": TEXT, "scales": listof(POSITIVE, unique=True)},
    "train": {"optimizer": choice("adam", "sgd"), "lr": number(above=0), "schedule": choice("constant", "onecycle"),
              "warmup_fraction": FRACTION, "weight_decay": number(at_least=0), "momentum": number(at_least=0, below=1),
              "epochs": POSITIVE, "batch_size": POSITIVE, "eval_batch_size": POSITIVE},
    "metrics": {"confidence": FRACTION},
    "analysis": {"enabled": BOOL, "bootstrap_resamples": integer(0), "confidence": FRACTION, "seed": integer(0),
                 "subset_sizes": listof(POSITIVE), "sampling_every": listof(POSITIVE), "fit_fraction": FRACTION,
                 "sharpness": SHARPNESS,
                 "resolution_param": number(above=0), "sharpness_log_x": BOOL},
    "explore": {"output": TEXT | NULL, "title": TEXT, "test_sizes": listof(POSITIVE, nonempty=False),
                "sampling_every": listof(POSITIVE), "bootstrap_resamples": POSITIVE,
                "start_param": number(above=0), "near_zero": number(at_least=0, below=1),
                "screenshot": TEXT | NULL, "with_figures": BOOL},
}  # and `figures`: one entry per figure, each checked against FIGURE
FIGURE = {"metric": TEXT, "params": listof(number(above=0)) | NULL, "param_label": TEXT | NULL,
          "show_ci": BOOL | NULL, "ylabel": TEXT | NULL, "title": TEXT | NULL, "logy": BOOL | NULL}
DATA_LOCATION = {"name": choice("mnist", "cifar100", "omniglot"), "root": TEXT | NULL, "allow_download": BOOL,
                 "options": {"verify_md5": BOOL}}  # CIFAR-100 only: false admits synthetic test data
NORMALISE = {"mean": number(), "std": number(above=0)}
# What each task kind reads: its data settings, training extras, metric parameters, metric names.
TASKS = {
    "classification": {
        "data": NORMALISE, "train": {},
        "metrics": {"subset_k": listof(POSITIVE, unique=True), "group_seed": integer(0)},
        "names": ("accuracy", "cross_entropy", "log_prob", "brier", "subset_accuracy", "subset_accuracy_sampled"),
    },
    "reconstruction": {
        "data": {"train_images": TEXT, "test_images": TEXT, "stored_examples": POSITIVE, "image_size": POSITIVE | NULL},
        "train": {},
        "metrics": {"cutoffs": listof(number(above=0), unique=True), "cutoff_quantiles": listof(FRACTION)},
        "names": ("mse", "psnr", "reconstruction"),
    },
    "sequence": {
        "data": {**NORMALISE, "alphabets": listof(TEXT, unique=True) | NULL, "train_drawers": listof(
            integer(1, 20), unique=True), "test_drawers": listof(integer(1, 20), unique=True),
            "image_size": POSITIVE, "sequence_length": POSITIVE, "test_sequences": POSITIVE, "test_seed": integer(0)},
        "train": {"steps_per_epoch": POSITIVE, "augment": {"max_rotation": number(at_least=0),
                                                           "max_shift": number(at_least=0)}},
        "metrics": {"lengths": listof(POSITIVE, unique=True)},
        "names": ("accuracy", "cross_entropy", "all_correct", "edit_distance"),
    },
}
# The constructor arguments of each model (toyemerge.models), less the scale knob the family sets.
# Arguments with a default in the constructor may be left out.
ACTIVATION = choice("relu", "sigmoid", "tanh", "identity")
MODELS = {
    "lenet": {"reference_width": optional(POSITIVE), "in_channels": optional(POSITIVE),
              "image_size": optional(POSITIVE), "n_classes": optional(integer(2)),
              "base": optional(listof(POSITIVE, length=4)), "activation": optional(choice("relu", "tanh"))},
    "autoencoder": {"n_inputs": POSITIVE, "activation": optional(ACTIVATION), "output": optional(ACTIVATION)},
    "transformer": {"n_classes": integer(2), "max_len": optional(POSITIVE), "depth": optional(POSITIVE),
                    "head_dim": optional(POSITIVE), "image_size": optional(POSITIVE)},
}


def validate(cfg: DictConfig) -> None:
    """Raise one ConfigError naming the first key whose value is not allowed (or that does not exist)."""
    try:
        config = OmegaConf.to_container(cfg, resolve=True)
    except OmegaConfBaseException as e:
        raise ConfigError(f"the config does not resolve: {str(e).splitlines()[0]}") from None
    config.pop("hydra", None)
    figures = config.pop("figures", None) or {}
    _check(config, experiment_schema(config), "")
    for name, spec in figures.items():
        _check(spec, FIGURE, f"figures.{name}.")
        if spec.get("metric") not in TASKS[config["task"]]["names"]:
            raise ConfigError(f"figures.{name}.metric = {spec.get('metric')!r} is not a metric of the "
                              f"{config['task']} task; allowed: {', '.join(TASKS[config['task']]['names'])}")
    _check_across(config)


def experiment_schema(config: dict) -> dict:
    """The schema of this experiment: the common keys, and those of its task, model and dataset."""
    task = config.get("task")
    _leaf(task, COMMON["task"], "task")
    model = (config.get("model") or {}).get("name")
    _leaf(model, choice(*MODELS), "model.name")
    knob = (config.get("family") or {}).get("knob")
    extra = TASKS[task]
    schema = dict(COMMON)
    schema["data"] = {**DATA_LOCATION, **extra["data"]}
    schema["model"] = {"name": TEXT, **{k: v for k, v in MODELS[model].items() if k != knob}}
    schema["train"] = {**COMMON["train"], **extra["train"]}
    schema["metrics"] = {**COMMON["metrics"], **extra["metrics"]}
    return schema


def _check(section, schema: dict, prefix: str) -> None:
    """Every key of `section` known, every required key there, every value allowed; sections recursively."""
    if not isinstance(section, dict):
        raise ConfigError(f"{prefix.rstrip('.')} = {_show(section)} is not allowed: it is a section with the keys "
                          f"{', '.join(schema)}")
    for key in section:
        if key not in schema:
            raise ConfigError(_unknown(prefix + key, list(schema)))
    for key, rule in schema.items():
        if isinstance(rule, dict):
            if key in section:
                _check(section[key], rule, f"{prefix}{key}.")
        elif key in section:
            _leaf(section[key], rule, prefix + key)
        elif not (rule.optional or rule.test(None)):  # a key that may be null may also be left out
            raise ConfigError(f"{prefix}{key} is missing; it must be {rule.allowed}")


def _leaf(value, rule: Rule, key: str) -> None:
    if not rule.test(value):
        raise ConfigError(f"{key} = {_show(value)} is not allowed: it must be {rule.allowed}")


def _show(value) -> str:
    text = repr(value) if isinstance(value, str) else str(value).replace("'", "")
    return text if len(text) <= 80 else text[:77] + "..."


def _unknown(key: str, known: list[str]) -> str:
    prefix, _, name = key.rpartition(".")
    close = difflib.get_close_matches(name, known, n=1)
    hint = f" (did you mean {prefix + '.' if prefix else ''}{close[0]}?)" if close else ""
    where = f"under {prefix}" if prefix else "at the top level"
    return f"unknown config key {key}{hint}; the keys {where} are: {', '.join(known)}"


def _check_across(config: dict) -> None:
    """Rules that tie keys together."""
    for key, value, family in (("scale", config.get("scale"), "family.scales"), ("seed", config.get("seed"), "seeds")):
        values = config["family"]["scales"] if key == "scale" else config["seeds"]
        if value is not None and value not in values:
            wider = ",".join(map(str, sorted([*values, value])))
            raise ConfigError(f"{key} = {value} is not one of {family} {values}; to train it as part of the family, "
                              f"add it: '{family}=[{wider}]'")
    if config["task"] == "sequence":
        length = config["data"]["sequence_length"]
        if bad := [v for v in config["metrics"]["lengths"] if v > length]:
            raise ConfigError(f"metrics.lengths = {config['metrics']['lengths']} is not allowed: L = {bad[0]} is "
                              f"longer than the sequences (data.sequence_length = {length})")
        if bad := set(config["data"]["train_drawers"]) & set(config["data"]["test_drawers"]):
            raise ConfigError(f"data.train_drawers and data.test_drawers share drawers {sorted(bad)}; a test "
                              f"drawing must be new to the model")
