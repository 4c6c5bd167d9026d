"""Layer rows and their media: character cut-outs (RGBA of the bbox + mask) and backgrounds.

Rows go to `layers` (small, updated by later stages), bytes to `layer_media` (append only).
Ids come from the frame, the kind and the instance number, so a rerun makes the same ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from celvault.catalog.ids import layer_id

from celvault.media.codec import decode_frame, png, png_mask

from .base import IndexSpec
from .refine import Instance

# a query's page token is a layer id; --layers reads the layers of a page's frames
LAYER_INDEXES = (IndexSpec("layers", "layer_id", "BTREE"), IndexSpec("layers", "frame_id", "BTREE"))


@dataclass
class FrameIn:
    """A frame handed to a segmentation or inpainting backend."""

    frame_id: str
    episode_id: str
    shot_index: int
    rgb: np.ndarray


def frames_in(rows) -> list[FrameIn]:
    """Decoded frames of a stage batch (key, episode_id, shot_index and the joined `image`)."""
    return [FrameIn(fid, ep, shot, decode_frame(img, fid)) for fid, ep, shot, img in zip(
        *(rows.column(c).to_pylist() for c in ("frame_id", "episode_id", "shot_index", "image")))]


@dataclass
class LayerBatch:
    """New layer rows and their media, turned into the two tables' Arrow rows."""

    rows: list[dict] = field(default_factory=list)
    media: list[dict] = field(default_factory=list)

    def _add(self, frame: FrameIn, kind: str, index: int, bbox, area: int, data: bytes, mask: bytes,
             method: str, made_by: str) -> None:
        lid = layer_id(frame.frame_id, kind, index)
        h, w = frame.rgb.shape[:2]
        self.rows.append({"layer_id": lid, "frame_id": frame.frame_id, "episode_id": frame.episode_id,
                          "shot_index": frame.shot_index, "kind": kind, "instance": index, "bbox": list(bbox),
                          "area": area, "frame_width": w, "frame_height": h, "method": method, "made_by": made_by})
        self.media.append({"layer_id": lid, "frame_id": frame.frame_id, "episode_id": frame.episode_id,
                           "kind": kind, "format": "png", "data": data, "mask": mask})

    def add_character(self, frame: FrameIn, index: int, inst: Instance, method: str, made_by: str,
                      matted: tuple | None = None) -> None:
        """The RGBA cut-out of the instance's bbox (frame colour, the instance's alpha) and its
        mask; `matted` (bbox, alpha, rgb from stages/matting.py `matte_region`) replaces the
        bbox, alpha and colour, the mask stays the instance's."""
        bbox = inst.bbox if matted is None else tuple(int(v) for v in matted[0])
        x0, y0, x1, y1 = bbox
        rgba = np.empty((y1 - y0, x1 - x0, 4), np.uint8)
        if matted is None:
            rgba[..., :3], rgba[..., 3] = frame.rgb[y0:y1, x0:x1], inst.alpha[y0:y1, x0:x1]
        else:
            rgba[..., :3], rgba[..., 3] = matted[2], matted[1]
        self._add(frame, "character", index, bbox, inst.area, png(rgba), png_mask(inst.mask[y0:y1, x0:x1]),
                  method, made_by)

    def add_background(self, frame: FrameIn, rgb: np.ndarray, mask: np.ndarray, method: str, made_by: str) -> None:
        h, w = rgb.shape[:2]
        self._add(frame, "background", 0, (0, 0, w, h), int(mask.sum()), png(rgb), png_mask(mask), method,
                  made_by)

    def tables(self) -> dict[str, pa.Table]:
        if not self.rows:
            return {}
        from celvault.catalog.schema import LAYER_MEDIA, LAYERS

        return {"layer_media": pa.Table.from_pylist(self.media, schema=LAYER_MEDIA),
                "layers": pa.Table.from_pylist(self.rows, schema=LAYERS)}
