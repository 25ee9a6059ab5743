"""Saving figures: PNG and PDF (TrueType fonts), each written whole, laid out once; the shared style.

Every figure is drawn with the object API (no pyplot, no display needed).
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from toyemerge.io import write_atomic
from toyemerge.plots.fastsave import lay_out, speedups

logging.getLogger("fontTools").setLevel(logging.WARNING)  # PDF font subsetting is chatty at INFO

RC = {"pdf.fonttype": 42, "ps.fonttype": 42, "font.size": 9, "axes.spines.top": False,
      "axes.spines.right": False}
DPI = 200  # of the PNGs


def save_figure(fig: Figure, base: Path) -> list[Path]:
    """Save `fig` as base.png (at DPI) and base.pdf, each written whole or not at all.

    The figure is laid out once (at the PNG's dpi) for both files; see toyemerge.plots.fastsave for that
    and the other ways the two saves are made faster without changing them.
    """
    base.parent.mkdir(parents=True, exist_ok=True)
    paths = [base.with_suffix(".png"), base.with_suffix(".pdf")]
    unlog_empty_axes(fig)
    with matplotlib.rc_context(RC), speedups():
        lay_out(fig, DPI)
        for path in paths:
            buf = io.BytesIO()
            fig.savefig(buf, format=path.suffix[1:], dpi=DPI,
                        metadata={"CreationDate": None} if path.suffix == ".pdf" else None)
            write_atomic(path, buf.getvalue())
    return paths


def unlog_empty_axes(fig: Figure) -> None:
    """Draw linear any log axis that holds no finite positive data (all readings 0, NaN or inf).

    matplotlib cannot place log ticks on such an axis and fails at save time; a tiny or degenerate
    family (all zeros at every cutoff, say) must still get its figures.
    """
    for ax in fig.axes:
        for name, interval in (("x", ax.dataLim.intervalx), ("y", ax.dataLim.intervaly)):
            if getattr(ax, f"get_{name}scale")() == "log" and not (np.isfinite(interval).all() and max(interval) > 0):
                getattr(ax, f"set_{name}scale")("linear")


