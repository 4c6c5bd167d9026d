"""A real browser on `celvault serve` (issue 14): headless Chromium (Debian's `chromium`
package, which .ci/run installs with apt-get) driven by Playwright for Python through its
`executable_path`. Playwright's own browser download is never used.

Without chromium these tests skip locally with the reason, and fail in CI (CI set in the
environment, as .ci/run does), so a CI machine that lost its browser cannot pass silently."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

INSTALL_HINT = "apt-get install -y chromium (Debian's package; .ci/run installs it)"


def chromium_executable() -> str:
    """The chromium binary: $CELVAULT_CHROMIUM, else `chromium` or `chromium-browser` on PATH."""
    named = os.environ.get("CELVAULT_CHROMIUM")
    if named:
        if not Path(named).is_file():
            pytest.fail(f"CELVAULT_CHROMIUM={named} is not a file")
        return named
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    message = f"no chromium on PATH: {INSTALL_HINT}"
    if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
        pytest.fail(f"CI: the browser tests need chromium, and there is {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser():
    exe = chromium_executable()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=exe, headless=True)
        try:
            yield b
        finally:
            b.close()


def test_chromium_runs_through_playwright(browser, tmp_path):
    """The CI install works: Debian's chromium renders a page, runs its script and screenshots it."""
    page = browser.new_page(viewport={"width": 320, "height": 200})
    page.set_content("<h1 id='t'></h1><script>document.getElementById('t').textContent = 'celvault ' + (6 * 7)</script>")
    assert page.inner_text("#t") == "celvault 42"
    shot = tmp_path / "blank.png"
    page.screenshot(path=str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page.close()
