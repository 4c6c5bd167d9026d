"""`celvault export lora`: a character's images and captions in the kohya_ss layout
(exporters.characters picks them, exporters.kohya lays them out)."""

from __future__ import annotations

from dataclasses import dataclass

from celvault.catalog import Catalog
from celvault.config import Config
from celvault.safe_paths import check_export_target

from .base import catalog_manifest, export_summary, set_repeats
from .characters import CharacterRequest, character_subsets
from .kohya import Dataset, write_dataset


@dataclass
class LoraRequest(CharacterRequest):
    resolution: int = 512
    absolute_paths: bool = False  # dataset.toml image_dir: relative to OUT unless this


def export_lora(catalog: Catalog, config: Config, out, req: LoraRequest, overwrite: bool = False) -> dict:
    check_export_target(out, overwrite, catalog.path)  # before the work, not after it
    subsets = character_subsets(catalog, config, req)
    set_repeats(subsets, req.repeats, req.target_images)
    alpha_mask = req.background == "keep-alpha" and req.layer == "character"
    ds = Dataset(subsets, req.resolution, alpha_mask, catalog_manifest("lora", catalog, req), req.absolute_paths)
    return export_summary(write_dataset(ds, out, overwrite, catalog.path), subsets)
