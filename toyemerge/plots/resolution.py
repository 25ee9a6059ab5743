"""The resolution figure: the same sharp curve measured on test subsets of 10², 10³, 10⁴ units.

With few units a small model's sharp score reads exactly 0, and the curve looks more emergent
than its exact, infinite-resolution value says (toyemerge.analysis.resolution has the numbers).
"""

from __future__ import annotations

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from toyemerge.analysis.resolution import seed_spread
from toyemerge.analysis.scores import emergence_score
from toyemerge.plots.save import RC


def figure(x: np.ndarray, measured: dict[int, np.ndarray], rows: list[dict], exact: np.ndarray,
           sampling_model: np.ndarray, kind, param, title: str) -> Figure:
    """The sharp curve at each test-set size of `measured` beside its infinite-resolution value;
    `rows` are the sizes' scores and zero shares (analysis.resolution.resolution_rows)."""
    sizes = sorted(measured)
    by_size = {r["n"]: r for r in rows}
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(7.6, 3.3), layout="constrained")
        ax, ax_log = fig.subplots(1, 2)
        colours = matplotlib.colormaps["plasma"](np.linspace(0.1, 0.75, len(sizes)))
        for colour, n in zip(colours, sizes, strict=True):
            xs, mean, _, _ = seed_spread(x, measured[n])
            score, zeros = by_size[n]["emergence_score"], by_size[n]["zero_fraction"]
            label = f"n = {n:,} test units (score {score:.1f}, {zeros:.0%} read 0)"
            if by_size[n].get("flag"):  # it says the score too
                label = f"n = {n:,} test units ({zeros:.0%} read 0):\n  {by_size[n]['flag']}"
            for a in (ax, ax_log):
                a.plot(xs, mean, "o-", color=colour, lw=1.3, ms=3.5, label=label)
                a.plot(x, measured[n], ".", color=colour, ms=3, alpha=0.4)
        xs, mean, _, _ = seed_spread(x, exact)
        exact_label = f"exact, infinite resolution (score {emergence_score(xs, mean):.1f})"
        for a in (ax, ax_log):
            a.plot(xs, mean, "-", color="black", lw=1.8, label=exact_label)
        if np.isfinite(sampling_model).all():
            xs, mean, _, _ = seed_spread(x, sampling_model)
            for a in (ax, ax_log):
                a.plot(xs, mean, "--", color="0.45", lw=1.2, label="model sampling its answer")
        for a in (ax, ax_log):
            a.set_xscale("log")
            a.set_xlabel("Number of parameters")
            a.grid(True, alpha=0.25, lw=0.5)
        ax.set_ylabel(kind.sharp_label(param))
        if any(np.nanmax(line.get_ydata(), initial=0) > 0 for line in ax_log.get_lines()):
            ax_log.set_yscale("log")
            ax_log.set_title("same, log y (a 0 reading drops off the axis)", fontsize=8)
        else:  # every reading is 0: a log axis has nothing to show (and cannot be drawn)
            ax_log.set_title("every reading is 0: no log view", fontsize=8)
        ax.set_title(title, fontsize=9)
        ax.legend(frameon=False, fontsize=6.5, loc="lower right")
    return fig
