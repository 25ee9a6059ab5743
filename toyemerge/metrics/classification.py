"""Metrics of a classifier's per-example test outputs (`target`, `pred`, `p_target`).

Smooth metrics (the paper's panel B): accuracy and cross-entropy; their continuous counterparts, the
mean log-probability of the target and the Brier score. Sharp metric (panel C): subset
accuracy, "1 only if all K of K independent test images are right" (Schaeffer et al. 2023, App. B).
"""

from __future__ import annotations

import functools

import numpy as np

from toyemerge.errors import ConfigError
from toyemerge.metrics.intervals import binomial_ci

P_FLOOR = 1e-12  # p_target is stored as float32 and can underflow to 0; log(0) would be -inf


def correct(target: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """1[pred_n = target_n] for each test example, as bool."""
    target, pred = np.asarray(target), np.asarray(pred)
    if target.shape != pred.shape:
        raise ValueError(f"target {target.shape} and pred {pred.shape} differ in shape")
    return target == pred


def accuracy(target: np.ndarray, pred: np.ndarray) -> float:
    """Accuracy = (1/N) Σₙ 1[predₙ = targetₙ]."""
    return float(correct(target, pred).mean())


def cross_entropy(p_target: np.ndarray) -> float:
    """Cross-entropy (nats) = −(1/N) Σₙ log p(targetₙ | xₙ), with p floored at 1e-12."""
    return float(-np.log(np.maximum(np.asarray(p_target, dtype=np.float64), P_FLOOR)).mean())


def mean_log_prob(p_target: np.ndarray) -> float:
    """Mean log-probability of the target (nats) = (1/N) Σₙ log p(targetₙ | xₙ) = −cross-entropy.

    The continuous counterpart of accuracy with the orientation of a score (higher is better).
    """
    return -cross_entropy(p_target)


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


def subset_accuracy_exact(is_correct: np.ndarray, k: int) -> float:
    """Probability that K distinct test images drawn uniformly at random are all classified right.

        SubsetAcc_K = C(n, K) / C(N, K) = Πᵢ₌₀^{K−1} (n − i) / (N − i),   n = Σₙ 1[correct]

    This is the expectation over every K-subset of the test set, so it has no sampling noise: the
    "infinite-resolution" value of the sharp metric for this fixed test set.
    """
    is_correct = np.asarray(is_correct, dtype=bool)
    n_total, n_right = is_correct.size, int(is_correct.sum())
    _check_k(k, n_total)
    i = np.arange(k)
    return float(np.prod((n_right - i) / (n_total - i))) if n_right >= k else 0.0


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


@functools.lru_cache(maxsize=16)
def seeded_permutation(size: int, seed: int) -> np.ndarray:
    """`np.random.default_rng(seed).permutation(size)`, read-only and computed once: every model of a
    family, and every K, is scored on the same permutation of the same test set."""
    order = np.random.default_rng(seed).permutation(size)
    order.flags.writeable = False
    return order


def _check_k(k: int, n_total: int) -> None:
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise ConfigError(f"K must be a positive integer, got {k!r}")
    if k > n_total:
        raise ConfigError(f"K = {k} is larger than the test set ({n_total} examples); lower metrics.subset_k")


def score(outputs: dict[str, np.ndarray], cfg) -> list[dict]:
    """Every classifier metric of one model's saved outputs, as tidy rows (metric, param, value, CI).

    `cfg` holds `subset_k` (the K values), `group_seed` and `confidence`.
    """
    target, pred, p_target = outputs["target"], outputs["pred"], outputs["p_target"]
    is_correct = correct(target, pred)
    n = is_correct.size
    low, high = binomial_ci(int(is_correct.sum()), n, cfg.confidence)
    rows = [
        dict(metric="accuracy", param=None, value=accuracy(target, pred), ci_low=low, ci_high=high),
        dict(metric="cross_entropy", param=None, value=cross_entropy(p_target)),
        dict(metric="log_prob", param=None, value=mean_log_prob(p_target)),
    ]
    if "probs" in outputs:
        rows.append(dict(metric="brier", param=None, value=brier_score(outputs["probs"], target)))
    for k in cfg.subset_k:
        rows.append(dict(metric="subset_accuracy", param=int(k), value=subset_accuracy_exact(is_correct, int(k))))
        value, low, high, _ = subset_accuracy_sampled(is_correct, int(k), cfg.group_seed, cfg.confidence)
        rows.append(dict(metric="subset_accuracy_sampled", param=int(k), value=value, ci_low=low, ci_high=high))
    return rows


def summary(outputs: dict[str, np.ndarray]) -> dict[str, float]:
    """The smooth metrics printed after each trained model."""
    return {"accuracy": accuracy(outputs["target"], outputs["pred"]),
            "cross_entropy": cross_entropy(outputs["p_target"])}
