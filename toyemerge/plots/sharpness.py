"""The sharpness map: the emergence score of the sharp metric against its parameter K, L or c.

Reference lines give the smooth and continuous metrics' scores (toyemerge.analysis.sharpness has
the numbers).
"""

from __future__ import annotations

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from toyemerge.plots.save import RC


def figure(exact: list[dict], measured: list[dict] | None, references: dict[str, float], kind,
           title: str, log_x: bool) -> Figure:
    """Score vs sharpness parameter; per-seed range shaded; reference scores as horizontal lines."""
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(7.8, 3.6), layout="constrained")
        ax = fig.add_subplot()
        for rows, colour, label in ((exact, "C3", "exact (infinite resolution)"),
                                    (measured, "C0", "measured on disjoint groups")):
            if not rows:
                continue
            p = np.array([r["param"] for r in rows], dtype=float)
            ax.plot(p, [r["mean"] for r in rows], "-", color=colour, lw=1.8, label=f"{label}: seed-mean curve")
            ax.fill_between(p, [r["seed_min"] for r in rows], [r["seed_max"] for r in rows], color=colour,
                            alpha=0.15, lw=0, label=f"{label}: range of per-seed scores")
        styles = ["--", ":", "-.", (0, (5, 1, 1, 1))]
        for i, (label, score) in enumerate(references.items()):
            ax.axhline(score, color="0.3", ls=styles[i % len(styles)], lw=1.1, label=f"{label} ({score:.1f})")
        if log_x:
            ax.set_xscale("log")
        ax.set_xlabel(kind.sharpness_axis())
        ax.set_ylabel("Emergence score (improving > 0)")
        ax.grid(True, alpha=0.25, lw=0.5)
        ax.set_title(title, fontsize=9)
        ax.legend(frameon=False, fontsize=6.5, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig
