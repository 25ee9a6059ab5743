"""Headless Chromium for the explorer page: its screenshot, and the browser tests.

Playwright drives the system's Chromium (Debian's `chromium` package at /usr/bin/chromium, or
$TOYEMERGE_CHROMIUM); `playwright install` is never needed, nothing is downloaded. Every request
that is not the page's own file is blocked and recorded, so a page that tried to reach the
network is caught. Playwright is imported only here, only when a browser is wanted.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1240, "height": 700}  # a full-page screenshot grows to the content
LOCAL_SCHEMES = ("file:", "data:", "about:")


def chromium_path() -> Path:
    return Path(os.environ.get("TOYEMERGE_CHROMIUM", "/usr/bin/chromium"))


def why_unavailable() -> str | None:
    """Why no browser can be driven here, or None when one can."""
    if not chromium_path().is_file():
        return (f"{chromium_path()} not found: install Debian's chromium package (apt-get install chromium) "
                f"or point TOYEMERGE_CHROMIUM at a Chromium binary")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed: pip install -e '.[dev]' (its browser download is not needed)"
    return None


@contextlib.contextmanager
def chromium() -> Iterator:
    """A headless Chromium browser (playwright's Browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium_path()), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class OfflinePage:
    page: object                                      # playwright's Page
    blocked: list[str] = field(default_factory=list)  # every non-local request the page made
    errors: list[str] = field(default_factory=list)   # JavaScript errors and console errors


def open_offline(browser, html: Path) -> OfflinePage:
    """Open a local HTML file with the network cut off, and wait until the page has drawn itself."""
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    opened = OfflinePage(context.new_page())

    # Every request is seen (and recorded if not local); every non-local one is aborted.
    context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(LOCAL_SCHEMES) else r.abort())
    opened.page.on("request", lambda req: None if req.url.startswith(LOCAL_SCHEMES) else opened.blocked.append(req.url))
    opened.page.on("pageerror", lambda err: opened.errors.append(str(err)))
    opened.page.on("console", lambda msg: opened.errors.append(msg.text) if msg.type == "error" else None)
    opened.page.goto(Path(html).resolve().as_uri())
    opened.page.wait_for_selector("body[data-ready='1']", timeout=15_000)
    return opened


def screenshot(html: Path, png: Path) -> None:
    """Save a PNG of the whole page as it opens; fails if it reached for the network or raised an error."""
    with chromium() as browser:
        opened = open_offline(browser, html)
        if opened.blocked or opened.errors:
            raise RuntimeError(f"{html}: requests {opened.blocked}, errors {opened.errors}")
        png.parent.mkdir(parents=True, exist_ok=True)
        opened.page.screenshot(path=str(png), full_page=True)
