"""The mirage figure: the same outputs scored by a smooth, continuous and sharp metric side by side.

Each panel shows seeds as points with their 95 % bootstrap CI, the seed mean as a line, and the
metric's emergence score in its title. The sharp panel adds the curve predicted from the smooth
metric alone (dashed) and the power law fitted on the smaller half of the scales (dotted, right
of the grey line it is an out-of-sample prediction; where it cannot be fitted, the legend says
why). A curve held at one value at most sizes carries its flag in words (analysis.degenerate).
"""

from __future__ import annotations

import textwrap
from collections import defaultdict

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from toyemerge.analysis.resolution import seed_spread
from toyemerge.metrics.base import CONTINUOUS, SHARP, SMOOTH
from toyemerge.plots.save import RC


def _curves(rows: list[dict], role: str) -> dict[str, dict]:
    """{metric name: {param: [rows]}} for one role, in first-seen order."""
    out: dict = defaultdict(lambda: defaultdict(list))
    for r in rows:
        if r["role"] == role and not r["metric"].endswith("_sampled"):
            out[r["metric"]][r["param"]].append(r)
    return out


def _draw(ax, group: list[dict], colour, label: str | None) -> None:
    x = np.array([r["n_params"] for r in group], dtype=float)
    y = np.array([r["value"] for r in group])
    xs, mean, _, _ = seed_spread(x, y)
    ax.plot(xs, mean, "-", color=colour, lw=1.6, label=label)
    ax.plot(x, y, "o", color=colour, ms=2.8, alpha=0.5, mec="none")
    low = np.array([r["ci_low"] for r in group])
    high = np.array([r["ci_high"] for r in group])
    ok = np.isfinite(low) & np.isfinite(high)
    ax.vlines(x[ok], low[ok], high[ok], color=colour, lw=0.9, alpha=0.6)


def _words(score: float, flag: str) -> str:
    return flag or f"score {score:.1f}"  # a flag says the score too, and why it is what it is


def figure(rows: list[dict], kind, table: list[dict], title: str) -> Figure:
    score = {(t["metric"], t["param"]): t["emergence_score"] for t in table}
    flag = {(t["metric"], t["param"]): t.get("flag", "") for t in table}
    not_fitted = next((t["fit_note"] for t in table if t.get("fit_note")), "")
    panels = [(SMOOTH, name) for name in _curves(rows, SMOOTH)]
    panels += [(CONTINUOUS, name) for name in _curves(rows, CONTINUOUS)]
    panels += [(SHARP, name) for name in _curves(rows, SHARP)]
    with matplotlib.rc_context(RC):
        widths = [1.0] * (len(panels) - 1) + [1.7]  # the sharp panel, with its legend beside it
        fig = Figure(figsize=(3.0 * sum(widths), 3.4), layout="constrained")
        axes = np.atleast_1d(fig.subplots(1, len(panels), width_ratios=widths))
        for ax, (role, name) in zip(axes, panels, strict=True):
            by_param = _curves(rows, role)[name]
            params = sorted(by_param, key=lambda p: (p is None, p))
            colours = (["black"] if params == [None] else
                       matplotlib.colormaps["viridis"](np.linspace(0.0, 0.85, len(params))))
            for colour, param in zip(colours, params, strict=True):
                group = by_param[param]
                label = None if param is None else f"{kind.sharp_symbol if role == SHARP else 'L'} = {param:g} " \
                                                   f"({_words(score[(name, param)], flag[(name, param)])})"
                _draw(ax, group, colour, label)
                if role == SHARP:
                    x = np.array([r["n_params"] for r in group], dtype=float)
                    for key, style in (("predicted_from_smooth", "--"), ("extrapolated", ":")):
                        xs, mean, _, _ = seed_spread(x, np.array([r[key] for r in group]))
                        ax.plot(xs, mean, style, color=colour, lw=1.3)
            if role == SHARP:
                fit_edge = max(r["n_params"] for r in rows if r.get("in_fit") == 1)
                ax.axvline(fit_edge, color="0.6", lw=0.8)
                handles, labels = ax.get_legend_handles_labels()
                handles += [Line2D([], [], color="0.3", ls="--"), Line2D([], [], color="0.3", ls=":")]
                labels += ["predicted from smooth metric",
                           textwrap.fill(f"power law {not_fitted}", 44) if not_fitted else
                           "power law fitted left of grey line"]
                ax.legend(handles, labels, frameon=False, fontsize=6.5, loc="upper left", bbox_to_anchor=(1.01, 1.0))
            elif params != [None]:
                ax.legend(frameon=False, fontsize=6.5)
            s = score.get((name, None))
            ax.set_title(f"{role}: {name.replace('_', ' ')}" + (f" (score {s:.1f})" if s is not None else ""),
                         fontsize=9)
            if flag.get((name, None)):
                ax.text(0.02, 0.98, textwrap.fill(flag[(name, None)], 38), transform=ax.transAxes, va="top",
                        fontsize=6.5, color="C3")
            ax.set_xscale("log")
            ax.set_xlabel("Number of parameters")
            ax.grid(True, alpha=0.25, lw=0.5)
        axes[0].set_ylabel("Metric value (seeds: points with 95% bootstrap CI)")
        fig.suptitle(title, fontsize=10)
    return fig
