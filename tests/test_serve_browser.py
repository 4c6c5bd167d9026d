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


# --- the review app in a real browser ------------------------------------------------------

import json  # noqa: E402
import shlex  # noqa: E402

import httpx  # noqa: E402

from tests.screenshots import SIZE, build_catalog, open_page, run_export, run_search, serve  # noqa: E402

NAME = "Endou Mamoru"


@pytest.fixture(scope="module")
def app(browser, tmp_path_factory):
    """A small offline catalogue (with near-duplicate groups) served by `celvault serve` in a
    subprocess on a free 127.0.0.1 port; yields (base url, Cli, folder)."""
    root = tmp_path_factory.mktemp("serve")
    cli = build_catalog(root)
    with serve(cli.catalog, root / "serve.log") as url:
        yield url, cli, root


@pytest.fixture
def page(browser, app):
    page = browser.new_page(viewport=SIZE)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    page.close()
    assert not errors, f"script errors in the page: {errors}"


def shot(page, folder, name: str) -> None:
    path = folder / "screenshots" / f"{name}.png"
    path.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(path))
    assert path.stat().st_size > 5_000


def message(page) -> str:
    page.wait_for_selector("#message:not(:empty)")
    assert "bad" not in (page.get_attribute("#message", "class") or ""), page.inner_text("#message")
    return page.inner_text("#message")


def test_review_in_the_browser(app, page):
    """Issue 14, "A real browser": open the app, name an identity, look at frames and duplicates,
    run a search and an export; after each action the catalogue and the CLI agree with the page.
    (Moving members, "not a character" and unlinking a duplicate have no page control yet.)"""
    url, cli, root = app
    from celvault.catalog import Catalog

    # Overview: the episode with its frames kept, and the latest runs
    open_page(page, url, "/", "#overview-episodes tbody tr")
    frames = Catalog.open(cli.catalog).count("frames")
    assert "ep" in page.inner_text("#overview-episodes") and str(frames) in page.inner_text("#overview-episodes")
    assert page.locator("#overview-runs tbody tr").count() >= 1
    shot(page, root, "overview")

    # Identities: one card per identity `characters list` shows
    listed = cli.json("characters", "list")["characters"]
    open_page(page, url, "/identities", "[data-testid=identity-card]")
    cards = page.locator("[data-testid=identity-card]")
    assert sorted(int(c) for c in cards.evaluate_all("cs => cs.map(c => c.dataset.cluster)")) == \
        sorted(k["cluster_id"] for k in listed)
    shot(page, root, "identities")

    # An identity: its members (closest to the centroid first); name it
    target = max(listed, key=lambda k: k["members"])
    cid = target["cluster_id"]
    page.click(f"[data-testid=identity-card][data-cluster='{cid}']")
    page.wait_for_url(f"**/identities/{cid}")
    page.wait_for_selector("[data-testid=member]")
    members = page.locator("[data-testid=member]")
    assert members.count() == target["members"]
    distances = [float(t) for t in members.locator("figcaption").all_inner_texts()]
    assert distances == sorted(distances)
    page.fill("#name-input", NAME)
    page.click("#name-save")
    assert NAME in message(page)
    assert page.inner_text("#identity-name") == NAME
    after = {k["cluster_id"]: k["name"] for k in cli.json("characters", "list")["characters"]}
    assert after[cid] == NAME and all(n is None for c, n in after.items() if c != cid)
    assert cli.json("characters", "show", "endou")["cluster_id"] == cid  # the CLI resolves the new name
    page.reload()
    page.wait_for_selector("[data-testid=member]")
    assert page.inner_text("#identity-name") == NAME  # stored, not just shown
    shot(page, root, "identity")

    # Frames: a frame of this identity, its layers with the identity's name
    rows = cli.json("query", "--character", NAME)["rows"]
    assert rows and all(NAME in r["characters"] for r in rows)
    frame = rows[0]["frame_id"]
    open_page(page, url, f"/frames?frame={frame}", "[data-testid=frame-layer]")
    layers = page.locator("[data-testid=frame-layer]").all_inner_texts()
    assert any(NAME in t for t in layers), layers
    shot(page, root, "frames")

    # Duplicates: one card per near-duplicate group in the catalogue
    reps = {r for r in Catalog.open(cli.catalog).read("frames", ["dup_of"]).column("dup_of").to_pylist() if r}
    assert reps, "the fixture's catalogue has near-duplicate groups"
    open_page(page, url, "/duplicates", "[data-testid=duplicate-group]")
    shown = page.locator("[data-testid=duplicate-group]").evaluate_all("gs => gs.map(g => g.dataset.group)")
    assert set(shown) == reps
    shot(page, root, "duplicates")

    # Search: the identity's frames; the page's results are `celvault query`'s, and so is the
    # command line it shows
    open_page(page, url, "/search", "#search-form")
    run_search(page, NAME)
    ids = page.locator("[data-testid=search-result]").evaluate_all("rs => rs.map(r => r.dataset.id)")
    command = shlex.split(page.inner_text("#search-command"))
    assert command[:2] == ["celvault", "query"] and NAME in command
    via_cli = cli.json(*command[1:])  # the command shown, run as is
    assert ids == [r["frame_id"] for r in via_cli["rows"]] == [r["frame_id"] for r in rows][:len(ids)]
    assert str(via_cli["matched"]) in page.inner_text("#search-matched")
    shot(page, root, "search")

    # Export: a LoRA set of the identity, the same files as `celvault export lora`
    open_page(page, url, "/export", "#export-form")
    ui_out, cli_out = root / "lora-ui", root / "lora-cli"
    run_export(page, ui_out, NAME, "endou")
    assert page.get_attribute("#export-progress", "data-state") == "done", page.inner_text("#export-progress")
    assert page.inner_text("#export-folder") == str(ui_out.resolve())
    toml = (ui_out / "dataset.toml").read_text(encoding="utf-8")
    assert page.inner_text("#export-toml").strip() == toml.strip()
    cli("export", "lora", cli_out, "--character", NAME, "--trigger", "endou")

    def files(folder):
        return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and p.name != "manifest.json")

    assert files(ui_out) == files(cli_out) and any(f.endswith(".png") for f in files(ui_out))
    assert (cli_out / "dataset.toml").read_text(encoding="utf-8") == toml
    images = [f for f in files(ui_out) if f.endswith(".png")]
    assert f"{len(images)} images" in page.inner_text("#export-progress")
    shot(page, root, "export")

    assert sorted(p.stem for p in (root / "screenshots").glob("*.png")) == sorted(
        ["overview", "identities", "identity", "frames", "duplicates", "search", "export"])
