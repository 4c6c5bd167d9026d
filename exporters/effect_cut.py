"""Character cut-outs and the effects over them: `export lora --max-effect-overlap X` leaves
out cut-outs whose `effect_overlap` (share of the mask an effect covers, from the effects
stage) is over X, or with `--effect-overlap-mode mask` keeps them with the effect pixels made
transparent (alpha 0 where the frame's effect masks cover the cut-out)."""

from __future__ import annotations

import numpy as np

from celvault.catalog import Catalog
from celvault.catalog.store import sql_in
from celvault.media.codec import decode_png

from .base import ExportError
from .images import media_by_id

MODES = ("drop", "mask")


def overlaps(catalog: Catalog, layer_ids: list[str]) -> dict[str, float]:
    """layer_id -> effect_overlap; a one-line error when the effects stage has not filled it."""
    if "effect_overlap" not in catalog.dataset("layers").schema.names:
        raise ExportError("--max-effect-overlap needs effect_overlap on character layers: run `celvault run effects` first")
    if not layer_ids:
        return {}
    got = catalog.read("layers", ["layer_id", "effect_overlap"], sql_in("layer_id", layer_ids)).to_pylist()
    missing = sum(r["effect_overlap"] is None for r in got)
    if missing:
        raise ExportError(f"{missing} character layers have no effect_overlap yet: run `celvault run effects` first")
    return {r["layer_id"]: r["effect_overlap"] for r in got}


def effect_cover(catalog: Catalog, rows: list[dict]) -> dict[str, np.ndarray]:
    """layer_id -> bool mask over the layer's bbox: pixels an effect layer of its frame covers."""
    frames = sorted({r["frame_id"] for r in rows})
    if not frames:
        return {}
    fx = catalog.read("layers", ["layer_id", "frame_id", "bbox"],
                      f"kind = 'effect' AND {sql_in('frame_id', frames)}").to_pylist()
    masks = media_by_id(catalog, "layer_media", "layer_id", [e["layer_id"] for e in fx], columns=("mask",))
    by_frame: dict[str, list] = {}
    for e in fx:
        by_frame.setdefault(e["frame_id"], []).append((e["bbox"], decode_png(masks[e["layer_id"]]["mask"]) > 0))
    out = {}
    for r in rows:
        x0, y0, x1, y1 = r["bbox"]
        cover = np.zeros((y1 - y0, x1 - x0), bool)
        for (ex0, ey0, ex1, ey1), em in by_frame.get(r["frame_id"], []):
            ix0, iy0, ix1, iy1 = max(x0, ex0), max(y0, ey0), min(x1, ex1), min(y1, ey1)
            if ix0 < ix1 and iy0 < iy1:
                cover[iy0 - y0:iy1 - y0, ix0 - x0:ix1 - x0] |= em[iy0 - ey0:iy1 - ey0, ix0 - ex0:ix1 - ex0]
        out[r["layer_id"]] = cover
    return out


def apply_effect_overlap(catalog: Catalog, rows: list[dict], max_overlap: float, mode: str) -> tuple[list[dict], dict]:
    """(rows kept, {layer_id: cover mask} of the rows to mask)."""
    if mode not in MODES:
        raise ExportError(f"--effect-overlap-mode: {' or '.join(MODES)}, got {mode!r}")
    share = overlaps(catalog, [r["layer_id"] for r in rows])
    over = [r for r in rows if share.get(r["layer_id"], 0.0) > max_overlap]
    if mode == "drop":
        gone = {r["layer_id"] for r in over}
        return [r for r in rows if r["layer_id"] not in gone], {}
    return rows, effect_cover(catalog, over)


def masked(rgba: np.ndarray, cover: np.ndarray) -> np.ndarray:
    out = rgba.copy()
    out[..., 3][cover] = 0
    return out
