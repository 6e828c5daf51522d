"""The HTML report in a real browser (Debian's chromium, driven by Playwright) with no network.

Every page of a real run of the example study must open from file:// with the network blocked,
log no console error, request nothing outside file:// and data:, open no dialog, and render.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.browser]

HINT = "the browser test needs Debian's chromium: sudo apt-get install chromium"


def _chromium() -> str:
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


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    executable = _chromium()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=executable,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


def _open(browser, url: str) -> dict:
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
    seen["screenshot"] = page.screenshot(full_page=True)
    context.close()
    return seen


def test_every_report_page_renders_offline_with_no_errors_and_no_requests(
    browser, example_run
) -> None:
    pages = sorted((example_run.run_dir / "report").glob("*.html"))
    assert [p.name for p in pages] == [
        "10_survey.html",
        "20_interviews.html",
        "30_topics.html",
        "40_mixed.html",
        "index.html",
    ]
    for path in pages:
        seen = _open(browser, path.as_uri())
        assert seen["console"] == [], (path.name, seen["console"])
        assert seen["errors"] == [] and seen["dialogs"] == []
        outside = [u for u in seen["requests"] if not u.startswith(("file://", "data:"))]
        assert outside == [], (path.name, outside)
        assert seen["title"] and seen["h1"]
        assert len(seen["text"]) > 200, path.name
        assert all(complete and width > 0 for complete, width, _ in seen["images"]), seen["images"]
        assert not any((h or "").lower().startswith("javascript:") for h in seen["hrefs"])
        assert len(seen["screenshot"]) > 10_000  # a real rendering, not a blank page
        for href in seen["hrefs"]:
            if href and not href.startswith(("http", "#", "mailto:")):
                assert (path.parent / href).is_file(), (path.name, href)


def test_index_shows_the_study_title_and_what_ran(browser, example_run) -> None:
    seen = _open(browser, (example_run.run_dir / "report" / "index.html").as_uri())
    assert seen["h1"] == "Global hiring platform: customer pain points 2024"
    for expected in ("Key findings", "What ran", "Net Promoter Score", "Interviews", "Provenance"):
        assert expected in seen["text"], expected
    assert "10_survey.html" in seen["hrefs"]


def test_report_charts_are_inline_images(example_run) -> None:
    html = (example_run.run_dir / "report" / "10_survey.html").read_text()
    assert 'src="data:image/svg+xml;base64,' in html
    assert "http://" not in html.replace("http://www.w3.org", "")  # svg namespaces only
    assert "<script" not in html


def test_screenshot_of_the_index_for_humans(browser, example_run, tmp_path: Path) -> None:
    """Keep a screenshot next to the run so a person can look at it (not an assertion of taste)."""
    seen = _open(browser, (example_run.run_dir / "report" / "index.html").as_uri())
    shot = tmp_path / "index.png"
    shot.write_bytes(seen["screenshot"])
    assert shot.stat().st_size > 10_000
