"""inpaint: one `background` layer per frame that has character layers.

The frame's character masks (from segment's layers) are joined, dilated by `dilate` px
(20 by default) so outlines and soft edges go too, and filled by the backend: `lama`,
`telea` or `plate`. On frames: `inpaint_method` says what filled it.
"""

from __future__ import annotations

import cv2
import numpy as np
import pyarrow as pa

from celvault.catalog.store import sql_in
from celvault.errors import ConfigError
from celvault.registry import register

from .base import REPRESENTATIVE_FRAMES
from .layers import FrameIn, LayerBatch, frames_in
from celvault.media.codec import union_mask
from .model_stage import ModelStage


def dilate(mask: np.ndarray, px: int) -> np.ndarray:
    if px <= 0:
        return mask
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * px + 1, 2 * px + 1))
    return cv2.dilate(mask.astype(np.uint8), kernel).astype(bool)


@register("stage", "inpaint")
class InpaintStage(ModelStage):
    name = "inpaint"
    version = 1
    backend_kind = "inpainter"
    default_backend = "lama"
    table = "frames"
    key = "frame_id"
    inputs = ["episode_id", "shot_index"]
    media = "frame_media"
    outputs = [pa.field("inpaint_method", pa.string())]
    where = f"{REPRESENTATIVE_FRAMES} AND layer_count > 0"
    default_batch_size = 4
    owns = {"layer_media": "kind = 'background'", "layers": "kind = 'background'"}
    requires = ["layer_count"]

    def __init__(self, settings=None, device: str = "auto"):
        super().__init__(settings, device)
        try:
            self.dilate_px = int(self.settings.get("dilate", 20))
        except (TypeError, ValueError):
            raise ConfigError("stages.inpaint.dilate: a whole number of pixels") from None
        if not 0 <= self.dilate_px <= 512:
            raise ConfigError("stages.inpaint.dilate: 0 to 512 pixels")

    def params(self):
        return {"dilate": self.dilate_px, self.backend: self.model.params()}

    def _masks(self, frames: list[FrameIn]) -> list[np.ndarray]:
        ids = [f.frame_id for f in frames]
        where = f"{sql_in('frame_id', ids)} AND kind = 'character'"
        layers = self.catalog.read("layers", ["layer_id", "frame_id", "bbox"], where)
        media = self.catalog.read("layer_media", ["layer_id", "mask"], where)
        mask_of = dict(zip(media.column("layer_id").to_pylist(), media.column("mask").to_pylist()))
        by_frame: dict[str, list] = {}
        for lid, fid, bbox in zip(*(layers.column(c).to_pylist() for c in ("layer_id", "frame_id", "bbox"))):
            by_frame.setdefault(fid, []).append((bbox, mask_of[lid]))
        out = []
        for f in frames:
            h, w = f.rgb.shape[:2]
            parts = by_frame.get(f.frame_id, [])
            out.append(dilate(union_mask(h, w, [b for b, _ in parts], [m for _, m in parts]), self.dilate_px))
        return out

    def run(self, rows: pa.Table) -> dict:
        made_by = self.config_id()
        frames = frames_in(rows)
        masks = self._masks(frames)
        batch, methods = LayerBatch(), []
        for frame, mask, (rgb, method) in zip(frames, masks, self.model.inpaint(frames, masks)):
            batch.add_background(frame, rgb, mask, method, made_by)
            methods.append(method)
            self._methods[method] += 1
        return {"inpaint_method": methods, **batch.tables()}
