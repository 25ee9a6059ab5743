"""What the analysis needs to know about each task kind, from one model's saved outputs.

A *view* turns a model's per-example outputs into per-unit arrays (one value per resampling
unit: a test image, or a test sequence) and names the family's metrics as functions of their
means, so that one bootstrap over units gives every metric's CI at once:

    metric value = transform(mean over units of units[unit])

Each view also says how to predict its sharp metric from its smooth one (the paper's Sec. 2
model: items are right independently with probability p, all-K-right ≈ p^K) and what "loss"
the extrapolation fits a power law to. Dispatch is on the experiment's task kind (cfg.task).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from toyemerge.metrics.classification import (
    P_FLOOR,
    brier_per_example,
    seeded_permutation,
    subset_accuracy_sampled,
    subset_groups,
)

SMOOTH, CONTINUOUS, SHARP = "smooth", "continuous", "sharp"


@dataclass(frozen=True)
class Metric:
    """One curve of the family: `transform(mean(units[unit]), n_units)` for each model."""

    name: str
    param: int | float | None
    role: str  # smooth, continuous or sharp
    unit: str
    transform: Callable[[np.ndarray, int], np.ndarray] = field(default=lambda m, n: m, compare=False)
    higher_is_better: bool = True
    label: str = ""

    @property
    def key(self) -> tuple[str, int | float | None]:
        return self.name, self.param


def _correct(outputs: dict[str, np.ndarray]) -> np.ndarray:
    """1[pred = target] from saved outputs, or the `correct` flags a rescore CSV gives directly."""
    if "correct" in outputs:
        return np.asarray(outputs["correct"], dtype=bool)
    return np.asarray(outputs["target"]) == np.asarray(outputs["pred"])


def _subset_exact(k: int) -> Callable[[np.ndarray, int], np.ndarray]:
    """C(n, K)/C(N, K) from the mean m = n/N of the correct indicator, vectorized over m."""
    def transform(mean: np.ndarray, n_units: int) -> np.ndarray:
        n_right = np.asarray(mean) * n_units
        if n_right.ndim == 0:  # one model (the sharpness map: K = 1..50): the same products in Python
            x, value = float(n_right), 1.0  # floats, bit for bit, ~30× faster than 0-d numpy arrays
            for i in range(k):
                value = value * max((x - i) / (n_units - i), 0.0)
            return np.float64(value)
        out = np.ones_like(n_right, dtype=float)
        for i in range(k):
            out = out * np.clip((n_right - i) / (n_units - i), 0.0, None)
        return out
    return transform


def _psnr(mean: np.ndarray, n_units: int) -> np.ndarray:
    """PSNR (dB) of pixels in [0, 1] from the mean squared error: −10 log10(MSE)."""
    return -10.0 * np.log10(np.maximum(mean, 1e-12))


class ClassificationView:
    """Classifiers (MNIST): units are test images; sharp metric = subset accuracy over K images.

    Units: `correct` 1[pred = target], `log_p` log p(target) (floored), `brier` per-example Brier
    (only when the outputs hold `probs`). Predicted from the smooth metric: acc^K (K independent
    images). Extrapolation loss: ℓ = −log(accuracy), so that p = exp(−ℓ) is the accuracy.
    """

    task = "classification"
    has_sampled = True  # subset accuracy is also measured on disjoint K-groups (`sampled_rows`)
    sharp_name = "subset_accuracy"
    sharp_symbol = "K"
    smooth_name = "accuracy"

    def __init__(self, sharp_params: Sequence[int], sharpness_grid: Sequence[int]):
        self.sharp_params = [int(k) for k in sharp_params]
        self.sharpness_grid = [int(k) for k in sharpness_grid]

    def units(self, outputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        units = {"correct": _correct(outputs).astype(float)}
        if "p_target" in outputs:
            units["log_p"] = np.log(np.maximum(np.asarray(outputs["p_target"], dtype=float), P_FLOOR))
            units["p"] = np.asarray(outputs["p_target"], dtype=float)
        if "probs" in outputs:
            units["brier"] = brier_per_example(outputs["probs"], outputs["target"])
        return units

    def metrics(self, units: dict[str, np.ndarray], params: Sequence[int] | None = None) -> list[Metric]:
        out = [Metric("accuracy", None, SMOOTH, "correct", label="Accuracy")]
        if "log_p" in units:
            out.append(Metric("log_prob", None, CONTINUOUS, "log_p", label="Mean log p(target)"))
        if "brier" in units:
            out.append(Metric("brier", None, CONTINUOUS, "brier", higher_is_better=False, label="Brier score"))
        for k in self.sharp_params if params is None else params:
            if k > units["correct"].size:  # K larger than the test set: no K-subset exists
                continue
            out.append(Metric(self.sharp_name, int(k), SHARP, "correct", _subset_exact(int(k)),
                              label=f"Subset accuracy, K = {k}"))
        return out

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

    def loss_from_smooth(self, smooth: np.ndarray) -> np.ndarray:
        return -np.log(np.clip(smooth, 1e-12, 1.0))

    def sharp_from_loss(self, loss: np.ndarray, param: int) -> np.ndarray:
        return np.exp(-np.asarray(loss) * param)

    def measured(self, units: dict[str, np.ndarray], param: int, n: int, seed: int) -> float:
        """The sharp metric as a finite test set measures it: the first n images of a seeded
        permutation, cut into ⌊n/K⌋ disjoint K-groups (all K right scores 1)."""
        correct = units["correct"].astype(bool)
        if n < correct.size:  # a smaller test set: a seeded subset of it
            correct = correct[seeded_permutation(correct.size, seed)[:n]]
        return float(subset_groups(correct, param, seed).mean())

    def sampled_rows(self, units: dict[str, np.ndarray], params: Sequence[int], seed: int,
                     confidence: float) -> list[dict]:
        """Subset accuracy measured on disjoint K-groups of the full test set, exact binomial CI."""
        rows = []
        for k in params:
            value, low, high, _ = subset_accuracy_sampled(units["correct"].astype(bool), int(k), seed, confidence)
            rows.append(dict(metric=f"{self.sharp_name}_sampled", param=int(k), role=SHARP, value=value,
                             ci_low=low, ci_high=high))
        return rows


class SequenceView:
    """Sequence models (Omniglot): units are test sequences of L labelled images.

    Units per sequence: `acc` (fraction of its positions right), `log_p` (mean log p(target)),
    `all_<L>` (1 if its first L predictions are all right), `wrong_<L>` (number of wrong labels among
    the first L: the token edit distance of a substitution-only answer). Predicted from the smooth
    metric: Π_{l<L} acc_l, the product of per-position accuracies. Extrapolation loss:
    ℓ = −log(per-image accuracy), all-L-correct ≈ exp(−ℓ)^L.
    """

    task = "sequence"
    has_sampled = False
    sharp_name = "all_correct"
    sharp_symbol = "L"
    smooth_name = "accuracy"

    def __init__(self, sharp_params: Sequence[int], sharpness_grid: Sequence[int]):
        self.sharp_params = [int(v) for v in sharp_params]
        self.sharpness_grid = [int(v) for v in sharpness_grid]

    def units(self, outputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        correct = _correct(outputs)
        if correct.ndim != 2:
            raise ValueError(f"sequence outputs must be (S, L), got {correct.shape}")
        units = {"acc": correct.mean(axis=1), "positions": correct.astype(float)}
        if "p_target" in outputs:
            p = np.maximum(np.asarray(outputs["p_target"], dtype=float), P_FLOOR)
            units["log_p"] = np.log(p).mean(axis=1)
            units["p_seq"] = p
        for length in range(1, correct.shape[1] + 1):
            units[f"all_{length}"] = correct[:, :length].all(axis=1).astype(float)
            units[f"wrong_{length}"] = (~correct[:, :length]).sum(axis=1).astype(float)
        return units

    def metrics(self, units: dict[str, np.ndarray], params: Sequence[int] | None = None) -> list[Metric]:
        out = [Metric("accuracy", None, SMOOTH, "acc", label="Per-image accuracy")]
        if "log_p" in units:
            out.append(Metric("log_prob", None, CONTINUOUS, "log_p", label="Mean log p(target)"))
        max_len = units["positions"].shape[1]
        lengths = [v for v in (self.sharp_params if params is None else params) if v <= max_len]
        for length in lengths:
            out.append(Metric("edit_distance", length, CONTINUOUS, f"wrong_{length}", higher_is_better=False,
                              label=f"Edit distance, L = {length}"))
        for length in lengths:
            out.append(Metric(self.sharp_name, length, SHARP, f"all_{length}", label=f"All L right, L = {length}"))
        return out

    def predict_from_smooth(self, units: dict[str, np.ndarray], param: int) -> float:
        """Π_{l<L} acc_l: positions independent, each right with its own accuracy."""
        return float(np.prod(units["positions"][:, :param].mean(axis=0)))

    def sampling_model(self, units: dict[str, np.ndarray], param: int) -> float:
        """A model sampling each label from p: mean over sequences of Π_{l<L} p_target[s, l]."""
        return float(np.prod(units["p_seq"][:, :param], axis=1).mean()) if "p_seq" in units else float("nan")

    def loss_from_smooth(self, smooth: np.ndarray) -> np.ndarray:
        return -np.log(np.clip(smooth, 1e-12, 1.0))

    def sharp_from_loss(self, loss: np.ndarray, param: int) -> np.ndarray:
        return np.exp(-np.asarray(loss) * param)

    def measured(self, units: dict[str, np.ndarray], param: int, n: int, seed: int) -> float:
        order = seeded_permutation(units["acc"].size, seed)[:n]
        return float(units[f"all_{param}"][order].mean())

    def sampled_rows(self, units, params, seed, confidence) -> list[dict]:
        return []


class ReconstructionView:
    """Autoencoders (CIFAR-100): units are test images with their squared error `sq_err`.

    Sharp metric: Reconstruction_c = (1/N) Σ 1[sq_err_n < c]. Smooth: MSE; continuous: PSNR.
    Predicted from the smooth metric: G(c / MSE), where G is the empirical CDF of sq_err / MSE
    pooled over the family (one error-distribution shape, scaled by each model's MSE). The
    extrapolation fits the power law to the MSE itself.
    """

    task = "reconstruction"
    has_sampled = False
    sharp_name = "reconstruction"
    sharp_symbol = "c"
    smooth_name = "mse"

    def __init__(self, sharp_params: Sequence[float], sharpness_grid: Sequence[float]):
        self.sharp_params = [float(c) for c in sharp_params]
        self.sharpness_grid = [float(c) for c in sharpness_grid]
        self.shape: np.ndarray | None = None  # pooled sorted sq_err / MSE, set by fit_shape

    def units(self, outputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {"sq_err": np.asarray(outputs["sq_err"], dtype=float)}

    def metrics(self, units: dict[str, np.ndarray], params: Sequence[float] | None = None) -> list[Metric]:
        out = [Metric("mse", None, SMOOTH, "sq_err", higher_is_better=False, label="Test MSE"),
               Metric("psnr", None, CONTINUOUS, "sq_err", _psnr, label="PSNR (dB)")]
        for c in self.sharp_params if params is None else params:
            units.setdefault(f"below_{c!r}", (units["sq_err"] < c).astype(float))
            out.append(Metric(self.sharp_name, float(c), SHARP, f"below_{c!r}", label=f"Reconstruction, c = {c:g}"))
        return out

    def fit_shape(self, all_units: Sequence[dict[str, np.ndarray]]) -> None:
        """Pool sq_err / MSE over the family: the shape G that `predict_from_smooth` scales."""
        self.shape = np.sort(np.concatenate([u["sq_err"] / u["sq_err"].mean() for u in all_units]))

    def _cdf(self, ratio: np.ndarray) -> np.ndarray:
        if self.shape is None:
            raise RuntimeError("call fit_shape on the family first")
        return np.searchsorted(self.shape, ratio, side="left") / self.shape.size

    def predict_from_smooth(self, units: dict[str, np.ndarray], param: float) -> float:
        return float(self._cdf(np.asarray(param / units["sq_err"].mean())))

    def sampling_model(self, units, param) -> float:
        return float("nan")

    def loss_from_smooth(self, smooth: np.ndarray) -> np.ndarray:
        return np.asarray(smooth, dtype=float)

    def sharp_from_loss(self, loss: np.ndarray, param: float) -> np.ndarray:
        return self._cdf(param / np.asarray(loss, dtype=float))

    def measured(self, units: dict[str, np.ndarray], param: float, n: int, seed: int) -> float:
        order = seeded_permutation(units["sq_err"].size, seed)[:n]
        return float((units["sq_err"][order] < param).mean())

    def sampled_rows(self, units, params, seed, confidence) -> list[dict]:
        return []


VIEWS = {"classification": ClassificationView, "sequence": SequenceView, "reconstruction": ReconstructionView}


def view_for(task: str, sharp_params: Sequence, sharpness_grid: Sequence):
    if task not in VIEWS:
        raise ValueError(f"no analysis for task '{task}'; known: {', '.join(sorted(VIEWS))}")
    return VIEWS[task](sharp_params, sharpness_grid)
