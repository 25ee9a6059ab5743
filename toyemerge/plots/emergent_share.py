"""The meta-analysis figure, in the style of the paper's Fig. 5: per metric, the share of curves that look emergent.

One horizontal bar per metric (most emergent first), its length the share of that metric's scored
(task, family) curves that look emergent under the stated rule; the hatched part is the curves whose
score is infinite (flat then a jump: see each curve's flag in curve_scores.csv), and "k / n" is
written beside each bar (toyemerge.analysis.curves has the numbers).
"""

from __future__ import annotations

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from toyemerge.plots.save import RC


def figure(shares: list[dict], threshold: float, min_late_gain: float, title: str) -> Figure:
    """Share of emergent curves per metric, from analysis.curves.metric_shares's rows."""
    rows = shares[::-1]  # barh draws bottom-up: the most emergent metric on top
    y = np.arange(len(rows))
    share = np.array([np.nan_to_num(r["share_emergent"]) for r in rows])
    infinite = np.array([r["n_emergent_infinite"] / r["n_scored"] if r["n_scored"] else 0.0 for r in rows])
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(6.4, 1.2 + 0.22 * len(rows)), layout="constrained")
        ax = fig.add_subplot()
        ax.barh(y, share - infinite, color="C3", height=0.7, label="looks emergent, finite score")
        ax.barh(y, infinite, left=share - infinite, color="C3", alpha=0.45, hatch="////", height=0.7,
                label="looks emergent, infinite score (flat then a jump)")
        for yi, r, s in zip(y, rows, share, strict=True):
            ax.text(s + 0.01, yi, f"{r['n_emergent']} / {r['n_scored']}", va="center", fontsize=6.5)
        ax.set_yticks(y, [r["metric"] for r in rows], fontsize=7)
        ax.set_xlim(0, 1.12)
        ax.set_xlabel("Share of task curves that look emergent")
        ax.grid(True, axis="x", alpha=0.25, lw=0.5)
        ax.set_title(f"{title}\nemergent: oriented emergence score > {threshold:g} and late gain > {min_late_gain:g}",
                     fontsize=9)
        ax.legend(frameon=False, fontsize=6.5, loc="lower right")
    return fig
