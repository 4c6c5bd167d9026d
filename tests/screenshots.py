"""The browser pieces that tests/test_serve_browser.py and README's screenshots share: find
Debian's chromium, start `celvault serve` on a free 127.0.0.1 port, and shoot the main pages.

Run it to remake the README screenshots (small palette PNGs in docs/screenshots/):

    .venv/bin/python -m tests.screenshots [--out docs/screenshots]

It builds the small offline catalogue of the tests (tests/small_catalog.py, one synthetic
episode, about 10 s) in a temporary folder, serves it, and saves one PNG per main page."""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

SIZE = {"width": 1100, "height": 700}
INSTALL_HINT = "apt-get install -y chromium (Debian's package; .ci/run installs it)"
LOOSE_DEDUP = ("stages:\n  cluster:\n    min_cluster_size: 3\n"
               "  dedup:\n    radius: 30\n    dhash_radius: 40\n    max_change: 80\n")


def find_chromium() -> str | None:
    """$CELVAULT_CHROMIUM, else `chromium` or `chromium-browser` on PATH."""
    named = os.environ.get("CELVAULT_CHROMIUM")
    if named:
        return named if Path(named).is_file() else None
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def build_catalog(root: Path):
    """The tests' small offline catalogue, with dedup rerun at a loose radius so that the walkers'
    frames form near-duplicate groups (the duplicates page needs some). Returns its Cli."""
    from tests.small_catalog import build_small_catalog

    cli = build_small_catalog(root)
    (root / "loose.yaml").write_text(LOOSE_DEDUP, encoding="utf-8")
    cli("run", "dedup", "--redo", "--config", root / "loose.yaml")
    return cli


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(catalog: Path, log: Path, timeout: float = 60.0):
    """`celvault serve --catalog CATALOG --port N` in a subprocess; yields its base URL once
    /api/overview answers, and stops it after."""
    port = free_port()
    env = {**os.environ, "CELVAULT_NO_PROGRESS": "1"}
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "celvault", "serve", "--catalog", str(catalog),
                                 "--port", str(port)], stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"celvault serve exited ({proc.returncode}):\n{log.read_text(errors='replace')}")
            try:
                if httpx.get(url + "/api/overview", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"celvault serve did not answer in {timeout:.0f} s:\n"
                                   f"{log.read_text(errors='replace')}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def settle(page, timeout: float = 20.0) -> None:
    """Wait until the page's requests are done (pages fill themselves from the JSON API) and
    every image in view has loaded (thumbnails are made on demand). Polled from here: the app's
    CSP forbids the eval that page.wait_for_function needs."""
    page.wait_for_load_state("networkidle")
    deadline = time.monotonic() + timeout
    while not page.locator("img:visible").evaluate_all("is => is.every(i => i.complete)"):
        if time.monotonic() > deadline:
            raise TimeoutError(f"images of {page.url} still loading after {timeout:.0f} s")
        time.sleep(0.1)


# The main pages, in README order: (name, path, what shows once the page has filled itself).
PAGES = [
    ("overview", "/", "#overview-episodes tbody tr"),
    ("identities", "/identities", "[data-testid=identity-card]"),
    ("identity", "/identities/{cluster}", "[data-testid=member]"),
    ("frames", "/frames?frame={frame}", "[data-testid=frame-layer]"),
    ("duplicates", "/duplicates", "[data-testid=duplicate-group]"),
    ("search", "/search", "#search-form"),
    ("export", "/export", "#export-form"),
]


def open_page(page, url: str, path: str, ready: str) -> None:
    """Go to a page and wait until it shows `ready` and its API requests are done."""
    page.goto(url + path)
    page.wait_for_selector(ready)
    settle(page)


def run_search(page, character: str) -> None:
    """On /search: search one character's frames, and wait for the first page of results."""
    page.fill("#search-character", character)
    page.click("#search-run")
    page.wait_for_selector("#search-command:not(:empty)")  # the CSP forbids eval: no wait_for_function
    settle(page)


def run_export(page, out: Path, character: str, trigger: str, timeout_ms: float = 90_000) -> None:
    """On /export: a LoRA set of one character into `out`, waiting until the job is done."""
    page.select_option("#export-kind", "lora")
    page.fill("#export-out", str(out))
    page.fill("#export-characters", character)
    page.fill("#export-triggers", trigger)
    page.click("#export-run")
    page.wait_for_selector("#export-progress[data-state=done], #export-progress[data-state=failed]",
                           timeout=timeout_ms)
    settle(page)


def shoot_pages(page, url: str, out: Path, export_to: Path):
    """One screenshot per main page into `out` (the search and export pages with a result);
    yields (name, png path). Names the first identity "Endou Mamoru" first, for the pictures."""
    cluster = httpx.get(url + "/api/identities").json()["identities"][0]["cluster_id"]
    headers = {"X-Celvault": "1", "Origin": url}
    httpx.post(f"{url}/api/identities/{cluster}/name", json={"name": "Endou Mamoru"}, headers=headers).raise_for_status()
    frame = next(r["frame_id"] for r in httpx.get(url + "/api/search", params={"character": str(cluster)}).json()["rows"])
    for name, path, ready in PAGES:
        open_page(page, url, path.format(cluster=cluster, frame=frame), ready)
        if name == "search":
            run_search(page, "Endou Mamoru")
        elif name == "export":
            run_export(page, export_to, "Endou Mamoru", "endou")
        png = out / f"{name}.png"
        page.screenshot(path=str(png))
        yield name, png


def compress(png: Path, colours: int = 128) -> None:
    """A palette PNG: a screenshot of 1100x700 goes from ~300 KB to well under 100 KB."""
    from PIL import Image

    with Image.open(png) as im:
        small = im.convert("RGB").quantize(colours, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    small.save(png, optimize=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "docs" / "screenshots")
    args = ap.parse_args(argv)
    exe = find_chromium()
    if exe is None:
        print(f"no chromium: {INSTALL_HINT}", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="celvault-shots-") as tmp:
        root = Path(tmp)
        cli = build_catalog(root)
        with serve(cli.catalog, root / "serve.log") as url, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=exe, headless=True)
            page = browser.new_page(viewport=SIZE)
            for name, path in shoot_pages(page, url, args.out, root / "export"):
                compress(path)
                print(f"{name}: {path} ({path.stat().st_size // 1024} KB)")
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
