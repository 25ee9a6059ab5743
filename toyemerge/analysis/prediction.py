"""Prediction: the sharp curve from the smooth one, without looking at the sharp metric.

Two predictions per sharp point:
- *from the smooth metric* of the same model (the view's rule: acc^K, Π_l acc_l, G(c/MSE));
- *extrapolated*: the paper's Sec. 2 model fitted on the smaller half of the scales only,

      ℓ(N) = (N / c)^α  (α < 0),    p(N) = exp(−ℓ(N)),    sharp = p^K,

  with ℓ the per-item loss the view derives from the smooth metric (−log accuracy for
  classifiers and sequences, so p is the accuracy; the MSE for autoencoders), fitted by
  `scipy.optimize.curve_fit` on log ℓ = α (log N − log c) and used on the larger half.

Each is scored against the observed value and its 95 % CI: mean absolute error, and coverage =
the fraction of predicted points inside the observed CI.

A fit that has nothing to fit is *not fitted*, never a number: `NotFitted` says why (fewer than 2
sizes with a finite positive loss, a loss that is the same at every fitted size, one that does not
fall with size, or a fit that does not converge), and the tables leave its cells empty.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.optimize import OptimizeWarning, curve_fit


@dataclass(frozen=True)
class PowerLaw:
    """ℓ(N) = (N / c)^α; `log_c` is the natural log of c (c spans many decades)."""

    alpha: float
    log_c: float

    def __call__(self, n_params: np.ndarray) -> np.ndarray:
        return np.exp(self.alpha * (np.log(np.asarray(n_params, dtype=float)) - self.log_c))


def _log_power_law(log_n: np.ndarray, alpha: float, log_c: float) -> np.ndarray:
    return alpha * (log_n - log_c)


class NotFitted(ValueError):
    """The power law cannot be fitted to this curve; the message says why, in words."""


FLAT_LOG_LOSS = 1e-9  # log ℓ spanning less than this over the fitted sizes: the loss does not change


def fit_power_law(n_params: np.ndarray, loss: np.ndarray) -> PowerLaw:
    """Least-squares fit of log ℓ = α (log N − log c) with scipy.optimize.curve_fit.

    Points with ℓ ≤ 0 (a perfect model: log undefined) or ℓ = ∞ (accuracy 0: −log 0) are dropped;
    at least 2 scales must remain. Raises NotFitted when there is no signal to fit: log ℓ the same
    at every fitted size (α would be 0 and log c infinite, whatever numbers rounding leaves), a
    loss that does not fall with size (the model needs α < 0), or a fit that does not converge.
    """
    n_params, loss = np.asarray(n_params, dtype=float), np.asarray(loss, dtype=float)
    keep = np.isfinite(loss) & (loss > 0)
    if np.unique(n_params[keep]).size < 2:
        parts = [f"{count} of the {loss.size} fitted sizes {what}" for count, what in (
            (int(np.count_nonzero(np.isposinf(loss))), "have an infinite loss, accuracy 0"),
            (int(np.count_nonzero(loss <= 0)), "have a loss of 0, a perfect score")) if count]
        why = f" ({'; '.join(parts)})" if parts else ""
        raise NotFitted(f"needs a finite positive loss at 2 or more scales{why}")
    log_n, log_loss = np.log(n_params[keep]), np.log(loss[keep])
    if np.ptp(log_loss) < FLAT_LOG_LOSS:
        raise NotFitted(f"no signal: the loss is {float(np.exp(log_loss[0])):.4g} at every fitted size")
    with warnings.catch_warnings():  # 2 scales fit exactly: no covariance, which is not used anyway
        warnings.simplefilter("ignore", OptimizeWarning)
        try:
            slope, intercept = np.polyfit(log_n, log_loss, 1)  # starting point only
            p0 = (slope, -intercept / slope if slope != 0 else float(np.mean(log_n)))
            (alpha, log_c), _ = curve_fit(_log_power_law, log_n, log_loss, p0=p0)
        except (RuntimeError, ValueError) as err:  # scipy: "Optimal parameters not found: ..."; LinAlgError
            raise NotFitted(f"the fit did not converge ({err})") from None
    if not (np.isfinite(alpha) and np.isfinite(log_c)):
        raise NotFitted("the fit did not converge (non-finite parameters)")
    if alpha >= 0:
        raise NotFitted(f"no signal: the loss does not fall with size over the fitted sizes (α = {alpha:.3g}; "
                        "the model needs α < 0)")
    return PowerLaw(float(alpha), float(log_c))


def split_scales(scales: np.ndarray, fit_fraction: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """(smaller scales to fit on, larger scales to predict); at least 2 to fit and 1 to predict."""
    scales = np.sort(np.unique(scales))
    if len(scales) < 3:
        raise NotFitted(f"extrapolation needs at least 3 scales (2 to fit, 1 to predict), got {len(scales)}")
    n_fit = int(np.clip(int(len(scales) * fit_fraction), 2, len(scales) - 1))
    return scales[:n_fit], scales[n_fit:]


def coverage(predicted: np.ndarray, low: np.ndarray, high: np.ndarray) -> float:
    """Fraction of predictions inside their observed CI [low, high] (NaN CIs are left out)."""
    predicted, low, high = (np.asarray(a, dtype=float) for a in (predicted, low, high))
    ok = np.isfinite(predicted) & np.isfinite(low) & np.isfinite(high)
    if not ok.any():
        return float("nan")
    return float(np.mean((predicted[ok] >= low[ok]) & (predicted[ok] <= high[ok])))


def mean_abs_error(predicted: np.ndarray, observed: np.ndarray) -> float:
    predicted, observed = np.asarray(predicted, dtype=float), np.asarray(observed, dtype=float)
    ok = np.isfinite(predicted) & np.isfinite(observed)
    return float(np.mean(np.abs(predicted[ok] - observed[ok]))) if ok.any() else float("nan")
