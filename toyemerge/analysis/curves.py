"""Aggregate curves: which metrics look emergent across many tasks (the paper's Sec. 4 meta-analysis, Fig. 5).

Much published evidence is a table of scores per task × model family × metric × model size, not
per-example outputs. Each (task, family, metric) is one curve y(N); it gets the emergence score of
toyemerge.analysis.scores, its late gain (the share of its change above the smaller half of the
sizes), the rms_step_score diagnostic and, where it sits at one value at most sizes, a plain-words
flag. It *looks emergent* when

    oriented score = EmergenceScore · (+1 if higher is better else −1) > threshold
    and late_gain > min_late_gain

(the score alone cannot tell a late jump from early saturation; late_gain can). Per metric, the
share of its scored curves that look emergent is the bar of the paper's Fig. 5. The threshold is
the user's to state (it is not taken from the paper): a straight line over m sizes scores m − 1,
so the default 20 asks for about twice what a straight line over 11 sizes scores (a straight line
over 12 sizes scores 11 with a late gain of 6/11, and must not pass). Numbers only; nothing is
drawn here (toyemerge.plots.emergent_share draws the shares).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from toyemerge.analysis.degenerate import flatness_flag
from toyemerge.analysis.prediction import split_scales
from toyemerge.analysis.scores import MIN_SCALES, emergence_score, late_gain, rms_step_score
from toyemerge.io import write_csv

DEFAULT_THRESHOLD = 20.0
DEFAULT_MIN_LATE_GAIN = 0.5

SCORE_COLUMNS = ["task", "family", "metric", "higher_is_better", "n_sizes", "n_params_min", "n_params_max",
                 "value_first", "value_last", "emergence_score", "oriented_score", "late_gain", "rms_step_score",
                 "n_examples_min", "emergent", "flag", "note"]
SHARE_COLUMNS = ["metric", "n_curves", "n_scored", "n_emergent", "share_emergent", "n_emergent_infinite",
                 "n_flagged", "median_oriented_score", "threshold", "min_late_gain"]


@dataclass(frozen=True)
class Curve:
    """One scaling curve of an aggregate table: a metric of one family on one task, per model size."""

    task: str
    family: str
    metric: str
    n_params: np.ndarray
    value: np.ndarray
    n_examples: np.ndarray  # per size; NaN where the table does not say
    higher_is_better: bool = True


def score_curve(curve: Curve, threshold: float, min_late_gain: float, fit_fraction: float) -> dict:
    """One row of curve_scores.csv: the curve's scores, whether it looks emergent, its flag."""
    order = np.argsort(curve.n_params, kind="stable")
    x, y = curve.n_params[order].astype(float), curve.value[order].astype(float)
    known = curve.n_examples[np.isfinite(curve.n_examples)]
    row = {"task": curve.task, "family": curve.family, "metric": curve.metric,
           "higher_is_better": int(curve.higher_is_better), "n_sizes": int(x.size), "n_params_min": float(x[0]),
           "n_params_max": float(x[-1]), "value_first": float(y[0]), "value_last": float(y[-1]),
           "n_examples_min": float(known.min()) if known.size else None}
    if x.size < MIN_SCALES:
        return {**row, "note": f"not scored: {x.size} sizes; the emergence score needs {MIN_SCALES} or more"}
    score = emergence_score(x, y)
    oriented = score if curve.higher_is_better else -score
    gain = late_gain(x, y, float(split_scales(x, fit_fraction)[0].max()))
    emergent = oriented > threshold and (gain > min_late_gain)  # NaN late gain (a flat curve): not emergent
    return {**row, "emergence_score": score, "oriented_score": oriented, "late_gain": gain,
            "rms_step_score": rms_step_score(x, y), "emergent": int(emergent),
            "flag": flatness_flag(x, y, row["n_examples_min"])}


def score_curves(curves: list[Curve], threshold: float = DEFAULT_THRESHOLD,
                 min_late_gain: float = DEFAULT_MIN_LATE_GAIN, fit_fraction: float = 0.5) -> list[dict]:
    return [score_curve(c, threshold, min_late_gain, fit_fraction) for c in curves]


def metric_shares(rows: list[dict], threshold: float = DEFAULT_THRESHOLD,
                  min_late_gain: float = DEFAULT_MIN_LATE_GAIN) -> list[dict]:
    """Per metric: how many of its scored curves look emergent (share_emergent), most emergent first."""
    by_metric: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_metric[r["metric"]].append(r)
    out = []
    for metric, group in by_metric.items():
        scored = [r for r in group if "emergent" in r]
        emergent = [r for r in scored if r["emergent"]]
        oriented = [r["oriented_score"] for r in scored if not math.isnan(r["oriented_score"])]
        out.append({"metric": metric, "n_curves": len(group), "n_scored": len(scored), "n_emergent": len(emergent),
                    "share_emergent": len(emergent) / len(scored) if scored else float("nan"),
                    "n_emergent_infinite": sum(math.isinf(r["oriented_score"]) for r in emergent),
                    "n_flagged": sum(bool(r.get("flag")) for r in group),
                    "median_oriented_score": float(np.median(oriented)) if oriented else float("nan"),
                    "threshold": threshold, "min_late_gain": min_late_gain})
    return sorted(out, key=lambda r: (-np.nan_to_num(r["share_emergent"], nan=-1.0), r["metric"]))


def write_tables(folder: Path, scores: list[dict], shares: list[dict]) -> list[Path]:
    """curve_scores.csv (one row per curve) and metric_shares.csv (one row per metric), into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(folder / "curve_scores.csv", scores, SCORE_COLUMNS)
    write_csv(folder / "metric_shares.csv", shares, SHARE_COLUMNS)
    return [folder / "curve_scores.csv", folder / "metric_shares.csv"]
