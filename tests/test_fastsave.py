"""toyemerge.plots.fastsave: each speed-up of saving a figure leaves the saved files as they were."""

import io
import re
import zlib

import matplotlib
import numpy as np
import pytest
from fontTools.ttLib import TTFont
from matplotlib import font_manager
from matplotlib.backends import _backend_pdf_ps
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font
from matplotlib.mathtext import MathTextParser

from toyemerge.plots import fastsave
from toyemerge.plots.save import RC, save_figure


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
        fastsave.lay_out(fast, 200)
    assert fast.get_layout_engine() is None
    assert saved(fast, "png") == png
    assert saved(fast, "pdf") == pdf


def test_shared_mathtext_changes_no_byte_and_is_put_back():
    before = MathTextParser.__dict__["_parse_cached"]
    expected = {fmt: saved(paper_figure(), fmt) for fmt in ("png", "pdf")}
    with fastsave.shared_mathtext():
        assert MathTextParser.__dict__["_parse_cached"] is not before
        for _ in range(2):  # the second time every label comes from the shared cache
            assert {fmt: saved(paper_figure(), fmt) for fmt in ("png", "pdf")} == expected
    assert MathTextParser.__dict__["_parse_cached"] is before


def test_shared_mathtext_keys_on_the_mathtext_settings():
    with fastsave.shared_mathtext():
        parser = MathTextParser("path")
        default = parser.parse(r"$\mathdefault{10^{3}}\alpha$", 72)
        with matplotlib.rc_context({"mathtext.fontset": "cm"}):
            cm = parser.parse(r"$\mathdefault{10^{3}}\alpha$", 72)
    assert [g[2:4] for g in default.glyphs] != [g[2:4] for g in cm.glyphs] or default.width != cm.width


def _font_file(pdf: bytes) -> list[TTFont]:
    """The embedded TrueType fonts (FontFile2 streams) of a matplotlib PDF."""
    fonts = []
    for ref in re.findall(rb"/FontFile2 (\d+) 0 R", pdf):
        obj = re.search(rb"\n" + ref + rb" 0 obj\n<<(.*?)>>\nstream\n", pdf, re.DOTALL)
        length = int(re.search(rb"/Length (\d+)", obj.group(1)).group(1))
        data = pdf[obj.end(): obj.end() + length]
        fonts.append(TTFont(io.BytesIO(zlib.decompress(data) if b"FlateDecode" in obj.group(1) else data)))
    return fonts


def test_lean_font_subsets_keep_every_glyph_and_drop_only_the_layout_tables():
    path = font_manager.findfont("DejaVu Sans")
    font = FT2Font(path)
    gids = {font.get_char_index(ord(c)) for c in "Number of parameters 0123456789 −×≈⌊⌋ fi"}
    with _backend_pdf_ps.get_glyphs_subset(path, gids) as full:
        reference = TTFont(_backend_pdf_ps.font_as_file(full.font))
        reference_map = dict(full.glyph_index_map)
    with fastsave.lean_font_subsets(), _backend_pdf_ps.get_glyphs_subset(path, gids) as lean_subset:
        lean = TTFont(_backend_pdf_ps.font_as_file(lean_subset.font))
        lean_map = dict(lean_subset.glyph_index_map)
    assert _backend_pdf_ps.subset is fastsave.fonttools_subset  # put back
    assert gids <= set(lean_map) <= set(reference_map)  # matplotlib's also has what GSUB rules reach
    assert "GPOS" in reference and not any(tag in lean for tag in fastsave.LAYOUT_TABLES)
    for tag in ("glyf", "hmtx", "fpgm", "prep", "cvt ", "head", "maxp"):
        assert tag in lean, tag
    for gid in gids:  # the same outline and advance for every glyph the PDF asked for
        name_ref = reference.getGlyphOrder()[reference_map[gid]]
        name_lean = lean.getGlyphOrder()[lean_map[gid]]
        assert lean["glyf"][name_lean].compile(lean["glyf"]) == reference["glyf"][name_ref].compile(reference["glyf"])
        assert lean["hmtx"][name_lean] == reference["hmtx"][name_ref]


def test_saved_pdf_embeds_truetype_type42_fonts_without_layout_tables(tmp_path):
    save_figure(paper_figure(), tmp_path / "fig")
    pdf = (tmp_path / "fig.pdf").read_bytes()
    assert b"/CIDFontType2" in pdf and b"/Type1" not in pdf  # pdf.fonttype 42: TrueType, as DESIGN asks
    fonts = _font_file(pdf)
    assert fonts and all("glyf" in f and "GPOS" not in f for f in fonts)
    assert (tmp_path / "fig.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("speedup", [fastsave.shared_mathtext, fastsave.lean_font_subsets])
def test_speedups_nest_and_step_aside(speedup):
    with speedup(), speedup():  # the inner block finds the patch in place and leaves it alone
        pass
    assert MathTextParser.__dict__["_parse_cached"] is fastsave._PARSE
    assert _backend_pdf_ps.subset is fastsave.fonttools_subset
