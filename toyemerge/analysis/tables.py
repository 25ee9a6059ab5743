"""The whole analysis of one family, as numbers: the tables below and what the four analysis figures show.

    curves.csv     one row per model × metric × parameter: value, bootstrap CI, predicted from the
                   smooth metric, extrapolated, sampling model
    emergence.csv  one row per metric × parameter: emergence scores (seed mean, per seed, every
                   2nd/3rd/4th scale), late_gain, prediction error and CI coverage, the power law
                   (empty, with the reason in fit_note, when it cannot be fitted), rms_step_score,
                   and a plain-words flag for a curve held at one value at most sizes
    sharpness.csv  emergence score of the sharp metric at each sharpness parameter (and its flag)
    resolution.csv the sharp metric measured on test subsets: score, share read 0 (and its flag)
    bootstrap_ci.json  the bootstrap CIs by outputs sha256 (recomputed on change)

All of it is a function of the saved per-example outputs; nothing retrains, nothing is drawn here
(toyemerge.plots draws the figures from an `Analysis`).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from toyemerge.analysis import prediction, resolution, sampling, sharpness
from toyemerge.analysis.cache import FILE as CACHE_FILE
from toyemerge.analysis.cache import CICache
from toyemerge.analysis.degenerate import flatness_flag
from toyemerge.analysis.family import Run
from toyemerge.analysis.prediction import NotFitted
from toyemerge.analysis.scores import emergence_scores, late_gain, rms_step_score, seed_mean_curve
from toyemerge.io import write_csv
from toyemerge.metrics.base import SHARP

log = logging.getLogger("toyemerge.analysis")

CURVE_COLUMNS = ["run_id", "n_params", "seed", "metric", "param", "role", "value", "ci_low", "ci_high",
                 "predicted_from_smooth", "extrapolated", "in_fit", "sampling_model"]
EMERGENCE_COLUMNS = ["metric", "param", "role", "emergence_score", "score_seed_min", "score_seed_median",
                     "score_seed_max", "score_every_2", "score_every_3", "score_every_4", "late_gain",
                     "pred_mae", "pred_coverage", "extrap_mae", "extrap_coverage",
                     "fit_alpha", "fit_log_c", "rms_step_score", "flag", "fit_note"]
SHARPNESS_COLUMNS = ["param", "measured", "mean", "seed_min", "seed_median", "seed_max", "flag"]
RESOLUTION_COLUMNS = ["param", "n", "emergence_score", "zero_fraction", "flag"]


@dataclass
class Settings:
    """The `analysis:` block of the config, as plain values (the defaults live in conf/config.yaml)."""

    n_resamples: int
    confidence: float
    seed: int
    subset_sizes: tuple[int, ...]
    strides: tuple[int, ...]
    fit_fraction: float
    resolution_param: int | float
    sharpness_log_x: bool = False

    @classmethod
    def from_cfg(cls, acfg) -> Settings:
        return cls(n_resamples=int(acfg.bootstrap_resamples), confidence=float(acfg.confidence),
                   seed=int(acfg.seed), subset_sizes=tuple(int(n) for n in acfg.subset_sizes),
                   strides=tuple(int(m) for m in acfg.sampling_every), fit_fraction=float(acfg.fit_fraction),
                   resolution_param=acfg.resolution_param, sharpness_log_x=bool(acfg.get("sharpness_log_x", False)))


def curve_rows(runs: list[Run], kind, settings: Settings, cache_dir: Path | None = None) -> list[dict]:
    """Every metric of every run with its bootstrap CI and both predictions of the sharp metric.

    With `cache_dir`, bootstrap CIs of runs whose outputs and settings are unchanged are read
    from cache_dir/bootstrap_ci.json instead of being resampled again.
    """
    key = f"{settings.n_resamples}:{settings.confidence}:{settings.seed}:{kind.cache_name}"
    ci_cache = CICache(None if cache_dir is None else cache_dir / CACHE_FILE, key)
    rows = []
    for i, run in enumerate(runs):
        metrics = kind.metrics(run.units)
        names = [f"{m.name}|{m.param}" for m in metrics]
        cached = ci_cache.get(run.run_id, run.digest, names)
        if cached is None:
            values, low, high = resolution.bootstrap_metrics(run.units, metrics, settings.n_resamples,
                                                             settings.confidence, settings.seed + i)
            ci_cache.put(run.run_id, run.digest, names, low, high)
        else:
            values, _, _ = resolution.bootstrap_metrics(run.units, metrics, 0, settings.confidence, 0)
            low, high = (np.array(v) for v in zip(*cached, strict=True))
        base = {"run_id": run.run_id, "n_params": run.n_params, "seed": run.seed}
        for m, v, lo, hi in zip(metrics, values, low, high, strict=True):
            row = {**base, "metric": m.name, "param": m.param, "role": m.role, "value": float(v),
                   "ci_low": float(lo), "ci_high": float(hi)}
            if m.role == SHARP:
                row["predicted_from_smooth"] = kind.predict_from_smooth(run.units, m.param)
                row["sampling_model"] = kind.sampling_model(run.units, m.param)
            rows.append(row)
        for row in kind.sampled_rows(run.units, kind.sharp_params, settings.seed, settings.confidence):
            row["predicted_from_smooth"] = kind.predict_from_smooth(run.units, row["param"])
            rows.append({**base, **row})
    ci_cache.save({r.run_id for r in runs})
    _add_extrapolation(rows, kind, settings)
    return rows


def fit_scales(rows: list[dict], kind, settings: Settings) -> np.ndarray:
    """The smaller scales the power law is fitted on (NotFitted with fewer than 3 scales)."""
    x = [r["n_params"] for r in rows if r["metric"] == kind.smooth_name and r["param"] is None]
    return prediction.split_scales(np.array(x, dtype=float), settings.fit_fraction)[0]


def fit_extrapolation(rows: list[dict], kind, settings: Settings) -> tuple[prediction.PowerLaw, np.ndarray]:
    """The power law ℓ(N) fitted on the smaller scales' smooth metric, and those scales.

    Raises NotFitted, with the reason, where there is nothing to fit (prediction.fit_power_law)."""
    smooth = [r for r in rows if r["metric"] == kind.smooth_name and r["param"] is None]
    x = np.array([r["n_params"] for r in smooth], dtype=float)
    scales = fit_scales(rows, kind, settings)
    in_fit = np.isin(x, scales)
    try:
        loss = kind.loss_from_smooth(np.array([r["value"] for r in smooth]))
    except ValueError as err:  # the task kind has no loss model for this smooth metric
        raise NotFitted(str(err)) from None
    return prediction.fit_power_law(x[in_fit], loss[in_fit]), scales


def _add_extrapolation(rows: list[dict], kind, settings: Settings) -> None:
    """Predict every sharp row from the power law fitted on the smaller half of the scales.

    Not fitted (fewer than 3 scales, or no signal to fit: prediction.NotFitted): NaN, and in_fit
    marks the scales the fit would have used (all of them with fewer than 3).
    """
    try:
        law, scales = fit_extrapolation(rows, kind, settings)
    except NotFitted as err:
        log.warning("no extrapolation: %s", err)
        try:
            edge = float(fit_scales(rows, kind, settings).max())
        except NotFitted:
            edge = float("inf")
        for r in rows:
            if r["role"] == SHARP:
                r["extrapolated"], r["in_fit"] = float("nan"), int(r["n_params"] <= edge)
        return
    for r in rows:
        if r["role"] == SHARP:
            r["extrapolated"] = float(kind.sharp_from_loss(law(np.array([r["n_params"]])), r["param"])[0])
            r["in_fit"] = int(r["n_params"] <= scales.max())


def emergence_rows(rows: list[dict], kind, settings: Settings) -> list[dict]:
    """One row per metric × parameter: scores (seed mean, per seed, thinned grids), prediction."""
    groups: dict = defaultdict(list)
    for r in rows:
        groups[(r["metric"], r["param"])].append(r)
    try:
        split = float(fit_scales(rows, kind, settings).max())  # late_gain: the change above the fitted scales
    except NotFitted:
        split = None
    try:
        law, note = fit_extrapolation(rows, kind, settings)[0], ""
    except NotFitted as err:
        law, note = prediction.PowerLaw(float("nan"), float("nan")), f"not fitted: {err}"
    out = []
    for (metric, param), group in groups.items():
        x = np.array([r["n_params"] for r in group], dtype=float)
        y = np.array([r["value"] for r in group])
        s = emergence_scores(x, y, np.array([r["seed"] for r in group]))
        row = {"metric": metric, "param": param, "role": group[0]["role"], "emergence_score": s["mean"],
               "score_seed_min": s["seed_min"], "score_seed_median": s["seed_median"], "score_seed_max": s["seed_max"]}
        xs, mean = seed_mean_curve(x, y)
        if split is not None:
            row["late_gain"] = late_gain(xs, mean, split)
        row["rms_step_score"] = rms_step_score(xs, mean)
        row["flag"] = flatness_flag(xs, mean)
        for m, scores in sampling.scores_by_stride(x, y, (2, 3, 4)).items():
            finite = [v for v in scores if np.isfinite(v)]
            row[f"score_every_{m}"] = float(np.mean(finite)) if finite else float("nan")
        if group[0]["role"] == SHARP:
            low = np.array([r["ci_low"] for r in group])
            high = np.array([r["ci_high"] for r in group])
            pred = np.array([r["predicted_from_smooth"] for r in group])
            extra = np.array([r["extrapolated"] for r in group])
            held_out = np.array([not r["in_fit"] for r in group])
            row.update(pred_mae=prediction.mean_abs_error(pred, y), pred_coverage=prediction.coverage(pred, low, high),
                       extrap_mae=prediction.mean_abs_error(extra[held_out], y[held_out]),
                       extrap_coverage=prediction.coverage(extra[held_out], low[held_out], high[held_out]),
                       fit_alpha=law.alpha, fit_log_c=law.log_c, fit_note=note)
        out.append(row)
    return out


@dataclass
class Analysis:
    """Every number of a family's analysis: the four tables and what the four figures draw."""

    rows: list[dict]                 # curves.csv
    table: list[dict]                # emergence.csv
    sweep: list[dict]                # sharpness.csv (exact rows, then measured ones)
    resolution_rows: list[dict]      # resolution.csv
    resolution_param: int | float    # the sharp parameter of the resolution study
    measured: dict[int, np.ndarray]  # {n: the sharp metric measured on n test units, per run}
    exact: np.ndarray                # its exact (infinite-resolution) value, per run
    sampling_model: np.ndarray       # a model sampling its answer, per run
    sampling_curves: dict = field(default_factory=dict)  # {label: (x, y, higher_is_better)}
    references: dict = field(default_factory=dict)  # {label: oriented emergence score} of the reference metrics
    cross: float | None = None       # the first sharpness parameter scoring above the smooth metric


def analyze(runs: list[Run], kind, settings: Settings, cache_dir: Path | None = None) -> Analysis:
    """The analysis of a family (runs sorted by scale, then seed) under one task kind."""
    rows = curve_rows(runs, kind, settings, cache_dir)
    table = emergence_rows(rows, kind, settings)
    direction = {m.key: m.higher_is_better for m in kind.metrics(runs[0].units)}
    score = {(t["metric"], t["param"]): t["emergence_score"] for t in table}
    # reference curves: the smooth metric and the parameter-free continuous ones
    references = [(t["metric"], None) for t in table if t["role"] != SHARP and t["param"] is None]

    param = (kind.sharp_params[0] if len(kind.sharp_params) == 1 else  # None: a claimed metric, no parameter
             min(kind.sharp_params, key=lambda v: abs(float(v) - float(settings.resolution_param))))
    exact = _curve(rows, (kind.sharp_name, param))[1]
    model = np.array([kind.sampling_model(r.units, param) for r in runs])
    x = np.array([r.n_params for r in runs], dtype=float)
    n_units = min(len(next(iter(r.units.values()))) for r in runs)
    sizes = sorted({min(int(n), n_units) for n in settings.subset_sizes})
    measured = resolution.subset_size_curves(runs, kind, param, sizes, settings.seed)
    res_rows = [{"param": param, **r} for r in resolution.resolution_rows(x, measured)]

    curves = {key[0].replace("_", " "): (*_curve(rows, key), direction[key]) for key in references}
    for suffix, label in (("", "exact"), ("_sampled", "measured")):
        if (kind.sharp_name + suffix, param) in score:
            what = "(claimed)" if param is None else f"{kind.sharp_symbol}={param} ({label})"
            curves[f"{kind.sharp_name.replace('_', ' ')} {what}"] = (
                *_curve(rows, (kind.sharp_name + suffix, param)), direction.get((kind.sharp_name, param), True))

    sweep = sharpness.sweep(runs, kind, kind.sharpness_grid)
    if kind.has_sampled:
        sweep += sharpness.sweep(runs, kind, kind.sharpness_grid, measured=True, seed=settings.seed)
    oriented = {key[0].replace("_", " "): score[key] * (1 if direction[key] else -1) for key in references}
    cross = sharpness.first_above([r for r in sweep if not r["measured"]],
                                  oriented[kind.smooth_name.replace("_", " ")])
    return Analysis(rows, table, sweep, res_rows, param, measured, exact, model, curves, oriented, cross)


def _curve(rows: list[dict], key: tuple) -> tuple[np.ndarray, np.ndarray]:
    """(n_params, value) of every run for one metric × parameter."""
    group = [r for r in rows if (r["metric"], r["param"]) == key]
    return np.array([r["n_params"] for r in group], dtype=float), np.array([r["value"] for r in group])


COLUMNS = {"curves.csv": CURVE_COLUMNS, "emergence.csv": EMERGENCE_COLUMNS, "sharpness.csv": SHARPNESS_COLUMNS,
           "resolution.csv": RESOLUTION_COLUMNS}


def write_tables(folder: Path, result: Analysis) -> list[Path]:
    """curves.csv, emergence.csv, sharpness.csv and resolution.csv of one analysis, into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    tables = {"curves.csv": result.rows, "emergence.csv": result.table, "sharpness.csv": result.sweep,
              "resolution.csv": result.resolution_rows}
    for name, rows in tables.items():
        write_csv(folder / name, rows, COLUMNS[name])
    return [folder / name for name in tables]


