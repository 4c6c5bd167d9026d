"""Outputs that can never destroy data (issue 11: #1, #10 and the smaller ones).

`export --overwrite` replaces only an earlier celvault export; `query --out` and `--sheet`
never write into a catalogue; an output whose parent is a file or a read-only folder is one
`Error:` line; `--search` takes `%` and `_` literally; character names are normalised the
same way when stored and when looked up; a corrupt PNG gets celvault's line and no OpenCV
log lines.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from pathlib import Path

import pytest

from celvault.catalog import Catalog

from .small_catalog import CAPTIONS, build_small_catalog


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return build_small_catalog(tmp_path_factory.mktemp("safety"))


def _one_error(res, *words) -> str:
    out = res.output.strip()
    assert res.exit_code == 1, out
    assert isinstance(res.exception, SystemExit), repr(res.exception)  # no traceback
    assert out.startswith("Error: ") and len(out.splitlines()) == 1, out
    for w in words:
        assert w in out, out
    return out


def _frames(cli) -> int:
    return Catalog.open(cli.catalog).count("frames")


def _tree(path: Path) -> dict:
    return {str(p.relative_to(path)): p.read_bytes() if p.is_file() else None for p in sorted(path.rglob("*"))}


def test_overwrite_never_replaces_a_catalogue_or_the_working_folder(small, tmp_path, monkeypatch):
    cli, cat = small, small.catalog
    frames, before = _frames(small), _tree(cat)
    work = tmp_path / "work"
    (work / "sub").mkdir(parents=True)
    (work / "notes.txt").write_text("mine")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "photo.png").write_bytes(b"not celvault's")
    a_file = tmp_path / "a_file"
    a_file.write_text("keep me")
    other = tmp_path / "holder" / "deep" / "other.db"
    cli("init", "--catalog", other)
    monkeypatch.chdir(work / "sub")
    for out, words in ((cat, ["catalogue"]), (cat / "frames.lance", ["catalogue"]),
                       (cat.parent, ["catalogue in use"]), (".", ["current folder"]), ("", ["current folder"]),
                       (work, ["current folder"]), (tmp_path / "holder", ["not an earlier celvault export"]),
                       (mine, ["not an earlier celvault export"]), (a_file, ["not an earlier celvault export"])):
        for kind in (["lora", out, "--character", "0"], ["backgrounds", out]):
            _one_error(cli("export", *kind, "--catalog", cat, "--overwrite", ok=False), *words)
    assert _frames(small) == frames and _tree(cat) == before
    assert (work / "notes.txt").read_text() == "mine" and (mine / "photo.png").read_bytes() == b"not celvault's"
    assert a_file.read_text() == "keep me" and Catalog.open(other).count("frames") == 0
    # an earlier export is replaced; one holding a catalogue is not
    out = tmp_path / "lora"
    cli("export", "lora", out, "--character", "0")
    first = json.loads((out / "manifest.json").read_text())
    cli("export", "lora", out, "--character", "1", "--overwrite")
    assert json.loads((out / "manifest.json").read_text())["request"]["characters"] == ["1"] != first["request"]["characters"]
    cli("init", "--catalog", out / "img" / "stash.db")
    _one_error(cli("export", "lora", out, "--character", "0", "--overwrite", ok=False), "catalogue")
    assert Catalog.open(out / "img" / "stash.db").count("frames") == 0
    # and nothing is ever written inside a catalogue
    _one_error(cli("export", "backgrounds", cat / "bg", ok=False), "catalogue")
    assert not (cat / "bg").exists()


def test_query_out_and_sheet_never_write_into_a_catalogue(small, tmp_path):
    cli, cat = small, small.catalog
    before = _tree(cat)
    for out in (cat, cat / "frames.lance", cat / "frames.lance" / "data", cat / "new"):
        _one_error(cli("query", "--format", "paths", "--out", out, "--limit", "2", ok=False), "catalogue")
    for sheet in (cat / "s.png", cat / "frames.lance" / "s.png"):
        _one_error(cli("query", "--sheet", sheet, "--limit", "2", ok=False), "catalogue")
        _one_error(cli("characters", "show", "0", "--sheet", sheet, ok=False), "catalogue")
    assert _tree(cat) == before
    folder = tmp_path / "a-folder"
    folder.mkdir()
    _one_error(cli("characters", "show", "0", "--sheet", folder, ok=False))  # not click's usage text
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    _one_error(cli("query", "--sheet", text, "--limit", "2", ok=False), "not a PNG")
    assert text.read_text() == "not an image"
    good = tmp_path / "sheet.png"  # a sheet may replace a sheet
    cli("query", "--sheet", good, "--limit", "2")
    cli("query", "--sheet", good, "--limit", "3")
    assert good.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_output_under_a_file_is_one_line(small, tmp_path):
    cli = small
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    _one_error(cli("export", "lora", blocker / "out", "--character", "0", ok=False), str(blocker))
    _one_error(cli("export", "backgrounds", blocker / "a" / "b", ok=False), str(blocker))
    _one_error(cli("query", "--format", "paths", "--out", blocker / "imgs", "--limit", "2", ok=False), str(blocker))
    _one_error(cli("query", "--sheet", blocker / "s.png", "--limit", "2", ok=False), str(blocker))
    _one_error(cli("query", "--format", "paths", "--out", blocker, "--limit", "2", ok=False), str(blocker))
    assert blocker.read_text() == "x"


@contextlib.contextmanager
def _read_only(folder: Path):
    """`folder` made unwritable: chmod, and for root (whom chmod does not stop) the immutable
    attribute; skips where neither holds."""
    folder.chmod(0o555)
    immutable = False
    if os.geteuid() == 0:
        immutable = subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0
    try:
        probe = folder / ".probe"
        try:
            probe.write_text("x")
            probe.unlink()
            pytest.skip("cannot make a folder read-only here")
        except OSError:
            pass
        yield folder
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(folder)], capture_output=True)
        folder.chmod(0o755)


def test_output_in_a_read_only_folder_is_one_line(small, tmp_path):
    cli = small
    ro = tmp_path / "ro"
    ro.mkdir()
    with _read_only(ro):
        _one_error(cli("export", "lora", ro / "out", "--character", "0", ok=False), str(ro))
        _one_error(cli("export", "backgrounds", ro / "bg", ok=False), str(ro))
        _one_error(cli("query", "--format", "paths", "--out", ro / "imgs", "--limit", "2", ok=False), str(ro))
        _one_error(cli("query", "--format", "paths", "--out", ro, "--limit", "2", ok=False), str(ro))
        _one_error(cli("query", "--sheet", ro / "s.png", "--limit", "2", ok=False), str(ro))
        _one_error(cli("characters", "show", "0", "--sheet", ro / "s.png", ok=False), str(ro))
    assert list(ro.iterdir()) == []


def test_search_takes_like_wildcards_literally(small):
    cli = small
    every = cli.json("query", "--include-duplicates", "--limit", "1000")["matched"]
    assert every > 3
    ids = sorted(r["frame_id"] for r in cli.json("query", "--include-duplicates", "--limit", "1000")["rows"])
    for word, position in (("%", 0), ("_", 1), ("100%", 0), ("e_c", 1)):
        got = cli.json("query", "--search", word, "--include-duplicates", "--limit", "1000")
        assert [r["frame_id"] for r in got["rows"]] == [ids[position]], (word, CAPTIONS[position])
    assert cli.json("query", "--search", "\\", "--include-duplicates")["matched"] == 0


def test_names_are_normalised_when_stored_and_when_looked_up(small):
    cli = small
    cli("characters", "name", "1", "line1\nline2")
    assert {c["cluster_id"]: c["name"] for c in cli.json("characters", "list")["characters"]}[1] == "line1 line2"
    for ref in ("line1\nline2", "  LINE1\t line2 ", "line1 line2"):
        got = cli.json("query", "--character", ref, "--layers", "--limit", "3")
        assert got["rows"] and {r["character"] for r in got["rows"]} == {"line1 line2"}
        assert cli.json("characters", "show", ref)["cluster_id"] == 1


def test_corrupt_png_gets_no_opencv_log_lines(small, tmp_path, capfd):
    import cv2
    import numpy as np

    folder = tmp_path / "frames"
    folder.mkdir()
    for i in range(3):
        cv2.imwrite(str(folder / f"f{i:03d}.png"), np.full((90, 160, 3), 60 * i, np.uint8))
    (folder / "f003.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"junk" * 50)  # a broken header: OpenCV logs [ERROR]
    small("init", "--catalog", tmp_path / "c.db")
    capfd.readouterr()
    res = small("ingest", folder, "--catalog", tmp_path / "c.db", ok=False)
    err = capfd.readouterr().err
    _one_error(res, "f003.png", "cannot read image")
    assert "[ERROR" not in err and "[ WARN" not in err, err
