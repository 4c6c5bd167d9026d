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

from tests.screenshots import SIZE, build_catalog, open_page, run_export, run_search, serve, settle  # noqa: E402

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


def message(page, expect: str) -> str:
    """The page's answer to the last action: waits until #message says `expect` (or an error,
    which fails the test with the page's words)."""
    page.wait_for_selector(f"#message.bad, #message:has-text({json.dumps(expect)})")
    assert "bad" not in (page.get_attribute("#message", "class") or ""), page.inner_text("#message")
    return page.inner_text("#message")


def frame_of(layer_id: str) -> str:
    return layer_id.rsplit("-", 1)[0]


def test_review_in_the_browser(app, page):
    """Issue 14, "A real browser": open the app, name an identity, move a member to another
    identity, split two members off and mark that identity "not a character" (undo it on the
    page, and mark it again), look at frames, unlink a duplicate, read the decision log, run a
    search and an export; after each action the catalogue and the CLI (`characters list`,
    `query`, `export lora`) agree with the page.

    Undo covers identity decisions only (the library's undo_last, as `characters undo`): the
    button says so, and the decision log marks unlink and represent "not undoable"."""
    url, cli, root = app
    from celvault.catalog import Catalog

    def query_layers(*args) -> set[str]:  # near-duplicate frames' layers too
        return {r["layer_id"] for r in cli.json("query", "--layers", "--include-duplicates", "--limit", 1000,
                                                *args)["rows"]}

    def query_frames(*args) -> list[str]:
        return [r["frame_id"] for r in cli.json("query", "--limit", 1000, *args)["rows"]]

    def stored_layers() -> dict[str, dict]:
        cols = ["layer_id", "cluster_id", "cluster_manual", "not_character"]
        return {r["layer_id"]: r for r in Catalog.open(cli.catalog).read("layers", cols).to_pylist()}

    def stored_dup_of() -> dict[str, str | None]:
        rows = Catalog.open(cli.catalog).read("frames", ["frame_id", "dup_of"]).to_pylist()
        return {r["frame_id"]: r["dup_of"] for r in rows}

    def characters() -> dict[int, dict]:
        return {k["cluster_id"]: k for k in cli.json("characters", "list")["characters"]}

    def member_ids() -> list[str]:
        return page.locator("[data-testid=member]").evaluate_all("ms => ms.map(m => m.dataset.layer)")

    def select(layer_ids) -> None:
        for lid in layer_ids:
            card = page.locator(f"[data-testid=member][data-layer='{lid}']")
            card.click()
            assert "selected" in (card.get_attribute("class") or "").split()
        assert page.inner_text("#selected-count") == str(len(layer_ids))

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
    assert NAME in message(page, NAME)
    assert page.inner_text("#identity-name") == NAME
    after = {k["cluster_id"]: k["name"] for k in cli.json("characters", "list")["characters"]}
    assert after[cid] == NAME and all(n is None for c, n in after.items() if c != cid)
    assert cli.json("characters", "show", "endou")["cluster_id"] == cid  # the CLI resolves the new name
    page.reload()
    page.wait_for_selector("[data-testid=member]")
    assert page.inner_text("#identity-name") == NAME  # stored, not just shown
    shot(page, root, "identity")

    # Move: one of its members, on a frame `query` lists (a near-duplicate representative), to
    # the other identity; the page, the catalogue and the CLI see it there
    known = characters()
    other = max((k for k in known if k != cid), key=lambda k: known[k]["members"])
    reps_before = set(query_frames("--character", NAME))
    moved = next(lid for lid in member_ids() if frame_of(lid) in reps_before)
    select([moved])
    page.wait_for_selector(f"#move-target option[value='{other}']", state="attached")
    page.select_option("#move-target", str(other))
    page.click("#move-button")
    assert f"moved 1 layers to cluster {other}" in message(page, "moved 1 layers")
    assert moved not in member_ids() and len(member_ids()) == known[cid]["members"] - 1
    assert page.inner_text("#selected-count") == "0"
    row = stored_layers()[moved]
    assert row["cluster_id"] == other and row["cluster_manual"] and not row["not_character"]
    now = characters()
    assert (now[cid]["members"], now[other]["members"]) == (known[cid]["members"] - 1, known[other]["members"] + 1)
    assert moved not in query_layers("--character", NAME) and moved in query_layers("--character", other)
    assert frame_of(moved) not in query_frames("--character", NAME)  # its only layer of NAME moved away

    # A junk identity: split two members of the other identity off as "crowd", then mark that
    # whole identity "not a character"; it leaves `characters list`, the identities page and
    # every query
    open_page(page, url, f"/identities/{other}", "[data-testid=member]")
    junk = [lid for lid in member_ids() if lid != moved][:2]
    select(junk)
    page.fill("#split-name", "crowd")
    page.click("#split-button")
    said = message(page, "split 2 layers off as cluster")
    now = characters()
    (crowd,) = set(now) - set(known)
    assert f"cluster {crowd} (crowd)" in said
    assert (now[crowd]["name"], now[crowd]["members"]) == ("crowd", 2)
    assert now[other]["members"] == known[other]["members"] - 1  # one moved in, two split off
    assert not set(junk) & set(member_ids()) and query_layers("--character", crowd) == set(junk)
    open_page(page, url, f"/identities/{crowd}", "[data-testid=member]")
    assert sorted(member_ids()) == sorted(junk) and page.inner_text("#identity-name") == "crowd"

    def mark_junk() -> None:
        page.click("#junk-identity")
        assert "(2 layers)" in message(page, f"cluster {crowd} marked not a character")
        assert page.get_attribute("#decision-actions", "data-gone") == "1" and not member_ids()

    mark_junk()
    # Undo on the page: the identity and its two members are back, for the page and the CLI ...
    page.click("#undo-button")
    assert "undid mark" in message(page, "undid")
    assert sorted(member_ids()) == sorted(junk) and not page.get_attribute("#decision-actions", "data-gone")
    assert characters()[crowd]["members"] == 2 and query_layers("--character", crowd) == set(junk)
    assert not any(stored_layers()[lid]["not_character"] for lid in junk)
    # ... and marked again
    mark_junk()
    stored = stored_layers()
    assert all(stored[lid]["not_character"] and stored[lid]["cluster_id"] == -1 for lid in junk)
    assert crowd not in characters()
    assert not set(junk) & query_layers()  # --layers leaves junk out, with or without --character
    assert not set(junk) & query_layers("--character", other)
    res = cli("query", "--character", crowd, "--json", ok=False)
    assert res.exit_code != 0 and "not a known character" in res.output
    open_page(page, url, "/identities", "[data-testid=identity-card]")
    assert sorted(int(c) for c in page.locator("[data-testid=identity-card]").evaluate_all(
        "cs => cs.map(c => c.dataset.cluster)")) == sorted(characters())

    # Frames: a frame of this identity, its layers with the identity's name
    rows = cli.json("query", "--character", NAME)["rows"]
    assert rows and all(NAME in r["characters"] for r in rows)
    frame = rows[0]["frame_id"]
    open_page(page, url, f"/frames?frame={frame}", "[data-testid=frame-layer]")
    layers = page.locator("[data-testid=frame-layer]").all_inner_texts()
    assert any(NAME in t for t in layers), layers
    shot(page, root, "frames")

    # Duplicates: one card per near-duplicate group in the catalogue; unlink a frame of the
    # identity from its group: it becomes its own representative, which `query` lists
    def groups() -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for fid, rep in stored_dup_of().items():
            if rep:
                out.setdefault(rep, set()).add(fid)
        return out

    def shown_groups() -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for g in page.locator("[data-testid=duplicate-group]").all():
            out[g.get_attribute("data-group")] = set(g.locator("[data-testid=duplicate-member]").evaluate_all(
                "ms => ms.map(m => m.dataset.frame)"))
        return out

    grouped = groups()
    assert grouped, "the fixture's catalogue has near-duplicate groups"
    open_page(page, url, "/duplicates", "[data-testid=duplicate-group]")
    assert shown_groups() == grouped
    shot(page, root, "duplicates")
    with_dups = query_frames("--character", NAME, "--include-duplicates")
    unlinked = next(f for f in with_dups if f not in query_frames("--character", NAME))
    was_of = stored_dup_of()[unlinked]

    page.click(f"[data-testid=duplicate-unlink][data-frame='{unlinked}']")
    assert f"from the group of {was_of}" in message(page, f"frame {unlinked} unlinked")
    settle(page)
    expected = {rep: members - {unlinked} for rep, members in grouped.items() if members - {unlinked}}
    assert shown_groups() == groups() == expected
    assert stored_dup_of()[unlinked] is None
    everything = query_frames("--include-duplicates")
    assert unlinked in query_frames() and everything.count(unlinked) == 1  # a representative now

    # Overview: the decision log in force, newest first, as stored (the undone mark left out)
    from celvault.catalog.decisions import history

    decided = ["unlink", "mark", "split", "move", "name"]
    open_page(page, url, "/", "[data-testid=decision-row]")
    rows_shown = page.locator("[data-testid=decision-row]")
    assert rows_shown.evaluate_all("rs => rs.map(r => r.dataset.action)") == decided
    assert [d["action"] for d in history(Catalog.open(cli.catalog))[::-1]] == decided
    assert unlinked in rows_shown.first.inner_text() and "not undoable" in rows_shown.first.inner_text()
    assert page.locator("#undo-button").inner_text() == "Undo last identity action"
    shot(page, root, "overview")

    # Later stages fill an unlinked frame (its layers' characters): `celvault run`, beside the
    # open app, makes it one of the identity's frames; the manual move and junk stay as they were
    cli("run", "--profile", "offline", "--config", root / "small.yaml")
    assert unlinked in query_frames("--character", NAME)
    assert query_frames("--character", NAME, "--include-duplicates") == with_dups
    assert stored_dup_of()[unlinked] is None
    stored = stored_layers()
    assert stored[moved]["cluster_id"] == other and all(stored[lid]["not_character"] for lid in junk)
    assert crowd not in characters() and not set(junk) & query_layers()

    # Search: the identity's frames; the page's results are `celvault query`'s, and so is the
    # command line it shows
    open_page(page, url, "/search", "#search-form")
    run_search(page, NAME)
    ids = page.locator("[data-testid=search-result]").evaluate_all("rs => rs.map(r => r.dataset.id)")
    command = shlex.split(page.inner_text("#search-command"))
    assert command[:2] == ["celvault", "query"] and NAME in command
    via_cli = cli.json(*command[1:])  # the command shown, run as is
    assert ids == [r["frame_id"] for r in via_cli["rows"]] == query_frames("--character", NAME)[:len(ids)]
    assert unlinked in ids and frame_of(moved) not in ids
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
    # one cut-out per frame the search page showed: the unlinked frame's, not the moved layer's
    # (nor the split-off junk's)
    exported = {Path(f).stem for f in images}
    assert {frame_of(lid) for lid in exported} == set(ids)
    assert moved not in exported and not set(junk) & exported
    assert any(frame_of(lid) == unlinked for lid in exported)
    shot(page, root, "export")

    assert sorted(p.stem for p in (root / "screenshots").glob("*.png")) == sorted(
        ["overview", "identities", "identity", "frames", "duplicates", "search", "export"])


def test_a_frames_effects_and_its_whole_track(app, page):
    """The frame view outlines the frame's effect layers and links each character layer to its
    whole track, which the search page shows as `celvault query` does."""
    from celvault.catalog import Catalog

    url, cli, _root = app
    layers = Catalog.open(cli.catalog).read("layers", ["layer_id", "frame_id", "kind", "track_id"]).to_pylist()
    effects = {r["frame_id"] for r in layers if r["kind"] == "effect"}
    fid, track = next((r["frame_id"], r["track_id"]) for r in sorted(layers, key=lambda r: r["layer_id"])
                      if r["kind"] == "character" and r["frame_id"] in effects and r["track_id"])
    open_page(page, url, f"/frames?frame={fid}", "[data-testid=track-link]")
    boxes = page.locator("[data-testid=layer-box][data-kind=effect]")
    assert boxes.count() == sum(1 for r in layers if r["frame_id"] == fid and r["kind"] == "effect")
    page.locator(f"[data-testid=frame-layer][data-track='{track}'] [data-testid=track-link]").first.click()
    page.wait_for_selector("[data-testid=search-result]")
    settle(page)
    shown = [e.get_attribute("data-id") for e in page.locator("[data-testid=search-result]").all()]
    expected = cli.json("query", "--layers", "--where", f"track_id = '{track}'", "--limit", "48")["rows"]
    assert shown == [r["layer_id"] for r in expected] and len(shown) > 1
