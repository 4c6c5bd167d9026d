"""Images handed to describing backends (embedders, captioners, taggers).

A frame arrives as RGB; a character layer as its RGBA cut-out. Models that see only RGB get
cut-outs composited on white (the convention of character datasets and booru taggers);
the palette embedder reads the alpha itself.
"""

from __future__ import annotations

import cv2
import numpy as np
import pyarrow as pa

from .layers import decode_png


def pictures_in(rows: pa.Table, key: str) -> list[np.ndarray]:
    """Decoded images of a stage batch (the joined `image` column): RGB frames, RGBA layers."""
    out = []
    for k, data in zip(rows.column(key).to_pylist(), rows.column("image").to_pylist()):
        if not data:
            from celvault.errors import CatalogError

            raise CatalogError(f"{key} {k}: no stored image")
        img = decode_png(data)
        out.append(cv2.cvtColor(img, cv2.COLOR_GRAY2RGB) if img.ndim == 2 else img)
    return out


def on_white(img: np.ndarray) -> np.ndarray:
    """RGB of an RGB or RGBA image, transparent pixels turned white."""
    if img.ndim == 3 and img.shape[2] == 4:
        a = img[..., 3:4].astype(np.float32) / 255.0
        return (img[..., :3].astype(np.float32) * a + 255.0 * (1 - a)).round().astype(np.uint8)
    return img


def to_pil(img: np.ndarray):
    from PIL import Image

    return Image.fromarray(on_white(img))
