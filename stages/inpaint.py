"""inpaint: one `background` layer per frame that has character layers.

The frame's character masks (from segment's layers) are joined, dilated by `dilate` px
(20 by default) so outlines and soft edges go too, and filled by the backend: `lama`,
`telea` or `plate`. On frames: `inpaint_method` says what filled it.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import pyarrow as pa

from celvault.registry import register
from celvault.timing import phase
from celvault.settings import StageSettings, setting

from .base import CHARACTER_LAYERS, REPRESENTATIVE_FRAMES, IndexSpec
from .layers import LAYER_INDEXES, FrameIn, LayerBatch, frames_in
from celvault.media.codec import union_mask
from .model_stage import ModelStage


def dilate(mask: np.ndarray, px: int) -> np.ndarray:
    if px <= 0:
        return mask
    ys, xs = np.nonzero(mask.any(axis=1))[0], np.nonzero(mask.any(axis=0))[0]
    if not len(ys):
        return mask.astype(bool)
    # growth reaches px beyond the mask: dilating the mask's box padded by px is exact
    y0, y1 = max(0, ys[0] - px), min(mask.shape[0], ys[-1] + 1 + px)
    x0, x1 = max(0, xs[0] - px), min(mask.shape[1], xs[-1] + 1 + px)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * px + 1, 2 * px + 1))
    out = np.zeros(mask.shape, bool)
    out[y0:y1, x0:x1] = cv2.dilate(mask[y0:y1, x0:x1].astype(np.uint8), kernel).astype(bool)
    return out


@dataclass(frozen=True)
class InpaintSettings(StageSettings):
    dilate: int = setting(20, "px the character mask grows by before filling", min=0, max=512)
    include: list[str] = setting(["character"], "layers whose pixels are filled: character, and effect "
                                 "(run the effects stage first)")

    def check(self) -> str | None:
        bad = sorted(set(self.include) - {"character", "effect"})
        if bad or "character" not in self.include:
            return f"include: character, optionally with effect (got {', '.join(self.include)})"
        return None


@register("stage", "inpaint")
class InpaintStage(ModelStage):
    name = "inpaint"
    version = 1
    order = 30
    Settings = InpaintSettings
    backend_kind = "inpainter"
    default_backend = "lama"
    table = "frames"
    key = "frame_id"
    inputs = ["episode_id", "shot_index"]
    media = "frame_media"
    frame_layers = CHARACTER_LAYERS  # their masks arrive in `layer_masks`
    shot_frames_needed = True  # the plate backend takes a median over the shot
    outputs = [pa.field("inpaint_method", pa.string())]
    where = f"{REPRESENTATIVE_FRAMES} AND layer_count > 0"
    default_batch_size = 4
    owns = {"layer_media": "kind = 'background'", "layers": "kind = 'background'"}
    requires = ["layer_count"]

    def __init__(self, settings=None, run=None, uses=None):
        super().__init__(settings, run, uses)
        if "effect" in self.settings.include:  # effect pixels too: they come from the effects stage
            self.frame_layers = "kind IN ('character', 'effect')"
            self.requires = ["layer_count", "effect_count"]

    def params(self):
        extra = {"include": sorted(self.settings.include)} if list(self.settings.include) != ["character"] else {}
        return {"dilate": self.settings.dilate, self.backend: self.model.params(), **extra}

    def indexes(self) -> list[IndexSpec]:
        return list(LAYER_INDEXES)

    def _masks(self, frames: list[FrameIn], layer_masks: list) -> list[np.ndarray]:
        out = []
        for f, parts in zip(frames, layer_masks):
            h, w = f.rgb.shape[:2]
            parts = parts or []
            out.append(dilate(union_mask(h, w, [p["bbox"] for p in parts], [p["mask"] for p in parts]),
                              self.settings.dilate))
        return out

    def run(self, rows: pa.Table) -> dict:
        made_by = self.config_id()
        frames = frames_in(rows)
        masks = self._masks(frames, rows.column("layer_masks").to_pylist())
        batch, methods = LayerBatch(), []
        with phase("pre"):  # the backend's own work; its model call is marked `model`
            filled = self.model.inpaint(frames, masks)
        for frame, mask, (rgb, method) in zip(frames, masks, filled):
            batch.add_background(frame, rgb, mask, method, made_by)
            methods.append(method)
            self._methods[method] += 1
        return {"inpaint_method": methods, **batch.tables()}
