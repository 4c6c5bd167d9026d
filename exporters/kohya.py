"""The kohya_ss (sd-scripts) DreamBooth layout, written atomically.

    out/img/{repeats}_{trigger} {class}/<id>.png + <id>.txt
    out/dataset.toml    sd-scripts --dataset_config, pointing at those folders
    out/manifest.json   what was exported, from which catalogue versions, with which filters

Everything is written into a hidden sibling folder first and renamed into place at the end,
so an interrupted export never leaves a half folder; an existing `out` is replaced only with
`overwrite`, and only when it is an earlier celvault export (never a catalogue, the current
folder or a parent of it: celvault.safe_paths). File names come from frame and layer ids, sorted.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

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

    @property
    def folder(self) -> str:
        return safe_component(f"{self.repeats}_{self.trigger} {self.class_tokens}".strip())


@dataclass
class Dataset:
    subsets: list[Subset]
    resolution: int = 512
    alpha_mask: bool = False
    manifest: dict = field(default_factory=dict)


def _toml_str(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def dataset_toml(ds: Dataset, root: Path) -> str:
    lines = ["[general]", "caption_extension = \".txt\"", "shuffle_caption = false", "keep_tokens = 1", "",
             "[[datasets]]", f"resolution = {ds.resolution}", "batch_size = 1", "enable_bucket = true",
             f"min_bucket_reso = {max(64, ds.resolution // 2)}", f"max_bucket_reso = {ds.resolution * 2}",
             "bucket_reso_steps = 64", ""]
    for sub in ds.subsets:
        lines += ["  [[datasets.subsets]]", f"  image_dir = {_toml_str(str(root / 'img' / sub.folder))}",
                  f"  num_repeats = {sub.repeats}", f"  class_tokens = {_toml_str(f'{sub.trigger} {sub.class_tokens}'.strip())}",
                  "  caption_extension = \".txt\""]
        if ds.alpha_mask:
            lines.append("  alpha_mask = true")
        lines.append("")
    return "\n".join(lines)


def write_dataset(ds: Dataset, out: str | Path, overwrite: bool = False, catalog_path=None) -> Path:
    """Write `ds` to `out` atomically. An existing `out` is replaced only with `overwrite`, and
    only when it is an earlier celvault export (see celvault.safe_paths)."""
    out = check_export_target(out, overwrite, catalog_path)
    if not any(sub.items for sub in ds.subsets):
        raise ExportError("nothing to export: no image matches these filters")
    folders = [sub.folder for sub in ds.subsets]
    if len(set(folders)) != len(folders):
        raise ExportError(f"two subsets would share the folder {sorted(folders)[0]!r}: give them different triggers")
    make_folder(out.parent)
    tmp = out.parent / f".{out.name}.celvault-partial"
    with writing(out):
        shutil.rmtree(tmp, ignore_errors=True)  # what an earlier interrupted export left
        files = _write_files(ds, tmp)
        (tmp / "dataset.toml").write_text(dataset_toml(ds, out), encoding="utf-8")
        manifest = {**ds.manifest, "subsets": [{"folder": s.folder, "images": len(s.items), "repeats": s.repeats}
                                                for s in ds.subsets], "files": files}
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


def _write_files(ds: Dataset, tmp: Path) -> list[str]:
    files = []
    for sub in ds.subsets:
        folder = tmp / "img" / sub.folder
        folder.mkdir(parents=True)
        for item in sorted(sub.items, key=lambda i: i.name):
            stem = safe_component(item.name)
            (folder / f"{stem}.png").write_bytes(item.image)
            (folder / f"{stem}.txt").write_text(caption_text(item.caption) + "\n", encoding="utf-8")
            files.append(f"img/{sub.folder}/{stem}.png")
    return files


def auto_repeats(counts: list[int], target: int) -> list[int]:
    """Repeats giving every subset about target / len(counts) images per epoch (1 to 100)."""
    share = target / max(1, len(counts))
    return [max(1, min(100, round(share / n))) if n else 1 for n in counts]
