"""Declared roles: which metric of a per-example input is the claimed (sharp) one, which are continuous.

    --claimed NAME         the metric the emergence claim is about (role sharp): exact_match (from
                           `correct`; with `group`, every item of the group right), or another
                           right/wrong (1/0) column
    --continuous A,B,…     the metrics compared with it on the same outputs (role smooth); default:
                           every continuous one the input supports: token_accuracy and
                           token_edit_distance (with `group`), log_prob (with `p_target`), and a
                           numeric `score` column; others (exact_match too) only when named
    --lower-is-better A,…  score columns where lower is better (an edit distance); default: higher
    --sharpness-max K      the sharpness map sweeps "all K of K examples right" on the claim, K = 1..5

Giving any of them switches from the toys' roles to declared ones (toyemerge.metrics.declared).
Every mistake is one InputError saying what the input offers instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from toyemerge.analysis.family import Run, prepare
from toyemerge.metrics.declared import EXACT_MATCH, LOWER_IS_BETTER, DeclaredRoles, builtin_metrics
from toyemerge.rescore.per_example import REQUIRED, InputError, example_order

RESERVED = (*REQUIRED, "p_target", "group")
# the sharpness map's default K = 1..5: all K of K answers right makes exact match sharper still, and
# beyond a few K every curve of a small test set reads 0 at most sizes (an infinite score, flagged)
SHARPNESS_MAX = 5
SCORE = "score"  # the one extra column read without being named


@dataclass(frozen=True)
class Roles:
    claimed: str
    continuous: tuple[str, ...]
    lower_is_better: tuple[str, ...]
    numeric: tuple[str, ...]  # CSV columns read as numbers (the continuous scores)
    flags: tuple[str, ...]    # CSV columns read as 1/0 (a claimed column other than `correct`)


def names(text: str | None, flag: str) -> list[str] | None:
    """A comma-separated option as a list of names (None where the option was not given)."""
    if text is None:
        return None
    listed = [v.strip() for v in text.split(",") if v.strip()]
    if not listed:
        raise InputError(f"{flag} takes comma-separated metric names, got {text!r}")
    twice = next((v for i, v in enumerate(listed) if v in listed[:i]), None)
    if twice is not None:
        raise InputError(f"{flag} names {twice} twice")
    return listed


def resolve(columns: list[str], claimed: str | None, continuous: str | None, lower: str | None) -> Roles:
    """The declared roles, checked against what the input's columns offer."""
    builtin = builtin_metrics("group" in columns, "p_target" in columns)
    extra = [c for c in columns if c not in RESERVED]
    clash = [c for c in extra if c in builtin]
    if clash:
        raise InputError(f"column {clash[0]!r} has the name of a metric rescore computes from this input; "
                         "rename the column")
    offered = ", ".join([f"{EXACT_MATCH} (from correct)", *builtin[1:], *extra])
    claimed = claimed.strip() if claimed is not None else EXACT_MATCH
    if claimed not in builtin + extra:
        raise InputError(f"--claimed {claimed}: not a metric of this input; it offers {offered}")
    if claimed in builtin and claimed != EXACT_MATCH:
        raise InputError(f"--claimed {claimed}: a claimed metric is right or wrong per example "
                         f"({EXACT_MATCH}, or a 1/0 column); {claimed} is a continuous one")
    listed = names(continuous, "--continuous")
    if listed is None:
        listed = builtin[1:] + [SCORE] * (SCORE in extra and claimed != SCORE)  # exact match is not continuous
    for name in listed:
        if name == claimed:
            raise InputError(f"--continuous names {name}, the claimed metric; it cannot be compared with itself")
        if name not in builtin + extra:
            raise InputError(f"--continuous {name}: not a metric of this input; it offers {offered}")
    if not listed:
        raise InputError(f"nothing to compare {claimed} with: the input has no continuous metric; give p_target, "
                         "group (per-token correctness) or a numeric score column")
    lowered = names(lower, "--lower-is-better") or []
    for name in lowered:
        if name in LOWER_IS_BETTER or name in builtin:
            raise InputError(f"--lower-is-better {name}: rescore knows its direction; name score columns only")
        if name not in listed:
            raise InputError(f"--lower-is-better {name}: not a continuous metric of this analysis "
                             f"({', '.join(listed)})")
    return Roles(claimed, tuple(listed), tuple(lowered), tuple(m for m in listed if m in extra),
                 (claimed,) if claimed in extra else ())


def unit_index(model: dict, grouped: bool) -> np.ndarray:
    """The unit (test example) of each row: its group (groups in id order), or the row itself."""
    if not grouped:
        return np.arange(len(model["ids"]))
    order = {g: i for i, g in enumerate(sorted(set(model["groups"]), key=example_order))}
    return np.array([order[g] for g in model["groups"]])


def build_family(models: list[dict], has_p: bool, has_group: bool, roles: Roles, grid: list[int]):
    """(task kind, runs) with the declared roles; equal n_params are seeds 0, 1, … in order of appearance."""
    kind = DeclaredRoles(roles.claimed, roles.continuous, has_group, roles.lower_is_better, grid)
    seen: dict[float, int] = {}
    runs = []
    for m in models:
        outputs = {"unit": unit_index(m, has_group), "correct": m["correct"],
                   **{f"column:{c}": v for c, v in m["columns"].items()}}
        if has_p:
            outputs["p_target"] = m["p_target"]
        seed = seen.get(m["n_params"], 0)
        seen[m["n_params"]] = seed + 1
        runs.append(Run(m["model"], int(round(m["n_params"])), seed, kind.units(outputs)))
    return kind, prepare(runs, kind)


def n_units(models: list[dict], has_group: bool) -> int:
    """Test examples per model: groups with `group`, else rows."""
    return len(set(models[0]["groups"])) if has_group else len(models[0]["ids"])
