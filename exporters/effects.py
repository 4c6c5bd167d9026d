"""`celvault export effects`: effect layers (sparkles, speed lines, explosions, ...) as RGBA
cut-outs on transparent, in the kohya_ss layout, for effect LoRAs.

One subset per effect name (`{repeats}_{trigger} {effect}`), items sorted by layer id;
captions are the trigger, then the effect name, then the frame's caption and/or tags.
`dataset.toml` says `alpha_mask = true`, so sd-scripts trains on the effect's pixels only.
Frames are picked through the same filters as `celvault query` (scenes, episodes;
near-duplicates left out).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from celvault.catalog import Catalog
from celvault.catalog.store import sql_in
from celvault.config import Config
from celvault.queries.run import run_query
from celvault.queries.search import Query
from celvault.safe_paths import check_export_target

from .base import ExportError, Item, Subset, catalog_manifest, export_summary, set_repeats
from .characters import ALL, caption_for
from .images import big_enough, encode, media_by_id
from .kohya import Dataset, write_dataset


@dataclass
class EffectRequest:
    trigger: str = "fx"
    effects: list[str] = field(default_factory=list)  # effect names (empty: every effect found)
    scenes: list[str] = field(default_factory=list)
    episodes: list[str] = field(default_factory=list)
    min_score: float = 0.0
    repeats: str = "auto"
    captions: str = "auto"
    min_size: int = 0
    limit: int | None = None  # per effect
    resolution: int = 512
    target_images: int = 1500
    absolute_paths: bool = False


def _effect_rows(catalog: Catalog, frame_ids: list[str], req: EffectRequest) -> list[dict]:
    names = set(catalog.dataset("layers").schema.names)
    if "effect" not in names or not catalog.count("layers", "kind = 'effect'"):
        raise ExportError("no effect layers in this catalogue: run `celvault run effects` first")
    where = f"kind = 'effect' AND {sql_in('frame_id', frame_ids)}"
    if req.min_score > 0:
        where += f" AND score >= {float(req.min_score)}"
    if req.effects:
        where += f" AND {sql_in('effect', req.effects)}"
    rows = catalog.read("layers", ["layer_id", "frame_id", "effect", "score"], where).to_pylist()
    return sorted(rows, key=lambda r: r["layer_id"])


def effect_subsets(catalog: Catalog, config: Config, req: EffectRequest) -> list[Subset]:
    frames = run_query(catalog, config, Query(scenes=req.scenes, episodes=req.episodes, limit=ALL)).rows
    by_frame = {r["frame_id"]: r for r in frames}
    rows = _effect_rows(catalog, sorted(by_frame), req) if by_frame else []
    if not rows:
        raise ExportError("no effect layers match these filters")
    available = set(catalog.dataset("frames").schema.names) & {"caption", "tags"}
    media = media_by_id(catalog, "layer_media", "layer_id", [r["layer_id"] for r in rows])
    from celvault.media.codec import decode_png

    subsets = []
    for effect in sorted({r["effect"] or "effect" for r in rows}):
        items = []
        for r in rows:
            if (r["effect"] or "effect") != effect:
                continue
            rgba = decode_png(media[r["layer_id"]]["data"])
            if big_enough(rgba, req.min_size):
                caption = caption_for(f"{req.trigger}, {effect}", "", by_frame[r["frame_id"]], req.captions,
                                      available)
                items.append(Item(r["layer_id"], encode(rgba), caption))
        subsets.append(Subset(req.trigger, effect, 1, items[:req.limit] if req.limit else items))
    return subsets


def export_effects(catalog: Catalog, config: Config, out, req: EffectRequest, overwrite: bool = False) -> dict:
    check_export_target(out, overwrite, catalog.path)  # before the work, not after it
    subsets = effect_subsets(catalog, config, req)
    set_repeats(subsets, req.repeats, req.target_images)
    ds = Dataset(subsets, req.resolution, True, catalog_manifest("effects", catalog, req), req.absolute_paths)
    return export_summary(write_dataset(ds, out, overwrite, catalog.path), subsets)
