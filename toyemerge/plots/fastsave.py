"""Saving figures faster without changing them: what `plots.save_figure` does around `savefig`.

Profiling a rebuild (`python -m toyemerge.figures`) showed three kinds of repeated work inside
matplotlib, each removed here without changing a pixel:

- **Layout.** Before drawing a figure that has a layout engine, savefig draws it once more with
  drawing disabled, to lay it out: for the PNG, and again for the PDF (even once the engine is set
  to "none", a placeholder that lays out nothing). `lay_out` runs the layout engine alone, on the
  renderer that then draws the PNG, and removes it; PNG and PDF come out byte for byte the same.
- **Math text.** Log-axis tick labels ($10^{3}$) are math text, and each renderer parses each one
  again (pyparsing: ~10 ms a label), so every PDF re-parses the same dozen labels. `shared_mathtext`
  keeps one parse cache for the process; a parse is a pure function of the text, dpi, font
  properties, antialiasing and hinting, which are all in its key.
- **PDF fonts.** Each TrueType font embedded in a PDF is subset by fontTools, which reads and prunes
  the font's whole OpenType layout tables (GPOS/GSUB/GDEF: kerning, ligature and mark rules) to do
  it: more than half the time of the subset. A PDF never uses them (matplotlib places every glyph
  itself, and the PDF names glyphs by index), so `lean_font_subsets` leaves them out: the same
  glyph outlines, metrics and hinting (still Type 42), a smaller file, and the same page when
  rendered.

The last two replace matplotlib internals only inside a `with` block and put them back after it;
if matplotlib's internals ever change shape they step aside and matplotlib runs as it is.
"""

from __future__ import annotations

import contextlib
import functools
import types
from collections.abc import Iterator

import matplotlib
from fontTools import subset as fonttools_subset
from matplotlib.backends import _backend_pdf_ps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.mathtext import MathTextParser


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


@contextlib.contextmanager
def speedups() -> Iterator[None]:
    """`shared_mathtext` and `lean_font_subsets` together."""
    with shared_mathtext(), lean_font_subsets():
        yield


# --- math text ---------------------------------------------------------------------------------

_PARSE = getattr(MathTextParser, "_parse_cached", None)  # matplotlib's per-parser lru_cache
_PARSE_UNCACHED = getattr(_PARSE, "__wrapped__", None)
_PARSERS: dict[str, MathTextParser] = {}  # one per output type ("vector", "raster")




@functools.lru_cache(maxsize=1024)
def _parse_shared(output_type: str, s, dpi, prop, antialiased, load_glyph_flags, mathtext_rc):
    return _PARSE_UNCACHED(_PARSERS[output_type], s, dpi, prop, antialiased, load_glyph_flags)


def _parse_cached(self, s, dpi, prop, antialiased, load_glyph_flags):
    _PARSERS.setdefault(self._output_type, self)
    # The mathtext.* settings (fonts of a custom set, fallback, default style) enter the parse too:
    # keyed here so that a figure drawn under other settings is never served another's parse.
    mathtext_rc = tuple((k, str(v)) for k, v in matplotlib.rcParams.items() if k.startswith("mathtext."))
    return _parse_shared(self._output_type, s, dpi, prop, antialiased, load_glyph_flags, mathtext_rc)


@contextlib.contextmanager
def shared_mathtext() -> Iterator[None]:
    """Within this block, every MathTextParser (one per renderer) shares one parse cache."""
    if _PARSE_UNCACHED is None or MathTextParser.__dict__.get("_parse_cached") is not _PARSE:
        yield  # another matplotlib, or already inside this block
        return
    MathTextParser._parse_cached = _parse_cached
    try:
        yield
    finally:
        MathTextParser._parse_cached = _PARSE


# --- PDF fonts ---------------------------------------------------------------------------------

LAYOUT_TABLES = ("GPOS", "GSUB", "GDEF", "BASE", "JSTF", "MATH", "kern")  # no PDF viewer reads them


def _load_font_lean(*args, **kwargs):
    """fontTools.subset.load_font, less the layout tables: removed before anything reads them."""
    font = fonttools_subset.load_font(*args, **kwargs)
    for tag in LAYOUT_TABLES:
        if tag in font:
            del font[tag]
    return font


# What matplotlib's PDF backend sees as `fontTools.subset` inside lean_font_subsets(): the same
# module, but the fonts it loads to subset come without layout tables.
_LEAN_SUBSET = types.SimpleNamespace(**{**vars(fonttools_subset), "load_font": _load_font_lean})


@contextlib.contextmanager
def lean_font_subsets() -> Iterator[None]:
    """Within this block, PDFs embed their TrueType font subsets without the layout tables."""
    if getattr(_backend_pdf_ps, "subset", None) is not fonttools_subset:
        yield  # another matplotlib, or already inside this block
        return
    _backend_pdf_ps.subset = _LEAN_SUBSET
    try:
        yield
    finally:
        _backend_pdf_ps.subset = fonttools_subset
