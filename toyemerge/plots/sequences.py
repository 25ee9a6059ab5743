"""The sequence family's own figure: all-L-correct against per-image accuracy, with the p^L curves.

Schaeffer et al. (2023, Sec. 2) model a sequence of L independent tokens, each right with
probability p, as all-L-correct ≈ p^L. Each trained model is one point per L; if the points sit on
the p^L curves, the sharp metric is a fixed, steep function of the smooth one, and any "sudden"
rise in it is inherited from that function, not from the models. Matplotlib only.
"""

from __future__ import annotations

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from toyemerge.plots.save import RC


def all_correct_vs_accuracy(results: list[dict]) -> Figure:
    accuracy = {r["run_id"]: r["value"] for r in results if r["metric"] == "accuracy"}
    by_length: dict[int, list[tuple[float, float]]] = {}
    for r in results:
        if r["metric"] == "all_correct" and r["run_id"] in accuracy:
            by_length.setdefault(int(r["param"]), []).append((accuracy[r["run_id"]], r["value"]))
    if not by_length:
        raise ValueError("results have no all_correct rows to plot against accuracy")
    lengths = sorted(by_length)
    colours = matplotlib.colormaps["viridis"](np.linspace(0.0, 0.85, len(lengths)))
    p = np.linspace(0, 1, 201)
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(4.2, 3.2), layout="constrained")
        ax = fig.add_subplot()
        for colour, length in zip(colours, lengths, strict=True):
            ax.plot(p, p ** length, "--", color=colour, lw=1.0, alpha=0.8)
            xs, ys = zip(*by_length[length], strict=True)
            ax.plot(xs, ys, "o", color=colour, ms=3.5, alpha=0.7, mec="none", label=f"L = {length}")
        ax.set_xlabel("Per-image test accuracy p")
        ax.set_ylabel("All L images of a sequence right")
        ax.set_title("Each model (points) against p^L (dashed)", fontsize=9)
        ax.grid(True, alpha=0.25, lw=0.5)
        ax.legend(frameon=False, fontsize=7)
    return fig
