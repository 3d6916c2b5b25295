"""The browser harness itself, against a real chromium: the checks built on it (console
errors, requests leaving the site, interaction, screenshots) must be able to fail."""

import os
import struct
from pathlib import Path

import pytest

from tests.browser.cdp import Browser, CDPError, ensure_chromium

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>harness</title></head>
<body>
<select id="s"><option value="red">red</option><option value="blue">blue</option></select>
<svg width="120" height="80"><path id="p" d="M0 0H120V80H0Z" fill="red"/></svg>
{extra}
<script>
  if (location.search.includes("fehler")) console.error("boom");
  document.getElementById("s").addEventListener("change", (event) => {{
    document.getElementById("p").setAttribute("fill", event.target.value);
  }});
</script>
</body></html>
"""


def write_page(directory: Path, extra: str = "") -> str:
    path = directory / "index.html"
    path.write_text(PAGE.format(extra=extra), encoding="utf-8")
    return path.as_uri()


@pytest.fixture(scope="module")
def browser():
    with Browser(ensure_chromium()) as started:   # no skip: a missing browser is a failure
        yield started


def test_ensure_chromium_finds_an_executable():
    assert os.access(ensure_chromium(), os.X_OK)


def test_clean_page_has_no_errors_and_only_local_requests(browser, tmp_path):
    url = write_page(tmp_path)
    with browser.open(url) as page:
        assert page.errors() == []
        assert page.requests() == [url]
        assert page.evaluate("document.title") == "harness"


def test_console_error_is_reported(browser, tmp_path):
    with browser.open(write_page(tmp_path) + "?fehler") as page:
        assert page.errors() == ["console.error: boom"]


def test_request_outside_the_site_is_recorded(browser, tmp_path):
    url = write_page(tmp_path, '<img src="http://example.invalid/x.png">')
    with browser.open(url) as page:
        outside = [request for request in page.requests() if not request.startswith("file://")]
        assert outside == ["http://example.invalid/x.png"]
        assert [failed for failed, _ in page.failed] == outside
        assert any("example.invalid" in error for error in page.errors())


def test_missing_local_file_is_an_error(browser, tmp_path):
    with browser.open(write_page(tmp_path, '<img src="missing.png">')) as page:
        assert any("ERR_FILE_NOT_FOUND" in error and "missing.png" in error
                   for error in page.errors())


def test_select_change_recolours_the_path(browser, tmp_path):
    with browser.open(write_page(tmp_path)) as page:
        assert page.evaluate("document.getElementById('p').getAttribute('fill')") == "red"
        page.evaluate("""(() => {
            const select = document.getElementById("s");
            select.value = "blue";
            select.dispatchEvent(new Event("change"));
        })()""")
        assert page.evaluate("document.getElementById('p').getAttribute('fill')") == "blue"
        assert page.errors() == []


def test_evaluate_raises_with_the_exception_text(browser, tmp_path):
    with browser.open(write_page(tmp_path)) as page:
        with pytest.raises(CDPError, match="nicht_da is not defined"):
            page.evaluate("nicht_da()")
        assert page.evaluate("Promise.resolve({a: [1, 2]})") == {"a": [1, 2]}


def test_wait_for_polls_until_true(browser, tmp_path):
    with browser.open(write_page(tmp_path)) as page:
        page.evaluate("setTimeout(() => { window.ready = 'yes'; }, 300)")
        assert page.wait_for("window.ready") == "yes"
        with pytest.raises(CDPError, match="not true within"):
            page.wait_for("window.never", timeout=0.3)


def test_screenshot_writes_the_whole_page_as_png(browser, tmp_path):
    url = write_page(tmp_path, '<div style="height: 2000px"></div>')
    with browser.open(url, window=(800, 600)) as page:
        shot = page.screenshot(tmp_path / "shot.png")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 1000
    width, height = struct.unpack(">II", data[16:24])   # the IHDR chunk
    assert width == 800
    assert height > 2000   # beyond the 600 px window: the full page


def test_a_browser_that_dies_on_start_fails_clearly(tmp_path):
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\necho 'no display, no luck' >&2\nexit 3\n")
    fake.chmod(0o755)
    with pytest.raises(CDPError, match=r"exited with 3 on start(.|\n)*no display, no luck"):
        Browser(str(fake))
