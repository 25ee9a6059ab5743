"""The explorer page: one self-contained HTML file, the template with the data embedded.

No server, no network, no CDN: the template (template.html, package data) holds its own CSS
and JavaScript and draws inline SVG; the numbers come from `explorer.data` as a JS literal.
"""

from __future__ import annotations

import json
import math
from importlib.resources import files

import numpy as np

PLACEHOLDER = "/*__EXPLORER_DATA__*/null"
DATA_LINE = "const D = "  # the template's line that receives the data
DIGITS = 6  # significant digits of every embedded number: far below what the page prints
VERSION = 1  # of the page's data and template: part of the source digest, so a new version rebuilds pages


def _rounded(value):
    """Plain JSON-able values, floats to DIGITS significant digits (NaN and ±inf kept)."""
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_rounded(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return float(f"{value:.{DIGITS}g}") if math.isfinite(value) else value
    return value


def data_literal(data: dict) -> str:
    """The data as a JavaScript literal: JSON, plus NaN and Infinity (which JS reads as numbers),
    with '<' escaped so no string can close the <script> element."""
    return json.dumps(_rounded(data), allow_nan=True, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")


def render(data: dict, title: str) -> str:
    template = files("toyemerge.explorer").joinpath("template.html").read_text(encoding="utf-8")
    if PLACEHOLDER not in template:
        raise RuntimeError("explorer template has no data placeholder")
    page = template.replace(PLACEHOLDER, data_literal({**data, "title": title}))
    return page.replace("__EXPLORER_TITLE__", _html_escape(title))


def read_data(html_path) -> dict:
    """The data embedded in a written page (Python's json reads its NaN and Infinity)."""
    return _data_of(open(html_path, encoding="utf-8").read(), html_path)


def _data_of(html: str, html_path) -> dict:
    for line in html.splitlines():
        if line.startswith(DATA_LINE):
            return json.loads(line[len(DATA_LINE):].rstrip().removesuffix(";"))
    raise ValueError(f"{html_path}: no explorer data found")


def embedded_digest(html_path) -> str | None:
    """The source digest a written page records; None for a page without one, an unreadable page, or a
    damaged one: a page is intact when its own embedded data renders to exactly its bytes."""
    try:
        html = open(html_path, encoding="utf-8").read()
        data = _data_of(html, html_path)
        if render({k: v for k, v in data.items() if k != "title"}, data["title"]) != html:
            return None
        return data.get("source", {}).get("digest")
    except (OSError, ValueError, AttributeError, KeyError, TypeError):
        return None


def _html_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
