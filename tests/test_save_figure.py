"""toyemerge.fastsave: laying a figure out once for its PNG and PDF leaves both files as they were."""

import io
import re
import zlib

import matplotlib
import numpy as np
from fontTools.ttLib import TTFont
from matplotlib.figure import Figure

from toyemerge.plots.save import RC, lay_out, save_figure


def paper_figure(panels: int = 2) -> Figure:
    """Like the project's figures: constrained layout, log x with math-text ticks, legends, titles."""
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(3.0 * panels, 3.2), layout="constrained")
        x = np.geomspace(141, 696_074, 11)
        for i, ax in enumerate(np.atleast_1d(fig.subplots(1, panels))):
            for k in (1, 5, 50):
                ax.plot(x, (1 - 0.9 * (x / x[-1]) ** -0.3) ** (k + i), "o-", label=f"K = {k} (score 10.{k})")
            ax.set_xscale("log")
            ax.set_xlabel("Number of parameters")
            ax.set_title(f"panel {i}: subset accuracy ≈ acc^K", fontsize=9)
            ax.legend(frameon=False, fontsize=7)
        fig.axes[0].set_ylabel("All K right")
        fig.suptitle("one set of outputs, ⌊N/K⌋ groups")
    return fig


def saved(fig: Figure, fmt: str) -> bytes:
    buf = io.BytesIO()
    with matplotlib.rc_context(RC):
        fig.savefig(buf, format=fmt, dpi=200, metadata={"CreationDate": None} if fmt == "pdf" else None)
    return buf.getvalue()


def test_lay_out_then_save_gives_the_png_and_pdf_savefig_gives():
    plain = paper_figure()
    png = saved(plain, "png")
    plain.set_layout_engine("none")  # what save_figure has always done: the PNG's layout for the PDF
    pdf = saved(plain, "pdf")
    fast = paper_figure()
    with matplotlib.rc_context(RC):
        lay_out(fast, 200)
    assert fast.get_layout_engine() is None
    assert saved(fast, "png") == png
    assert saved(fast, "pdf") == pdf


def _font_file(pdf: bytes) -> list[TTFont]:
    """The embedded TrueType fonts (FontFile2 streams) of a matplotlib PDF."""
    fonts = []
    for ref in re.findall(rb"/FontFile2 (\d+) 0 R", pdf):
        obj = re.search(rb"\n" + ref + rb" 0 obj\n<<(.*?)>>\nstream\n", pdf, re.DOTALL)
        length = int(re.search(rb"/Length (\d+)", obj.group(1)).group(1))
        data = pdf[obj.end(): obj.end() + length]
        fonts.append(TTFont(io.BytesIO(zlib.decompress(data) if b"FlateDecode" in obj.group(1) else data)))
    return fonts


def test_save_figure_writes_what_plain_savefig_writes(tmp_path):
    """save_figure is lay_out and two public savefig calls: no matplotlib internal is replaced."""
    plain = paper_figure()
    png = saved(plain, "png")
    plain.set_layout_engine("none")
    pdf = saved(plain, "pdf")
    save_figure(paper_figure(), tmp_path / "fig")
    assert (tmp_path / "fig.png").read_bytes() == png
    assert (tmp_path / "fig.pdf").read_bytes() == pdf


def test_saved_pdf_embeds_truetype_type42_fonts(tmp_path):
    save_figure(paper_figure(), tmp_path / "fig")
    pdf = (tmp_path / "fig.pdf").read_bytes()
    assert b"/CIDFontType2" in pdf and b"/Type1" not in pdf  # pdf.fonttype 42: TrueType, as DESIGN asks
    fonts = _font_file(pdf)
    assert fonts and all("glyf" in f for f in fonts)
    assert (tmp_path / "fig.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
