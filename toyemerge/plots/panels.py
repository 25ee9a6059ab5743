"""Paper-style panels of a model family: one metric against parameter count, from results.csv's rows.

Seeds are points, their mean a line; a metric parameter (K, L, c) gets one line per value,
coloured along a sequential map; a run that failed is a red × on the x axis.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from toyemerge.plots.save import RC


def curves(rows: list[dict], metric: str) -> dict:
    """{param: {n_params: [(seed, value, ci_low, ci_high), ...]}} for one metric."""
    out: dict = defaultdict(lambda: defaultdict(list))
    for r in rows:
        if r["metric"] == metric:
            out[r["param"]][r["n_params"]].append((r["seed"], r["value"], r["ci_low"], r["ci_high"]))
    if not out:
        raise ValueError(f"results have no metric '{metric}'")
    return out


def plot_metric(ax, rows: list[dict], metric: str, param_label: str = "", show_ci: bool = False,
                cmap: str = "viridis", params: list | None = None) -> None:
    """Draw `metric` vs parameters on `ax`: seeds as points, seed mean as a line, one line per param.

    `params` restricts the lines to those metric parameters (e.g. K in [1, 5, 50]) that the results
    hold; default: all.
    """
    by_param = curves(rows, metric)
    if params is not None:
        if missing := sorted(set(params) - set(by_param)):
            logging.getLogger(__name__).warning("%s: no results for parameters %s; not drawn", metric, missing)
        by_param = {p: by_param[p] for p in params if p in by_param}
        if not by_param:
            raise ValueError(f"results have none of the parameters {list(params)} for {metric}")
    params = sorted(by_param, key=lambda p: (p is None, p))
    colours = matplotlib.colormaps[cmap](np.linspace(0.0, 0.85, max(len(params), 1)))
    for colour, param in zip(colours, params, strict=True):
        if param is None:
            colour = "black"
        points = by_param[param]
        xs = sorted(points)
        means = [np.mean([v for _, v, _, _ in points[x]]) for x in xs]
        label = f"{param_label} = {param}" if param is not None else None
        ax.plot(xs, means, "-", color=colour, lw=1.6, label=label)
        px = [x for x in xs for _ in points[x]]
        py = [v for x in xs for _, v, _, _ in points[x]]
        ax.plot(px, py, "o", color=colour, ms=3, alpha=0.45, mec="none")
        if show_ci:
            for x in xs:
                for _, _, lo, hi in points[x]:
                    if not (math.isnan(lo) or math.isnan(hi)):
                        ax.plot([x, x], [lo, hi], "-", color=colour, lw=0.8, alpha=0.5)
    ax.set_xscale("log")
    ax.set_xlabel("Number of parameters")
    ax.grid(True, which="major", alpha=0.25, lw=0.5)
    if len(params) > 1 or params[0] is not None:
        ax.legend(frameon=False, fontsize=7)


def mark_failed(ax, failed_n_params: list[int]) -> None:
    """A red × on the x axis at the size of each run that failed, so no failure is silently dropped."""
    if failed_n_params:
        ax.plot(failed_n_params, [0.0] * len(failed_n_params), "x", color="tab:red", ms=7, mew=1.5,
                transform=ax.get_xaxis_transform(), clip_on=False, label="run failed (runs.csv)")
        ax.legend(frameon=False, fontsize=7)  # redrawn so the failure entry is in it


def metric_figure(rows: list[dict], spec, failed_n_params: list[int] = ()) -> Figure:
    """One panel from a figure spec of the experiment config (metric, ylabel, title, logy, …)."""
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(4.2, 3.2), layout="constrained")
        ax = fig.add_subplot()
        params = list(spec.params) if spec.get("params") is not None else None
        plot_metric(ax, rows, spec.metric, spec.get("param_label", ""), spec.get("show_ci", False), params=params)
        mark_failed(ax, list(failed_n_params))
        if spec.get("logy", False):
            ax.set_yscale("log")
        ax.set_ylabel(spec.get("ylabel", spec.metric))
        if spec.get("title"):
            ax.set_title(spec.title, fontsize=9)
    return fig
