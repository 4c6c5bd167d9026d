"""Character subsets for the exporters that train on characters (`export lora`, `export
everydream`): one subset per character, its images (the character's layers, cut out on
white, with alpha, or the frame's pixels in the layer's box; or the frames that show it)
through the same filters as `celvault query`, each with a caption that starts with the
trigger token, then the BLIP caption and/or the WD14 tags.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from celvault.catalog import Catalog
from celvault.config import Config
from celvault.queries.run import run_query
from celvault.queries.search import Query

from .base import ExportError, Item, Subset
from .images import BACKGROUNDS, big_enough, encode, frame_images, layer_images
from .effect_cut import apply_effect_overlap, masked

CAPTIONS = ("auto", "blip", "wd14", "both", "none")
ALL = 10**9


@dataclass
class CharacterRequest:
    characters: list[str]
    triggers: list[str] = field(default_factory=list)
    class_tokens: str = "1person"
    scenes: list[str] = field(default_factory=list)
    episodes: list[str] = field(default_factory=list)
    layer: str = "character"  # character | frame
    background: str = "white"  # white | keep-alpha | none
    repeats: str = "auto"  # auto | N
    captions: str = "auto"  # auto: whatever the catalogue has (both, one, or the class tokens only)
    min_size: int = 0
    limit: int | None = None
    target_images: int = 1500  # images per epoch --repeats auto aims at
    max_effect_overlap: float | None = None  # cut-outs whose effect_overlap is over this: left out or masked
    effect_overlap_mode: str = "drop"  # drop | mask (effect pixels made transparent)


def caption_for(trigger: str, class_tokens: str, row: dict, captions: str, available: set[str]) -> str:
    """Trigger first, then the BLIP caption and/or the WD14 tags; with neither, the class."""
    parts = [trigger]
    if captions in ("auto", "blip", "both") and "caption" in available and row.get("caption"):
        parts.append(row["caption"])
    if captions in ("auto", "wd14", "both") and "tags" in available and row.get("tags"):
        parts += list(row["tags"])
    if len(parts) == 1:
        parts.append(class_tokens)
    return ", ".join(p.strip() for p in parts if p and p.strip())


def check_request(req: CharacterRequest, catalog: Catalog) -> set[str]:
    """The request is consistent and the captions it asks for exist; returns the caption
    columns the catalogue has."""
    if not req.characters:
        raise ExportError("name at least one character (--character)")
    if req.triggers and len(req.triggers) != len(req.characters):
        raise ExportError("give one --trigger per --character (or none: triggers from the names)")
    if req.layer not in ("character", "frame") or req.background not in BACKGROUNDS or req.captions not in CAPTIONS:
        raise ExportError("--layer character|frame, --background white|keep-alpha|none, "
                          "--captions auto|blip|wd14|both|none")
    if req.max_effect_overlap is not None:
        if req.layer != "character":
            raise ExportError("--max-effect-overlap applies to character cut-outs (--layer character)")
        if req.effect_overlap_mode == "mask" and req.background == "none":
            raise ExportError("--effect-overlap-mode mask needs --background white or keep-alpha")
    table = "layers" if req.layer == "character" else "frames"
    available = set(catalog.dataset(table).schema.names) & {"caption", "tags"}
    wanted = {"blip": {"caption"}, "wd14": {"tags"}, "both": {"caption", "tags"}}.get(req.captions, set())
    if wanted and not available & wanted:
        backend = "wd14" if req.captions == "wd14" else "blip"
        raise ExportError(f"no {'/'.join(sorted(wanted))} on {table} yet: run `celvault run caption --backend "
                          f"caption={backend}` first")
    return available


def character_subsets(catalog: Catalog, config: Config, req: CharacterRequest) -> list[Subset]:
    """One subset per requested character, items sorted by id (repeats still 1)."""
    available = check_request(req, catalog)
    subsets = []
    for i, who in enumerate(req.characters):
        trigger = req.triggers[i] if req.triggers else who.lower().replace(" ", "_")
        q = Query(characters=[who], scenes=req.scenes, episodes=req.episodes, layers=req.layer == "character",
                  limit=ALL)
        key = "layer_id" if q.layers else "frame_id"
        rows = sorted(run_query(catalog, config, q).rows, key=lambda r: r[key])
        if q.layers and req.max_effect_overlap is not None:
            rows, covers = apply_effect_overlap(catalog, rows, req.max_effect_overlap, req.effect_overlap_mode)
            images = _masked_images(catalog, rows, req.background, covers)
        else:
            images = layer_images(catalog, rows, req.background) if q.layers else frame_images(catalog, [r[key] for r in rows])
        items = [Item(r[key], encode(images[r[key]]), caption_for(trigger, req.class_tokens, r, req.captions, available))
                 for r in rows if big_enough(images[r[key]], req.min_size)]
        subsets.append(Subset(trigger, req.class_tokens, 1, items[:req.limit] if req.limit else items))
    return subsets


def _masked_images(catalog: Catalog, rows: list[dict], background: str, covers: dict) -> dict:
    """Cut-outs with the effect pixels of `covers` made transparent, then on white or with alpha."""
    if not covers:
        return layer_images(catalog, rows, background)
    from celvault.media.codec import on_white

    images = layer_images(catalog, rows, "keep-alpha")
    for lid, cover in covers.items():
        images[lid] = masked(images[lid], cover)
    return images if background == "keep-alpha" else {k: on_white(v) for k, v in images.items()}
