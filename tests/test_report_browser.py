"""The HTML report in a real browser (Debian's chromium, driven by Playwright) with no network.

Every page of a real run of the example study must open from file:// with the network blocked,
log no console error, request nothing outside file:// and data:, open no dialog, and render.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ._browser import launch, open_page

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def browser():
    with launch() as browser:
        yield browser


def _open(browser, url: str) -> dict:
    return open_page(browser, url)


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
    ids: dict[str, set[str]] = {}
    links: list[tuple[str, str]] = []
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
        ids[path.name] = set(seen["ids"])
        links += [
            (path.name, h) for h in seen["hrefs"] if h and not h.startswith(("http", "mailto:"))
        ]
    # a link is a file of the report, and its fragment (page.html#id, or #id on the same page)
    # is the id of an element in that page
    for name, href in links:
        target, _, fragment = href.partition("#")
        target = target or name
        assert (pages[0].parent / target).is_file(), (name, href)
        if fragment:
            assert fragment in ids.get(target, set()), (name, href)
    assert any("#" in href for name, href in links if name == "index.html")  # key findings


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
