"""Saving figures: PNG and PDF (TrueType fonts), each written whole, laid out once; the shared style.

Every figure is drawn with the object API (no pyplot, no display needed). Before drawing a figure
that has a layout engine, savefig draws it once more with drawing disabled, to lay it out: for the
PNG, and again for the PDF. `lay_out` runs the engine alone, on the renderer that then draws the
PNG, and removes it; PNG and PDF come out byte for byte as savefig alone makes them. Public API only.

The rest is plain matplotlib. Re-score + every figure of an experiment (`python -m toyemerge.figures`,
matplotlib 3.11, 2-core machine with a training job on one core, min of 5 interleaved runs) takes
4.3-5.1 s: layout 0.7-1.3 s, PNGs 0.6-0.75 s, PDFs 1.3-1.55 s, of which 0.7-1.0 s is fontTools
subsetting the embedded TrueType fonts. Two replacements of private matplotlib internals used to
make it 0.4-0.8 s faster; they were removed so that an upgrade cannot break or silently bypass
them: font subsets without the OpenType layout tables (no public setting avoids decompiling them,
and matplotlib positions glyphs with them, so dropping them from the full font would move glyphs),
and one math-text parse cache for all renderers (within the noise). The PDFs keep every pixel.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from toyemerge.io import write_atomic

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
    with matplotlib.rc_context(RC):
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


def lay_out(fig: Figure, dpi: float) -> None:
    """Run the figure's layout engine once, at `dpi` on an Agg canvas, then remove it.

    The Agg canvas keeps its renderer, so a PNG saved next at the same dpi is drawn by the renderer
    that laid it out, as savefig itself would do. The layout is dpi-independent, so a PDF saved
    after it reuses it. The engine is removed, not set to "none": savefig would still give that
    placeholder engine a whole draw with drawing disabled, before the PNG and again before the PDF.
    """
    engine = fig.get_layout_engine()
    if engine is None:
        return
    if fig.axes:
        canvas = FigureCanvasAgg(fig)
        old_dpi = fig.dpi
        fig.dpi = dpi
        try:
            canvas.get_renderer()
            engine.execute(fig)
        except ValueError:  # as in Figure.draw: a layout that cannot be made leaves the figure as it is
            pass
        finally:
            fig.dpi = old_dpi
    # None means "the rc default", so pin the defaults that would bring an engine back
    with matplotlib.rc_context({"figure.autolayout": False, "figure.constrained_layout.use": False}):
        fig.set_layout_engine(None)
