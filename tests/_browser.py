"""Open report pages in Debian's chromium (driven by Playwright) with the network blocked.

Shared by the browser tests: find chromium (skip off CI, fail on CI), launch it, and open one
page in a fresh offline context that records every request, console message, page error and
dialog.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

HINT = "the browser test needs Debian's chromium: sudo apt-get install chromium"

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Every attribute value of every element that is a javascript: URL (any case, leading blanks).
_JS_URLS = """els => els.flatMap(e => Array.from(e.attributes)
    .filter(a => a.value.trim().toLowerCase().startsWith('javascript:'))
    .map(a => e.tagName + ' ' + a.name + '=' + a.value.slice(0, 60)))"""


def chromium() -> str:
    """The chromium executable: ``$VOC_CHROMIUM``, else on PATH; skip (fail on CI) without one."""
    path = (
        os.environ.get("VOC_CHROMIUM")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(HINT + " (CI must run this test)")
        pytest.skip(HINT)
    return path


@contextlib.contextmanager
def launch() -> Iterator[Any]:
    """A headless chromium, closed on exit."""
    from playwright.sync_api import sync_playwright

    executable = chromium()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=ARGS)
        yield browser
        browser.close()


def open_page(browser: Any, url: str, *, screenshot: bool = True) -> dict:
    """Open *url* offline; return what happened and what the page shows.

    Keys: ``requests`` (every URL asked for; only ``file:`` and ``data:`` are let through),
    ``console`` (errors and warnings), ``errors`` (uncaught page errors), ``dialogs`` (the
    messages of alert/confirm/prompt, each dismissed), ``title``, ``h1``, ``text`` (of
    ``main``), ``images`` (``[complete, naturalWidth, src prefix]``), ``hrefs`` (of every
    ``a``), ``ids`` (the ``id`` of every element, the targets of ``page.html#id`` links),
    ``js_urls`` (every attribute holding a ``javascript:`` URL), ``overflow`` (how
    many pixels the page is wider than the window) and ``screenshot`` (PNG bytes, full page,
    when *screenshot*).
    """
    context = browser.new_context(offline=True, java_script_enabled=True)
    seen: dict = {"requests": [], "console": [], "dialogs": [], "errors": []}

    def route(r):
        seen["requests"].append(r.request.url)
        if r.request.url.startswith(("file://", "data:")):
            r.continue_()
        else:
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda m: m.type in {"error", "warning"} and seen["console"].append(m.text))
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))
    page.goto(url, wait_until="load")
    seen["title"] = page.title()
    seen["h1"] = page.locator("h1").first.inner_text()
    seen["text"] = page.locator("main").inner_text()
    seen["images"] = page.eval_on_selector_all(
        "img", "els => els.map(e => [e.complete, e.naturalWidth, e.src.slice(0, 30)])"
    )
    seen["hrefs"] = page.eval_on_selector_all("a", "els => els.map(e => e.getAttribute('href'))")
    seen["ids"] = page.eval_on_selector_all("[id]", "els => els.map(e => e.id)")
    seen["js_urls"] = page.eval_on_selector_all("*", _JS_URLS)
    seen["overflow"] = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    if screenshot:
        seen["screenshot"] = page.screenshot(full_page=True)
    context.close()
    return seen
