"""Images handed to describing backends (embedders, captioners, taggers).

A frame arrives as RGB; a character layer as its RGBA cut-out. Models that see only RGB get
cut-outs composited on white (the convention of character datasets and booru taggers);
the palette embedder reads the alpha itself.
"""

from __future__ import annotations

import cv2
import numpy as np
import pyarrow as pa

from celvault.media.codec import decode_png


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
