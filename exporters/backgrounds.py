"""`celvault export backgrounds`: inpainted backgrounds (characters removed) for background
LoRAs, in the kohya_ss layout, filtered by scene tags and episodes like `celvault query`.

`dedup` keeps one background per shot: the one whose fill covered the fewest pixels (the
least invented). Captions are the trigger, then the frame's caption and/or tags.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from celvault.catalog import Catalog
from celvault.catalog.store import sql_in
from celvault.config import Config
from celvault.queries.run import run_query
from celvault.safe_paths import check_export_target
from celvault.queries.search import Query

from .base import ExportError, Item, Subset, catalog_manifest, export_summary, set_repeats
from .characters import ALL, caption_for
from .images import big_enough, encode, frame_images
from .kohya import Dataset, write_dataset


@dataclass
class BackgroundRequest:
    trigger: str = "bgscene"
    class_tokens: str = "scenery"
    scenes: list[str] = field(default_factory=list)
    episodes: list[str] = field(default_factory=list)
    dedup: bool = False
    repeats: str = "auto"
    captions: str = "auto"
    min_size: int = 0
    limit: int | None = None
    resolution: int = 512
    target_images: int = 1500
    absolute_paths: bool = False  # dataset.toml image_dir: relative to OUT unless this


def export_backgrounds(catalog: Catalog, config: Config, out, req: BackgroundRequest, overwrite: bool = False) -> dict:
    check_export_target(out, overwrite, catalog.path)  # before the work, not after it
    frames = run_query(catalog, config, Query(scenes=req.scenes, episodes=req.episodes, limit=ALL)).rows
    by_frame = {r["frame_id"]: r for r in frames}
    layers = catalog.read("layers", ["layer_id", "frame_id", "episode_id", "shot_index", "area"],
                          f"kind = 'background' AND {sql_in('frame_id', sorted(by_frame))}").to_pylist() if frames else []
    if not layers:
        raise ExportError("no background layers match: run `celvault run inpaint` (and check the filters)")
    if req.dedup:
        best = {}
        for lay in sorted(layers, key=lambda r: (r["area"], r["layer_id"])):
            best.setdefault((lay["episode_id"], lay["shot_index"]), lay)
        layers = list(best.values())
    layers.sort(key=lambda r: r["layer_id"])
    available = set(catalog.dataset("frames").schema.names) & {"caption", "tags"}
    images = frame_images(catalog, [r["layer_id"] for r in layers], table="layer_media", key="layer_id")
    items = [Item(r["layer_id"], encode(images[r["layer_id"]]),
                  caption_for(req.trigger, req.class_tokens, by_frame[r["frame_id"]], req.captions, available))
             for r in layers if big_enough(images[r["layer_id"]], req.min_size)]
    sub = Subset(req.trigger, req.class_tokens, 1, items[:req.limit] if req.limit else items)
    set_repeats([sub], req.repeats, req.target_images)
    ds = Dataset([sub], req.resolution, False, catalog_manifest("backgrounds", catalog, req), req.absolute_paths)
    return export_summary(write_dataset(ds, out, overwrite, catalog.path), [sub])
