"""The sampling-density figure: each curve's emergence score at every scale vs every 2nd / 3rd / 4th.

The paper names sparse sampling of model sizes as one ingredient of the mirage
(toyemerge.analysis.sampling has the numbers).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from toyemerge.analysis.sampling import scores_by_stride
from toyemerge.plots.save import RC


def figure(curves: dict[str, tuple[np.ndarray, np.ndarray, bool]], strides: Sequence[int], title: str) -> Figure:
    """Score vs stride for each named curve {label: (x, y, higher_is_better)}.

    Scores are oriented (multiplied by −1 for lower-is-better metrics) so that an improving
    metric scores > 0 on every line.
    """
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(5.6, 3.6), layout="constrained")
        ax = fig.add_subplot()
        colours = matplotlib.colormaps["tab10"](np.arange(len(curves)) % 10)
        for i, (colour, (label, (x, y, higher))) in enumerate(zip(colours, curves.items(), strict=True)):
            by_stride = scores_by_stride(x, y, strides)
            sign = 1.0 if higher else -1.0
            jitter = (i - (len(curves) - 1) / 2) * 0.06
            means = []
            for m, scores in by_stride.items():
                finite = [sign * s for s in scores if np.isfinite(s)]
                means.append(np.mean(finite) if finite else np.nan)
                ax.plot([m + jitter] * len(finite), finite, "o", color=colour, ms=3.5, alpha=0.55, mec="none")
            ax.plot(np.array(list(by_stride)) + jitter, means, "-", color=colour, lw=1.6, label=label)
        ax.set_xticks(list(strides), [f"every {m}" if m > 1 else "all scales" for m in strides])
        ax.set_xlabel("Scales kept (points: each starting offset; line: their mean)")
        ax.set_ylabel("Emergence score (oriented: improving > 0)")
        ax.set_yscale("symlog", linthresh=1.0)
        ax.grid(True, alpha=0.25, lw=0.5)
        ax.set_title(title, fontsize=9)
        ax.legend(frameon=False, fontsize=7)
    return fig
