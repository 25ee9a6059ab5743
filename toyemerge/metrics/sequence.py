"""Sequence models (Omniglot Transformers): metrics of per-position outputs `target`, `pred`, `p_target` (S, L).

Smooth (the paper's panel B): per-image accuracy and cross-entropy over all S·L positions. Sharp
(panel C): all-L-correct, 1 for a sequence only if its first L predictions are all right. Token edit
distance, the number of wrong labels among the first L, is the paper's continuous counterpart of
all-L-correct (Schaeffer et al. 2023, Sec. 2: ≈ L(1 − p) against ≈ p^L for per-token accuracy p).

Units (one per test sequence): `acc` (the fraction of its positions right), `positions` (its
per-position correctness, (S, L)), `log_p` (mean log p(target)), `all_<L>` (1 if its first L
predictions are all right), `wrong_<L>` (the number of wrong labels among the first L). Predicted
from the smooth metric: Π_{l<L} acc_l, the product of per-position accuracies. Extrapolation loss:
ℓ = −log(per-image accuracy), all-L-correct ≈ exp(−ℓ)^L.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from toyemerge.errors import ConfigError
from toyemerge.metrics.base import (
    CONTINUOUS,
    SHARP,
    SMOOTH,
    AllRightFromAccuracy,
    Metric,
    TaskKind,
    Wording,
    seeded_permutation,
    table_row,
)
from toyemerge.metrics.classification import P_FLOOR, cross_entropy


def correct(target: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """1[pred_{s,l} = target_{s,l}] as bool (S, L)."""
    target, pred = np.asarray(target), np.asarray(pred)
    if target.shape != pred.shape or target.ndim != 2:
        raise ValueError(f"target {target.shape} and pred {pred.shape} must be the same (S, L) shape")
    return target == pred


def per_image_accuracy(is_correct: np.ndarray) -> float:
    """Accuracy = (1/S) Σ_s (1/L) Σ_l 1[pred_{s,l} = target_{s,l}], the mean over all S·L images."""
    return float(np.asarray(is_correct, dtype=bool).mean(axis=1).mean())


def all_correct(is_correct: np.ndarray, length: int) -> np.ndarray:
    """AllCorrect_L per sequence: Π_{l ≤ L} 1[pred_{s,l} = target_{s,l}], as bool (S,)."""
    return _first(is_correct, length).all(axis=1)


def edit_distance(is_correct: np.ndarray, length: int) -> np.ndarray:
    """Token edit distance per sequence: Σ_{l ≤ L} 1[pred_{s,l} ≠ target_{s,l}], as int (S,).

    Predicted and true label sequences have the same length, so the Levenshtein distance between
    them is the number of substitutions: the Hamming distance.
    """
    return (~_first(is_correct, length)).sum(axis=1)


def _first(is_correct: np.ndarray, length: int) -> np.ndarray:
    is_correct = np.asarray(is_correct, dtype=bool)
    if not isinstance(length, (int, np.integer)) or not 1 <= length <= is_correct.shape[1]:
        raise ConfigError(f"L must be an integer in 1..{is_correct.shape[1]} (the sequence length), got {length!r}")
    return is_correct[:, :length]


class SequenceLabelling(AllRightFromAccuracy, TaskKind):
    name = "sequence"
    cache_name = "SequenceView"
    sharp_name, sharp_symbol, smooth_name = "all_correct", "L", "accuracy"
    param_key = "lengths"
    unit_name = "test sequences"
    fractions = frozenset({"all_correct"})
    figures = ("all_correct_vs_accuracy",)
    smooth_wording = Wording("", "Per-image test accuracy", "per-image accuracy", "Per-image test accuracy", True)
    wording = {
        "all_correct": Wording(
            "All-L-correct", "All of a sequence's first {p} images right (all-L-correct)", "all-{p}-correct",
            "All L images right", True,
            "All-L-correct: the fraction of test sequences whose first L images are all labelled right."),
        "edit_distance": Wording(
            "Token edit distance", "Wrong labels among a sequence's first {p} images (edit distance)",
            "the edit distance over {p} images", "Token edit distance", False,
            "Token edit distance: the number of wrong labels among a sequence's first L images, averaged over "
            "sequences (lower is better): the same predictions as all-L-correct, scored without the "
            "all-or-nothing."),
    }

    def units(self, outputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        is_correct = (np.asarray(outputs["correct"], dtype=bool) if "correct" in outputs
                      else correct(outputs["target"], outputs["pred"]))
        if is_correct.ndim != 2:
            raise ValueError(f"sequence outputs must be (S, L), got {is_correct.shape}")
        units = {"acc": is_correct.mean(axis=1), "positions": is_correct.astype(float)}
        if "p_target" in outputs:
            p = np.maximum(np.asarray(outputs["p_target"], dtype=float), P_FLOOR)
            units["log_p"] = np.log(p).mean(axis=1)
            units["p_seq"] = p
        for length in range(1, is_correct.shape[1] + 1):
            units[f"all_{length}"] = is_correct[:, :length].all(axis=1).astype(float)
            units[f"wrong_{length}"] = (~is_correct[:, :length]).sum(axis=1).astype(float)
        return units

    def metrics(self, units: dict[str, np.ndarray], params: Sequence[int] | None = None) -> list[Metric]:
        out = [Metric("accuracy", None, SMOOTH, "acc", label="Per-image accuracy", counts="positions")]
        if "log_p" in units:
            out.append(Metric("log_prob", None, CONTINUOUS, "log_p", label="Mean log p(target)"))
        max_len = units["positions"].shape[1]
        lengths = [v for v in (self.sharp_params if params is None else params) if v <= max_len]
        for length in lengths:
            out.append(Metric("edit_distance", length, CONTINUOUS, f"wrong_{length}", higher_is_better=False,
                              label=f"Edit distance, L = {length}"))
        for length in lengths:
            out.append(Metric(self.sharp_name, length, SHARP, f"all_{length}", label=f"All L right, L = {length}",
                              counts=f"all_{length}"))
        return out

    def table(self, outputs: dict[str, np.ndarray], metrics_cfg) -> list[dict]:
        """accuracy (binomial CI over the S·L images), cross-entropy, then per L all-L-correct (binomial CI
        over the S sequences) and the edit distance."""
        units = self.units(outputs)
        lengths = [int(v) for v in metrics_cfg.lengths]
        for length in lengths:
            _first(units["positions"], length)  # an L beyond the sequences is one clear error
        by_key = {m.key: m for m in self.metrics(units, lengths)}
        rows = [table_row(by_key[("accuracy", None)], units, metrics_cfg.confidence),
                dict(metric="cross_entropy", param=None, value=cross_entropy(outputs["p_target"]))]
        for length in lengths:
            rows.append(table_row(by_key[(self.sharp_name, length)], units, metrics_cfg.confidence))
            rows.append(table_row(by_key[("edit_distance", length)], units, metrics_cfg.confidence))
        return rows

    def summary(self, outputs: dict[str, np.ndarray]) -> dict[str, float]:
        """The numbers printed after each trained model."""
        is_correct = correct(outputs["target"], outputs["pred"])
        return {"accuracy": per_image_accuracy(is_correct),
                "all_correct_L": float(all_correct(is_correct, is_correct.shape[1]).mean()),
                "cross_entropy": cross_entropy(outputs["p_target"])}

    def predict_from_smooth(self, units: dict[str, np.ndarray], param: int) -> float:
        """Π_{l<L} acc_l: positions independent, each right with its own accuracy."""
        return float(np.prod(units["positions"][:, :param].mean(axis=0)))

    def sampling_model(self, units: dict[str, np.ndarray], param: int) -> float:
        """A model sampling each label from p: mean over sequences of Π_{l<L} p_target[s, l]."""
        return float(np.prod(units["p_seq"][:, :param], axis=1).mean()) if "p_seq" in units else float("nan")

    def measured(self, units: dict[str, np.ndarray], param: int, n: int, seed: int) -> float:
        order = seeded_permutation(units["acc"].size, seed)[:n]
        return float(units[f"all_{param}"][order].mean())
