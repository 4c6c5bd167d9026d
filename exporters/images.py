"""Image bytes for exports: cut-outs on white or with alpha, crops of the frame, whole frames."""

from __future__ import annotations

import numpy as np

from celvault.catalog import Catalog
from celvault.catalog.store import sql_in
from celvault.media.codec import decode_png, png
from celvault.media.codec import on_white

BACKGROUNDS = ("white", "keep-alpha", "none")


def media_by_id(catalog: Catalog, table: str, key: str, ids: list[str], columns=("data",)) -> dict[str, dict]:
    if not ids:
        return {}
    got = catalog.read(table, [key, *columns], sql_in(key, ids)).to_pylist()
    return {r[key]: r for r in got}


def layer_images(catalog: Catalog, rows: list[dict], background: str) -> dict[str, np.ndarray]:
    """layer_id -> image: RGB on white, RGBA (keep-alpha), or the frame's pixels in the bbox (none)."""
    media = media_by_id(catalog, "layer_media", "layer_id", [r["layer_id"] for r in rows])
    frames = {}
    if background == "none":
        frames = media_by_id(catalog, "frame_media", "frame_id", sorted({r["frame_id"] for r in rows}))
    out = {}
    for r in rows:
        if background == "none":
            x0, y0, x1, y1 = r["bbox"]
            out[r["layer_id"]] = decode_png(frames[r["frame_id"]]["data"])[y0:y1, x0:x1]
        else:
            rgba = decode_png(media[r["layer_id"]]["data"])
            out[r["layer_id"]] = rgba if background == "keep-alpha" else on_white(rgba)
    return out


def frame_images(catalog: Catalog, ids: list[str], table: str = "frame_media", key: str = "frame_id") -> dict[str, np.ndarray]:
    return {k: decode_png(m["data"])[..., :3] for k, m in media_by_id(catalog, table, key, ids).items()}


def encode(img: np.ndarray) -> bytes:
    return png(img, level=3)


def big_enough(img: np.ndarray, min_size: int) -> bool:
    return min(img.shape[:2]) >= min_size
