"""Where celvault may write, so that no output can destroy data.

- Nothing is ever written inside a catalogue (a folder of `<table>.lance` datasets) or inside
  a Lance dataset.
- `export --overwrite` replaces only an earlier celvault export (a folder whose
  `manifest.json` celvault wrote), and never the current folder or a parent of it, a folder
  that holds the catalogue in use, or one that holds any catalogue.
- `query --out` writes its id-named images into a folder that is not a catalogue and holds
  none at its top level; `--sheet` replaces only a PNG file.
- A folder that cannot be made or written (a file in the way, no permission) is one
  `OutputNotWritable` line naming the path, not an OSError traceback.
Paths are judged after resolving symlinks, `.`, `..` and `""` (the current folder).
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

from celvault.errors import OutputNotWritable, UnsafeOutput

MANIFEST = "manifest.json"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def real(path) -> Path:
    """`path` made absolute with symlinks, `.` and `..` resolved (`""` is the current folder)."""
    return Path(os.path.realpath(Path(str(path)).expanduser()))


def is_lance_dataset(path: Path) -> bool:
    return path.name.endswith(".lance") and (path / "_versions").is_dir()


def is_catalog(path: Path) -> bool:
    """A Lance dataset, or a folder holding Lance datasets (a celvault or LanceDB catalogue)."""
    if is_lance_dataset(path):
        return True
    try:
        with os.scandir(path) as entries:
            return any(e.name.endswith(".lance") and e.is_dir(follow_symlinks=False) and is_lance_dataset(Path(e.path))
                       for e in entries)
    except OSError:
        return False


def enclosing_catalog(path: Path) -> Path | None:
    """The catalogue (or Lance dataset) that `path` is or lies inside, if any."""
    for p in (path, *path.parents):
        if is_catalog(p):
            return p
    return None


def _catalog_below(path: Path) -> Path | None:
    for root, dirs, _ in os.walk(path):
        for d in dirs:
            if is_lance_dataset(Path(root) / d):
                return Path(root)
    return None


def _holds(folder: Path, inner: Path) -> bool:
    return inner == folder or folder in inner.parents


def is_celvault_export(path: Path) -> bool:
    """A folder whose manifest.json celvault's exporters wrote."""
    manifest = path / MANIFEST
    try:
        if not manifest.is_file() or manifest.stat().st_size > 64 * 2**20:
            return False
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and "celvault" in data and "exporter" in data


def refuse_inside_catalog(path, what: str) -> Path:
    """`path` resolved, or UnsafeOutput when it is or lies inside a catalogue."""
    resolved = real(path)
    found = enclosing_catalog(resolved)
    if found is not None:
        where = "is a catalogue" if found == resolved else f"lies inside the catalogue {found}"
        raise UnsafeOutput(path, f"{where}: choose another place for the {what}")
    return resolved


def check_export_target(out, overwrite: bool, catalog_path=None) -> Path:
    """Where an export may go (absolute), or UnsafeOutput. An existing OUT is replaced only
    with `overwrite`, and only when it is an earlier celvault export holding no catalogue."""
    resolved = refuse_inside_catalog(out, "export")
    path = Path(str(out)).expanduser().absolute()
    if not os.path.lexists(path):
        refuse_file_in_the_way(path.parent)
        return path
    if not overwrite:
        raise UnsafeOutput(path, "already exists: pass --overwrite to replace it")
    cwd = real(".")
    if resolved == cwd or resolved in cwd.parents:
        which = "the current folder" if resolved == cwd else "a parent of the current folder"
        raise UnsafeOutput(out or ".", f"is {which}: --overwrite never replaces it")
    if catalog_path is not None and _holds(resolved, real(catalog_path)):
        raise UnsafeOutput(path, f"holds the catalogue in use ({catalog_path}): --overwrite never replaces it")
    if not resolved.is_dir() or not is_celvault_export(resolved):
        what = "a file" if not resolved.is_dir() else "a folder"
        raise UnsafeOutput(path, f"is {what}, not an earlier celvault export (no celvault {MANIFEST}): "
                                 "--overwrite replaces only those; remove it yourself or choose another OUT")
    found = _catalog_below(resolved)
    if found is not None:
        raise UnsafeOutput(path, f"holds a catalogue ({found}): --overwrite never replaces it")
    return path


def check_image_folder(out) -> Path:
    """The folder `query --format paths` may write its id-named images into, or UnsafeOutput."""
    resolved = refuse_inside_catalog(out, "images")
    refuse_file_in_the_way(out)
    if resolved.is_dir():
        try:
            with os.scandir(resolved) as entries:
                held = next((e.path for e in entries if e.is_dir(follow_symlinks=False) and is_catalog(Path(e.path))), None)
        except OSError:
            held = None
        if held:
            raise UnsafeOutput(out, f"holds the catalogue {held}: write the images to a folder of their own")
    return resolved


def check_sheet_file(out) -> Path:
    """Where a contact sheet may go: not inside a catalogue, replacing only a PNG file."""
    resolved = refuse_inside_catalog(out, "contact sheet")
    refuse_file_in_the_way(Path(str(out)).expanduser().absolute().parent)
    if os.path.lexists(resolved):
        if resolved.is_dir():
            raise UnsafeOutput(out, "is a folder: the contact sheet is a file (name it *.png)")
        try:
            with open(resolved, "rb") as f:
                head = f.read(len(PNG_SIGNATURE))
        except OSError as exc:
            raise OutputNotWritable(out, exc.strerror or str(exc)) from None
        if head != PNG_SIGNATURE:
            raise UnsafeOutput(out, "exists and is not a PNG image: not replacing it")
    return resolved


def refuse_file_in_the_way(path) -> None:
    """OutputNotWritable when the nearest existing one of `path` and its parents is not a folder."""
    path = Path(str(path)).expanduser().absolute()
    for p in (path, *path.parents):
        if os.path.lexists(p):
            if not p.is_dir():
                raise OutputNotWritable(path, f"{p} is a file, not a folder")
            return


def make_folder(path) -> Path:
    """mkdir -p with one-line errors: a file in the way, or a folder that cannot be written."""
    path = Path(path)
    refuse_file_in_the_way(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputNotWritable(path, _reason(exc)) from None
    return path


def _reason(exc: OSError) -> str:
    reason = exc.strerror or str(exc)
    if isinstance(exc, PermissionError):
        reason += " (a read-only folder?)"
    return reason + (f": {exc.filename}" if exc.filename else "")


@contextlib.contextmanager
def writing(path):
    """Turn an OSError raised while writing an output into one OutputNotWritable line."""
    try:
        yield
    except OSError as exc:
        raise OutputNotWritable(path, _reason(exc)) from None
