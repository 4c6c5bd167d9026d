"""`celvault export everydream`: character subsets in the EveryDream2 trainer's layout.

    out/<trigger>/<id>.png + <id>.txt   an image and its caption (trigger first)
    out/<trigger>/multiply.txt          how many times the folder's images are seen per epoch
    out/manifest.json                   what was exported, from which catalogue versions

Train with `--data_root out` (EveryDream2 reads every folder under it; multiply.txt applies
to its own folder only). Written atomically by exporters.base.
"""

from __future__ import annotations

from pathlib import Path

from celvault.catalog import Catalog
from celvault.config import Config
from celvault.safe_paths import check_export_target

from .base import catalog_manifest, export_summary, set_repeats, write_export, write_pairs
from .characters import CharacterRequest, character_subsets
from .naming import safe_component

MULTIPLY = "multiply.txt"


def export_everydream(catalog: Catalog, config: Config, out, req: CharacterRequest, overwrite: bool = False) -> dict:
    check_export_target(out, overwrite, catalog.path)  # before the work, not after it
    subsets = character_subsets(catalog, config, req)
    set_repeats(subsets, req.repeats, req.target_images)
    for sub in subsets:
        sub.folder = safe_component(sub.trigger)

    def layout(tmp: Path) -> list[str]:
        files = []
        for sub in subsets:
            files += write_pairs(tmp, sub)
            (tmp / sub.folder / MULTIPLY).write_text(f"{sub.repeats}\n", encoding="utf-8")
        return files

    path = write_export(out, layout, catalog_manifest("everydream", catalog, req), subsets, overwrite, catalog.path)
    return export_summary(path, subsets)
