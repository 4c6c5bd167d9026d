"""The kohya_ss (sd-scripts) DreamBooth layout:

    out/img/{repeats}_{trigger} {class}/<id>.png + <id>.txt
    out/dataset.toml    sd-scripts --dataset_config, pointing at those folders
    out/manifest.json   what was exported, from which catalogue versions, with which filters

`image_dir` in dataset.toml is relative to OUT (`img/...`), so the folder can be moved to a
training machine; sd-scripts resolves a relative image_dir against its working directory, so
it is run from inside OUT (`cd OUT && accelerate launch .../train_network.py
--dataset_config dataset.toml ...`). `absolute_paths` writes OUT's absolute path instead (the
export then works only where it was written). Written atomically by exporters.base.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from celvault.safe_paths import real

from .base import Subset, write_export, write_pairs
from .naming import safe_component

IMAGES = "img"
TOML = "dataset.toml"


@dataclass
class Dataset:
    subsets: list[Subset]
    resolution: int = 512
    alpha_mask: bool = False
    manifest: dict = field(default_factory=dict)
    absolute_paths: bool = False


def kohya_folder(sub: Subset) -> str:
    """`{repeats}_{trigger} {class}`: the folder name kohya reads repeats and class tokens from."""
    return safe_component(f"{sub.repeats}_{sub.trigger} {sub.class_tokens}".strip())


def _toml_str(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def dataset_toml(ds: Dataset, root: Path | None = None) -> str:
    """sd-scripts' --dataset_config. image_dir is `img/<folder>` (relative: run from OUT), or
    under `root` when given (absolute)."""
    where = "image_dir paths are relative to this folder: run sd-scripts from here" if root is None else \
        "image_dir paths are absolute"
    lines = [f"# celvault export: {where}", "",
             "[general]", "caption_extension = \".txt\"", "shuffle_caption = false", "keep_tokens = 1", "",
             "[[datasets]]", f"resolution = {ds.resolution}", "batch_size = 1", "enable_bucket = true",
             f"min_bucket_reso = {max(64, ds.resolution // 2)}", f"max_bucket_reso = {ds.resolution * 2}",
             "bucket_reso_steps = 64", ""]
    for sub in ds.subsets:
        image_dir = f"{IMAGES}/{sub.folder}" if root is None else str(root / IMAGES / sub.folder)
        lines += ["  [[datasets.subsets]]", f"  image_dir = {_toml_str(image_dir)}",
                  f"  num_repeats = {sub.repeats}", f"  class_tokens = {_toml_str(f'{sub.trigger} {sub.class_tokens}'.strip())}",
                  "  caption_extension = \".txt\""]
        if ds.alpha_mask:
            lines.append("  alpha_mask = true")
        lines.append("")
    return "\n".join(lines)


def write_dataset(ds: Dataset, out: str | Path, overwrite: bool = False, catalog_path=None) -> Path:
    """Write `ds` to `out` in the kohya layout (atomically; see exporters.base)."""
    for sub in ds.subsets:
        sub.folder = kohya_folder(sub)
    root = real(out) if ds.absolute_paths else None

    def layout(tmp: Path) -> list[str]:
        files = [f for sub in ds.subsets for f in write_pairs(tmp, sub, under=IMAGES)]
        (tmp / TOML).write_text(dataset_toml(ds, root), encoding="utf-8")
        return files

    return write_export(out, layout, ds.manifest, ds.subsets, overwrite, catalog_path)
