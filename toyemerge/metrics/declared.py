"""Declared roles: per-example outputs of any family, with the roles its user says each metric plays.

The toy task kinds fix the roles (a classifier's accuracy is smooth, its K-of-K subset accuracy
sharp). For a language model, exact match *is* the sharp metric, and the smooth ones come from the
probability of the target, per-token correctness or a graded score. Here the user names the
*claimed* metric (the one an emergence claim is about: role sharp) and the *continuous* ones
compared with it on the same outputs (role smooth).

A unit is one test example (a question). Its items are its rows: one per answer token (or step)
when the input groups them, else the example itself. Per unit u with items i = 1..L_u:

    exact_match          1[every item right] = Π_i correct_i                       (claimable)
    token_accuracy       (1/L_u) Σ_i correct_i                  (grouped input only)
    token_edit_distance  Σ_i 1[item i wrong] (the Hamming = Levenshtein distance of equal-length
                         token sequences; lower is better)      (grouped input only)
    log_prob             (1/L_u) Σ_i log p_i, p_i = the probability of the target token (floored at
                         1e-12): minus the per-token cross-entropy (needs p_target)
    <score column>       (1/L_u) Σ_i score_i: any numeric score, e.g. BLEU or an edit distance
    <0/1 column>         Π_i flag_i: a right/wrong column other than `correct` (claimable)

and each metric is the mean over units. The paper's model (Sec. 2) links the per-token ones to
exact match: p = per-token accuracy, or p = exp(log_prob) = exp(−cross-entropy); exact match ≈
mean_u p^{L_u} (`predict_from_smooth`), and the power law ℓ(N) = −log p extrapolates it. A model
sampling its answer has expected exact match mean_u Π_i p_i (`sampling_model`). The sharpness
map sweeps K of "all K of K independent examples right" on the claimed metric (K = 1: the claim).
Not a config task kind: the rescore CLI builds it from the roles its user declares.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from toyemerge.metrics.base import SHARP, SMOOTH, Metric, TaskKind, Wording, seeded_permutation
from toyemerge.metrics.classification import P_FLOOR, subset_accuracy_from_mean, subset_groups

EXACT_MATCH, TOKEN_ACCURACY, TOKEN_EDIT_DISTANCE, LOG_PROB = (
    "exact_match", "token_accuracy", "token_edit_distance", "log_prob")
LABELS = {EXACT_MATCH: "Exact match", TOKEN_ACCURACY: "Per-token accuracy",
          TOKEN_EDIT_DISTANCE: "Token edit distance", LOG_PROB: "Mean log p(target) per token"}
UNITS = {EXACT_MATCH: "exact", TOKEN_ACCURACY: "tok_acc", TOKEN_EDIT_DISTANCE: "wrong", LOG_PROB: "log_p"}
LOWER_IS_BETTER = {TOKEN_EDIT_DISTANCE}
LOSS_MODELS = (TOKEN_ACCURACY, LOG_PROB)  # the continuous metrics the paper's model turns into exact match


def builtin_metrics(grouped: bool, has_p: bool) -> list[str]:
    """The metrics an input supports without naming columns: exact match, and per token or from p_target."""
    return [EXACT_MATCH] + ([TOKEN_ACCURACY, TOKEN_EDIT_DISTANCE] if grouped else []) + ([LOG_PROB] if has_p else [])


class DeclaredRoles(TaskKind):
    name = cache_name = "declared"
    sharp_symbol = "K"
    unit_name = "test examples"
    figures = ()
    smooth_wording = Wording("", "Continuous metric", "continuous metric", "Continuous metric", False)

    def __init__(self, claimed: str, continuous: Sequence[str], grouped: bool, lower_is_better: Sequence[str] = (),
                 sharpness_grid: Sequence[int] = ()):
        self.claimed, self.continuous, self.grouped = claimed, list(continuous), grouped
        self.lower = set(lower_is_better) | LOWER_IS_BETTER
        self.sharp_name = claimed
        self.sharp_params = [None]  # the claim itself; K of the sharpness map makes it sharper still
        self.sharpness_grid = [int(k) for k in sharpness_grid]
        self.fractions = frozenset({claimed})
        # the base of the prediction and the extrapolation: the first one the paper's model links to the claim
        self.smooth_name = next((m for m in LOSS_MODELS if m in self.continuous), self.continuous[0])
        self.lengths: np.ndarray | None = None  # L_u of every unit, set by fit_shape

    def sharpness_axis(self) -> str:
        return f"K: all K of K independent examples right by {self.claimed.replace('_', ' ')} (K = 1: the claim)"

    @staticmethod
    def unit_of(metric: str) -> str:
        return UNITS.get(metric, f"column:{metric}")

    def units(self, outputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Per-unit arrays from per-item ones: `unit` (the unit of each item), `correct`, optional
        `p_target`, and `column:<name>` for each named column."""
        unit = np.asarray(outputs["unit"], dtype=np.int64)
        n_items = np.bincount(unit).astype(float)
        right = np.bincount(unit, weights=np.asarray(outputs["correct"], dtype=float))
        units = {"n_items": n_items, "exact": (right == n_items).astype(float)}
        if self.grouped:
            units["tok_acc"], units["wrong"] = right / n_items, n_items - right
        if "p_target" in outputs:
            p = np.asarray(outputs["p_target"], dtype=float)
            units["log_p"] = np.bincount(unit, weights=np.log(np.maximum(p, P_FLOOR))) / n_items
            with np.errstate(divide="ignore"):  # p = 0: log 0 = −∞, a product of 0
                units["p_answer"] = np.exp(np.bincount(unit, weights=np.log(p)))
        for key, values in outputs.items():
            if key.startswith("column:"):
                mean = np.bincount(unit, weights=np.asarray(values, dtype=float)) / n_items
                units[key] = (mean == 1.0).astype(float) if key == f"column:{self.claimed}" else mean
        return units

    def metrics(self, units: dict[str, np.ndarray], params: Sequence | None = None) -> list[Metric]:
        """The continuous metrics (role smooth), then the claimed one (role sharp); with `params`, the claim
        made sharper: all K of K independent examples right (C(n, K) / C(N, K), as subset accuracy)."""
        out = [Metric(name, None, SMOOTH, self.unit_of(name), higher_is_better=name not in self.lower,
                      label=LABELS.get(name, name)) for name in self.continuous]
        claim = self.unit_of(self.claimed)
        n_units = units[claim].size
        for k in self.sharp_params if params is None else params:
            if k is None:
                out.append(Metric(self.claimed, None, SHARP, claim, label=LABELS.get(self.claimed, self.claimed),
                                  counts=claim))
            elif int(k) <= n_units:
                out.append(Metric(self.claimed, int(k), SHARP, claim, subset_accuracy_from_mean(int(k)),
                                  label=f"all {k} of {k} examples right"))
        return out

    def fit_shape(self, all_units: Sequence[dict[str, np.ndarray]]) -> None:
        """The answer lengths L_u (the same examples for every model) that turn p into exact match."""
        self.lengths = np.asarray(all_units[0]["n_items"], dtype=float)

    def _models_exact_match(self) -> bool:
        return self.claimed == EXACT_MATCH and self.smooth_name in LOSS_MODELS

    def _token_p(self, units: dict[str, np.ndarray]) -> float:
        """p of the paper's model from the smooth metric's value: token accuracy, or exp(log_prob)."""
        if self.smooth_name == TOKEN_ACCURACY:
            return float(units["tok_acc"].mean())
        return float(np.exp(units["log_p"].mean()))

    def predict_from_smooth(self, units: dict[str, np.ndarray], param) -> float:
        """Exact match predicted from the smooth metric alone: mean_u p^{L_u} (items independent)."""
        if not self._models_exact_match():
            return float("nan")
        return float(np.mean(self._token_p(units) ** units["n_items"]) ** (1 if param is None else param))

    def sampling_model(self, units: dict[str, np.ndarray], param) -> float:
        """Exact match of a model sampling its answer token by token from p: mean_u Π_i p_i."""
        if self.claimed != EXACT_MATCH or "p_answer" not in units:
            return float("nan")
        return float(units["p_answer"].mean() ** (1 if param is None else param))

    def loss_from_smooth(self, smooth: np.ndarray) -> np.ndarray:
        """ℓ = −log(token accuracy) (∞ at 0, left out of the fit) or −log_prob (the per-token cross-entropy).

        ValueError, saying why, where the paper's model does not link the smooth metric to the claim."""
        if self.claimed != EXACT_MATCH:
            raise ValueError(f"the paper's model predicts exact match, not {self.claimed}")
        if self.smooth_name == TOKEN_ACCURACY:
            with np.errstate(divide="ignore"):
                return -np.log(np.clip(np.asarray(smooth, dtype=float), 0.0, 1.0))
        if self.smooth_name == LOG_PROB:
            return -np.asarray(smooth, dtype=float)
        raise ValueError(f"no model links {self.smooth_name} to exact match (give group, for per-token "
                         "correctness, or p_target)")

    def sharp_from_loss(self, loss: np.ndarray, param) -> np.ndarray:
        """mean_u exp(−ℓ)^{L_u}, for each ℓ."""
        p = np.exp(-np.asarray(loss, dtype=float))
        return np.mean(p[..., None] ** self.lengths, axis=-1) ** (1 if param is None else param)

    def measured(self, units: dict[str, np.ndarray], param, n: int, seed: int) -> float:
        """The claimed metric on the first n examples of a seeded permutation (K-of-K on disjoint groups)."""
        claim = units[self.unit_of(self.claimed)].astype(bool)
        if n < claim.size:
            claim = claim[seeded_permutation(claim.size, seed)[:n]]
        return float(subset_groups(claim, 1 if param is None else int(param), seed).mean())
