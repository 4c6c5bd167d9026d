"""What every exporter shares: the items and subsets it writes, the manifest, and the atomic
writer. A new exporter is one module: it picks its rows, turns them into `Subset`s of `Item`s,
and hands `write_export` a function that lays the files out in a folder.

    write_export(out, layout, manifest, overwrite, catalog_path)

writes everything into a hidden sibling folder (`.OUT.celvault-partial`), adds
`manifest.json` (what was exported, from which catalogue versions, with which filters, the
files), and renames it into place at the end, so an interrupted export never leaves a half
folder. An existing `out` is replaced only with `overwrite`, and only when it is an earlier
celvault export (never a catalogue, the current folder or a parent of it: celvault.safe_paths).
File names come from frame and layer ids, sorted.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from celvault import __version__
from celvault.errors import CelvaultError
from celvault.safe_paths import MANIFEST, check_export_target, make_folder, writing

from .naming import caption_text, safe_component


class ExportError(CelvaultError):
    pass


@dataclass
class Item:
    name: str  # file stem (an id)
    image: bytes  # encoded PNG
    caption: str


@dataclass
class Subset:
    trigger: str
    class_tokens: str
    repeats: int
    items: list[Item] = field(default_factory=list)
    folder: str = ""  # set by the exporter's layout, relative to OUT


# A layout writes the subsets' files into a folder and returns the files it wrote (relative paths).
Layout = Callable[[Path], list[str]]


def catalog_manifest(exporter: str, catalog, request) -> dict:
    """The manifest's head: celvault's version, the exporter, the catalogue and its table
    versions, and the request (its filters and sizes)."""
    return {"celvault": __version__, "exporter": exporter, "catalog": str(catalog.path),
            "catalog_versions": catalog.versions(), "request": {**request.__dict__}}


def check_subsets(subsets: list[Subset]) -> None:
    if not any(sub.items for sub in subsets):
        raise ExportError("nothing to export: no image matches these filters")
    folders = [sub.folder for sub in subsets]
    if len(set(folders)) != len(folders):
        raise ExportError(f"two subsets would share the folder {sorted(folders)[0]!r}: give them different triggers")


def write_export(out, layout: Layout, manifest: dict, subsets: list[Subset], overwrite: bool = False,
                 catalog_path=None) -> Path:
    """Write an export to `out` atomically: `layout(tmp)` writes the files, then manifest.json
    (with the subsets and files), then the folder is renamed into place."""
    out = check_export_target(out, overwrite, catalog_path)
    check_subsets(subsets)
    make_folder(out.parent)
    tmp = out.parent / f".{out.name}.celvault-partial"
    with writing(out):
        shutil.rmtree(tmp, ignore_errors=True)  # what an earlier interrupted export left
        tmp.mkdir()
        files = layout(tmp)
        manifest = {**manifest, "subsets": [{"folder": s.folder, "images": len(s.items), "repeats": s.repeats}
                                            for s in subsets], "files": files}
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
                                    encoding="utf-8")
        old = out.parent / f".{out.name}.celvault-old"
        if os.path.lexists(out):
            check_export_target(out, overwrite, catalog_path)  # still an earlier export, just before it goes
            shutil.rmtree(old, ignore_errors=True)
            os.replace(out, old)
        os.replace(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
    return out


def write_pairs(root: Path, sub: Subset, under: str = "") -> list[str]:
    """The subset's images and same-named .txt captions in `root/under/sub.folder`, sorted by
    name; returns the images' paths relative to `root`."""
    rel = f"{under}/{sub.folder}" if under else sub.folder
    folder = root / rel
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for item in sorted(sub.items, key=lambda i: i.name):
        stem = safe_component(item.name)
        (folder / f"{stem}.png").write_bytes(item.image)
        (folder / f"{stem}.txt").write_text(caption_text(item.caption) + "\n", encoding="utf-8")
        files.append(f"{rel}/{stem}.png")
    return files


def auto_repeats(counts: list[int], target: int) -> list[int]:
    """Repeats giving every subset about target / len(counts) images per epoch (1 to 100)."""
    share = target / max(1, len(counts))
    return [max(1, min(100, round(share / n))) if n else 1 for n in counts]


def set_repeats(subsets: list[Subset], repeats: str, target: int) -> None:
    """`repeats` is a whole number, or auto: about `target` images per epoch, split evenly."""
    counts = auto_repeats([len(s.items) for s in subsets], target) if repeats == "auto" else [int(repeats)] * len(subsets)
    for sub, n in zip(subsets, counts):
        sub.repeats = n


def export_summary(path: Path, subsets: list[Subset]) -> dict:
    """What an exporter returns (and `--json` prints)."""
    return {"out": str(path), "subsets": [{"folder": s.folder, "images": len(s.items), "repeats": s.repeats}
                                          for s in subsets]}
