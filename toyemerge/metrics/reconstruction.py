"""Autoencoders (CIFAR-100 and the same family on MNIST / Omniglot): metrics of `sq_err`, each test image's error.

Smooth metrics (the paper's panel B): test MSE and PSNR. Sharp metric (panel C): the paper's
Reconstruction_c = (1/N) Σₙ 1[errₙ < c], the fraction of test images reconstructed better than a
cutoff c (Schaeffer et al. 2023, Sec. 5.2). The paper writes errₙ = ‖xₙ − x̂ₙ‖²; here errₙ is that
sum divided by the number of pixel values (docs/DESIGN.md's `sq_err`), so one c means the same
per-pixel quality on 28×28 grey and 32×32×3 colour images. Pixels are in [0, 1].

Units (one per test image): `sq_err`, and `below_<c>` = 1[sq_err < c]. Predicted from the smooth
metric: G(c / MSE), where G is the empirical CDF of sq_err / MSE pooled over the family (one
error-distribution shape, scaled by each model's MSE). The extrapolation fits the power law to the
MSE itself.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from toyemerge.metrics.base import CONTINUOUS, SHARP, SMOOTH, Metric, TaskKind, Wording, seeded_permutation, table_row


def per_image_sq_err(x: np.ndarray, x_hat: np.ndarray) -> np.ndarray:
    """errₙ = (1/D) Σ_d (x_nd − x̂_nd)² for images flattened to (N, D) with values in [0, 1]."""
    x, x_hat = np.asarray(x, dtype=np.float64), np.asarray(x_hat, dtype=np.float64)
    if x.shape != x_hat.shape:
        raise ValueError(f"x {x.shape} and x_hat {x_hat.shape} differ in shape")
    return ((x - x_hat) ** 2).reshape(len(x), -1).mean(axis=1)


def mse(sq_err: np.ndarray) -> float:
    """Test MSE = (1/N) Σₙ errₙ, the mean over images (and pixels) of the squared error."""
    return float(np.mean(np.asarray(sq_err, dtype=np.float64)))


def psnr_from_mse(mean: np.ndarray, n_units: int = 0) -> np.ndarray:
    """PSNR (dB) of pixels in [0, 1] from the mean squared error: 10 · log10(1 / MSE) (MSE floored at 1e-12)."""
    return -10.0 * np.log10(np.maximum(mean, 1e-12))


def psnr(sq_err: np.ndarray) -> float:
    """PSNR (dB) of the test set's MSE with peak value 1: 10 · log10(1 / MSE)."""
    value = mse(sq_err)
    return math.inf if value == 0 else float(psnr_from_mse(np.asarray(value)))


def reconstruction(sq_err: np.ndarray, c: float) -> float:
    """Reconstruction_c = (1/N) Σₙ 1[errₙ < c] (strictly below the cutoff)."""
    if not c > 0:
        raise ValueError(f"the cutoff c must be positive, got {c!r}")
    return float(np.mean(np.asarray(sq_err) < c))


def suggest_cutoffs(sq_err: np.ndarray, quantiles: list[float], digits: int = 2) -> list[float]:
    """Cutoffs at `quantiles` of the pooled per-image errors `sq_err`, rounded to `digits` significant
    figures. Given the errors of the family's largest models, Reconstruction_c at the largest scale
    is then about each quantile, while the smaller models, whose errors are larger, fall below it.
    """
    values = np.quantile(np.asarray(sq_err, dtype=np.float64), quantiles)
    return [float(f"{v:.{digits}g}") for v in values]


class Reconstruction(TaskKind):
    name = "reconstruction"
    cache_name = "ReconstructionView"
    sharp_name, sharp_symbol, smooth_name = "reconstruction", "c", "mse"
    param_key = "cutoffs"
    unit_name = "test images"
    fractions = frozenset({"reconstruction"})
    figures = ("reconstructions",)
    smooth_wording = Wording("", "Test MSE per pixel", "test MSE", "Test MSE per pixel (log scale)", False)
    wording = {
        "reconstruction": Wording(
            "Reconstruction_c", "Test images with error below c = {p} (Reconstruction_c)",
            "Reconstruction_c at c = {p}", "Fraction of images with error < c", True,
            "Reconstruction_c: the fraction of test images whose mean squared error per pixel is below the "
            "cutoff c."),
    }

    def __init__(self, sharp_params: Sequence[float], sharpness_grid: Sequence[float]):
        super().__init__(sharp_params, sharpness_grid)
        self.shape: np.ndarray | None = None  # pooled sorted sq_err / MSE, set by fit_shape

    @staticmethod
    def parse(value):
        return float(value)

    def units(self, outputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {"sq_err": np.asarray(outputs["sq_err"], dtype=float)}

    def metrics(self, units: dict[str, np.ndarray], params: Sequence[float] | None = None) -> list[Metric]:
        out = [Metric("mse", None, SMOOTH, "sq_err", higher_is_better=False, label="Test MSE"),
               Metric("psnr", None, CONTINUOUS, "sq_err", psnr_from_mse, label="PSNR (dB)")]
        for c in self.sharp_params if params is None else params:
            unit = f"below_{c!r}"
            units.setdefault(unit, (units["sq_err"] < c).astype(float))
            out.append(Metric(self.sharp_name, float(c), SHARP, unit, label=f"Reconstruction, c = {c:g}",
                              counts=unit))
        return out

    def table(self, outputs: dict[str, np.ndarray], metrics_cfg) -> list[dict]:
        """mse, psnr, then per cutoff c Reconstruction_c (binomial CI over the test images)."""
        units = self.units(outputs)
        cutoffs = [float(c) for c in metrics_cfg.cutoffs]
        by_key = {m.key: m for m in self.metrics(units, cutoffs)}
        rows = [table_row(by_key[("mse", None)], units, metrics_cfg.confidence),
                dict(metric="psnr", param=None, value=psnr(outputs["sq_err"]))]
        rows += [table_row(by_key[(self.sharp_name, c)], units, metrics_cfg.confidence) for c in cutoffs]
        return rows

    def summary(self, outputs: dict[str, np.ndarray]) -> dict[str, float]:
        """The smooth metrics printed after each trained model."""
        return {"mse": mse(outputs["sq_err"]), "psnr": psnr(outputs["sq_err"])}

    def fit_shape(self, all_units: Sequence[dict[str, np.ndarray]]) -> None:
        """Pool sq_err / MSE over the family: the shape G that `predict_from_smooth` scales."""
        self.shape = np.sort(np.concatenate([u["sq_err"] / u["sq_err"].mean() for u in all_units]))

    def _cdf(self, ratio: np.ndarray) -> np.ndarray:
        if self.shape is None:
            raise RuntimeError("call fit_shape on the family first")
        return np.searchsorted(self.shape, ratio, side="left") / self.shape.size

    def predict_from_smooth(self, units: dict[str, np.ndarray], param: float) -> float:
        return float(self._cdf(np.asarray(param / units["sq_err"].mean())))

    def loss_from_smooth(self, smooth: np.ndarray) -> np.ndarray:
        return np.asarray(smooth, dtype=float)

    def sharp_from_loss(self, loss: np.ndarray, param: float) -> np.ndarray:
        return self._cdf(param / np.asarray(loss, dtype=float))

    def measured(self, units: dict[str, np.ndarray], param: float, n: int, seed: int) -> float:
        order = seeded_permutation(units["sq_err"].size, seed)[:n]
        return float((units["sq_err"][order] < param).mean())
