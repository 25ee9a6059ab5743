"""Classifiers (MNIST LeNets): metrics of per-example test outputs `target`, `pred`, `p_target`, `probs`.

Smooth metrics (the paper's panel B): accuracy and cross-entropy; their continuous counterparts, the
mean log-probability of the target and the Brier score. Sharp metric (panel C): subset accuracy,
"1 only if all K of K independent test images are right" (Schaeffer et al. 2023, App. B), exact
over every K-subset, and as a benchmark measures it, on disjoint K-groups.

Units (one per test image): `correct` 1[pred = target], `log_p` log p(target) (floored), `p`,
`brier` (when the outputs hold `probs`). Predicted from the smooth metric: acc^K (K independent
images). Extrapolation loss: ℓ = −log(accuracy), so that p = exp(−ℓ) is the accuracy.
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
from toyemerge.metrics.intervals import binomial_ci

P_FLOOR = 1e-12  # p_target is stored as float32 and can underflow to 0; log(0) would be -inf
SAMPLED = "subset_accuracy_sampled"  # subset accuracy measured on disjoint K-groups (results.csv's name)


def correct(target: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """1[pred_n = target_n] for each test example, as bool."""
    target, pred = np.asarray(target), np.asarray(pred)
    if target.shape != pred.shape:
        raise ValueError(f"target {target.shape} and pred {pred.shape} differ in shape")
    return target == pred


def accuracy(target: np.ndarray, pred: np.ndarray) -> float:
    """Accuracy = (1/N) Σₙ 1[predₙ = targetₙ]."""
    return float(correct(target, pred).mean())


def log_p(p_target: np.ndarray) -> np.ndarray:
    """log p(targetₙ | xₙ) of each example, with p floored at 1e-12."""
    return np.log(np.maximum(np.asarray(p_target, dtype=np.float64), P_FLOOR))


def cross_entropy(p_target: np.ndarray) -> float:
    """Cross-entropy (nats) = −(1/N) Σₙ log p(targetₙ | xₙ), with p floored at 1e-12."""
    return float(-log_p(p_target).mean())


def mean_log_prob(p_target: np.ndarray) -> float:
    """Mean log-probability of the target (nats) = (1/N) Σₙ log p(targetₙ | xₙ) = −cross-entropy.

    The continuous counterpart of accuracy with the orientation of a score (higher is better).
    """
    return float(log_p(p_target).mean())


def brier_per_example(probs: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Multi-class Brier score of each example: Σ_c (p_{n,c} − 1[c = targetₙ])², in [0, 2]."""
    probs = np.asarray(probs, dtype=np.float64)
    target = np.asarray(target)
    if probs.ndim != 2 or probs.shape[0] != target.shape[0]:
        raise ValueError(f"probs {probs.shape} must be (N, C) with N = {target.shape[0]} targets")
    rows = np.arange(target.shape[0])
    p_true = probs[rows, target]
    # Σ_c p_c² − 2 p_y + 1, without building the one-hot matrix
    return np.einsum("nc,nc->n", probs, probs) - 2.0 * p_true + 1.0


def brier_score(probs: np.ndarray, target: np.ndarray) -> float:
    """Brier score = (1/N) Σₙ Σ_c (p_{n,c} − 1[c = targetₙ])² (lower is better; 0 is perfect)."""
    return float(brier_per_example(probs, target).mean())


def subset_accuracy_from_mean(k: int):
    """The transform giving exact subset accuracy from m = n/N, the mean of the correct indicator:

        SubsetAcc_K = C(n, K) / C(N, K) = Πᵢ₌₀^{K−1} (n − i) / (N − i)

    the probability that K distinct test images drawn uniformly at random are all right: the
    expectation over every K-subset of the test set, so it has no sampling noise (the
    "infinite-resolution" value of the sharp metric for this test set). Vectorized over m."""
    def transform(mean: np.ndarray, n_units: int) -> np.ndarray:
        n_right = np.asarray(mean) * n_units
        if n_right.ndim == 0:  # one model: the same products in Python floats, bit for bit, ~30× faster
            x, value = float(n_right), 1.0
            for i in range(k):
                value = value * max((x - i) / (n_units - i), 0.0)
            return np.float64(value)
        out = np.ones_like(n_right, dtype=float)
        for i in range(k):
            out = out * np.clip((n_right - i) / (n_units - i), 0.0, None)
        return out
    return transform


def subset_accuracy_exact(is_correct: np.ndarray, k: int) -> float:
    """SubsetAcc_K = C(n, K) / C(N, K), n = Σₙ 1[correct] (see subset_accuracy_from_mean)."""
    is_correct = np.asarray(is_correct, dtype=bool)
    _check_k(k, is_correct.size)
    return float(subset_accuracy_from_mean(k)(np.asarray(is_correct.astype(float).mean()), is_correct.size))


def subset_accuracy_sampled(is_correct: np.ndarray, k: int, seed: int = 0,
                            confidence: float = 0.95) -> tuple[float, float, float, int]:
    """Subset accuracy measured as the paper describes it: on disjoint random groups of K images.

    A seeded permutation of the N test images is cut into G = ⌊N/K⌋ groups of K; a group scores 1 if
    all its K images are right. Returns (mean score, CI low, CI high, G) with the exact binomial CI.

    It estimates `subset_accuracy_exact` but differs from it through resolution: with only G
    groups the smallest non-zero value it can report is 1/G, so a model whose true value is below
    ~1/G usually reads exactly 0. That floor is one of the paper's sources of "emergence". The same
    `seed` gives the same groups for every model, so a family is scored on identical groups.
    """
    group_right = subset_groups(is_correct, k, seed)
    n_groups = group_right.size
    low, high = binomial_ci(int(group_right.sum()), n_groups, confidence)
    return float(group_right.mean()), low, high, n_groups


def subset_groups(is_correct: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    """1[all K images of the group are right] for each of the ⌊N/K⌋ disjoint groups of a seeded
    permutation of the test set (the groups `subset_accuracy_sampled` scores)."""
    is_correct = np.asarray(is_correct, dtype=bool)
    _check_k(k, is_correct.size)
    n_groups = is_correct.size // k
    order = seeded_permutation(is_correct.size, seed)[: n_groups * k]
    return is_correct[order].reshape(n_groups, k).all(axis=1)


def _check_k(k: int, n_total: int) -> None:
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise ConfigError(f"K must be a positive integer, got {k!r}")
    if k > n_total:
        raise ConfigError(f"K = {k} is larger than the test set ({n_total} examples); lower metrics.subset_k")


def _negative(mean: np.ndarray, n_units: int) -> np.ndarray:
    return -mean


class Classification(AllRightFromAccuracy, TaskKind):
    name = "classification"
    cache_name = "ClassificationView"
    sharp_name, sharp_symbol, smooth_name = "subset_accuracy", "K", "accuracy"
    param_key = "subset_k"
    unit_name = "test images"
    has_sampled = True
    figures = ()
    smooth_wording = Wording("", "Test accuracy", "accuracy", "Test accuracy", True)
    wording = {
        "subset_accuracy": Wording(
            "Subset accuracy (exact)", "All {p} of {p} test images right (subset accuracy)",
            "all-{p}-right subset accuracy", "Subset accuracy (all K right)", True,
            "Subset accuracy (exact): the chance that K test images drawn at random are all classified right, "
            "C(right, K) / C(n, K), i.e. averaged over every K-subset of the test set."),
        SAMPLED: Wording(
            "Subset accuracy (on K-groups)", "Groups of {p} images all right (subset accuracy on ⌊n/{p}⌋ groups)",
            "all-{p}-right subset accuracy measured on groups", "Groups with all K right", True,
            "Subset accuracy (on K-groups): the test set cut into ⌊n/K⌋ disjoint groups of K images (one seeded "
            "shuffle, the same for every model), a group scoring 1 only if all its K images are right; this is "
            "how a benchmark measures it, with a resolution of 1 / ⌊n/K⌋."),
    }

    def units(self, outputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        if "correct" in outputs:  # a rescore CSV gives the flags directly
            is_correct = np.asarray(outputs["correct"], dtype=bool)
        else:
            is_correct = correct(outputs["target"], outputs["pred"])
        units = {"correct": is_correct.astype(float)}
        if "p_target" in outputs:
            units["log_p"] = log_p(outputs["p_target"])
            units["p"] = np.asarray(outputs["p_target"], dtype=float)
        if "probs" in outputs:
            units["brier"] = brier_per_example(outputs["probs"], outputs["target"])
        return units

    def metrics(self, units: dict[str, np.ndarray], params: Sequence[int] | None = None) -> list[Metric]:
        out = [Metric("accuracy", None, SMOOTH, "correct", label="Accuracy", counts="correct")]
        if "log_p" in units:
            out.append(Metric("log_prob", None, CONTINUOUS, "log_p", label="Mean log p(target)"))
        if "brier" in units:
            out.append(Metric("brier", None, CONTINUOUS, "brier", higher_is_better=False, label="Brier score"))
        for k in self.sharp_params if params is None else params:
            if k > units["correct"].size:  # K larger than the test set: no K-subset exists
                continue
            out.append(Metric(self.sharp_name, int(k), SHARP, "correct", subset_accuracy_from_mean(int(k)),
                              label=f"Subset accuracy, K = {k}"))
        return out

    def table(self, outputs: dict[str, np.ndarray], metrics_cfg) -> list[dict]:
        """accuracy (binomial CI), cross-entropy, log-prob, Brier, then per K the exact and the sampled
        subset accuracy (binomial CI over the ⌊N/K⌋ groups)."""
        units = self.units(outputs)
        for k in metrics_cfg.subset_k:
            _check_k(int(k), units["correct"].size)
        by_key = {m.key: m for m in self.metrics(units, [int(k) for k in metrics_cfg.subset_k])}
        rows = [table_row(by_key[("accuracy", None)], units, metrics_cfg.confidence)]
        if "log_p" in units:
            rows.append(table_row(Metric("cross_entropy", None, SMOOTH, "log_p", _negative, False), units,
                                  metrics_cfg.confidence))
            rows.append(table_row(by_key[("log_prob", None)], units, metrics_cfg.confidence))
        if "brier" in units:
            rows.append(table_row(by_key[("brier", None)], units, metrics_cfg.confidence))
        for k in metrics_cfg.subset_k:
            rows.append(table_row(by_key[(self.sharp_name, int(k))], units, metrics_cfg.confidence))
            rows += self.sampled_rows(units, [int(k)], metrics_cfg.group_seed, metrics_cfg.confidence, role=False)
        return rows

    def summary(self, outputs: dict[str, np.ndarray]) -> dict[str, float]:
        """The smooth metrics printed after each trained model."""
        return {"accuracy": accuracy(outputs["target"], outputs["pred"]),
                "cross_entropy": cross_entropy(outputs["p_target"])}

    def predict_from_smooth(self, units: dict[str, np.ndarray], param: int) -> float:
        """acc^K: the chance that K independent images are all right."""
        return float(units["correct"].mean() ** param)

    def sampling_model(self, units: dict[str, np.ndarray], param: int) -> float:
        """Subset accuracy of a model that samples its answer from p(·|x): (mean p_target)^K.

        K distinct images are drawn, each answered right with probability p_n; averaged over the
        draws this is e_K(p)/C(N, K) (elementary symmetric polynomial), which equals (p̄)^K up to
        O(K²/N). (The mean over items of p_n^K would be K answers to the *same* image.)
        """
        return float(units["p"].mean() ** param) if "p" in units else float("nan")

    def measured(self, units: dict[str, np.ndarray], param: int, n: int, seed: int) -> float:
        """The sharp metric as a finite test set measures it: the first n images of a seeded
        permutation, cut into ⌊n/K⌋ disjoint K-groups (all K right scores 1)."""
        is_correct = units["correct"].astype(bool)
        if n < is_correct.size:  # a smaller test set: a seeded subset of it
            is_correct = is_correct[seeded_permutation(is_correct.size, seed)[:n]]
        return float(subset_groups(is_correct, param, seed).mean())

    def sampled_rows(self, units: dict[str, np.ndarray], params: Sequence[int], seed: int, confidence: float,
                     role: bool = True) -> list[dict]:
        """Subset accuracy measured on disjoint K-groups of the full test set, exact binomial CI."""
        rows = []
        for k in params:
            value, low, high, _ = subset_accuracy_sampled(units["correct"].astype(bool), int(k), seed, confidence)
            rows.append(dict(metric=SAMPLED, param=int(k), **({"role": SHARP} if role else {}), value=value,
                             ci_low=low, ci_high=high))
        return rows
