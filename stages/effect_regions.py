"""Effect regions from an effect finder's probability maps, effect layer rows, and how much
of a character layer the frame's effects cover.

A map is thresholded at its effect's threshold; pixels of one effect within `group_px` of
each other are one region (sparkles around a character are one layer, not thirty); a region
under the effect's `min_area` (a fraction of the frame) is dropped. The layer's mask is the
thresholded pixels of the region, its alpha the probability (the rule backend's maps are
0/1), its score the mean probability over the mask.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from celvault.media.codec import decode_png, png, png_mask

from .layers import FrameIn, LayerBatch


@dataclass
class Region:
    effect: str
    mask: np.ndarray  # bool HxW (frame size)
    alpha: np.ndarray  # uint8 HxW
    bbox: tuple[int, int, int, int]
    score: float

    @property
    def area(self) -> int:
        return int(self.mask.sum())


def regions_of(maps: dict[str, np.ndarray], vocabulary, group_px: int, max_layers: int) -> list[Region]:
    """The regions of one frame: vocabulary order, then left to right; at most `max_layers`
    (the largest kept)."""
    found: list[Region] = []
    order = {e.name: i for i, e in enumerate(vocabulary.effects)}
    for effect in vocabulary.effects:
        prob = maps.get(effect.name)
        if prob is None:
            continue
        hit = prob >= effect.threshold
        if not hit.any():
            continue
        h, w = hit.shape
        grown = hit.astype(np.uint8)
        if group_px > 0:
            grown = cv2.dilate(grown, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * group_px + 1,) * 2))
        n, labels = cv2.connectedComponents(grown, connectivity=8)
        least = max(1, int(np.ceil(effect.min_area * h * w)))
        for i in range(1, n):
            mask = hit & (labels == i)
            area = int(mask.sum())
            if area < least:
                continue
            ys, xs = np.nonzero(mask)
            bbox = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
            alpha = np.where(mask, np.clip(np.round(prob * 255), 1, 255), 0).astype(np.uint8)
            found.append(Region(effect.name, mask, alpha, bbox, float(prob[mask].mean())))
    if len(found) > max_layers:
        keep = sorted(range(len(found)), key=lambda i: (-found[i].area, i))[:max_layers]
        found = [found[i] for i in sorted(keep)]
    return sorted(found, key=lambda r: (order[r.effect], r.bbox[0], r.bbox[1]))


class EffectBatch(LayerBatch):
    """Layer rows of kind `effect`: RGBA cut-out of the bbox (alpha from the map) + mask,
    the effect's name, the prompt that found it and its score."""

    def add_effect(self, frame: FrameIn, index: int, region: Region, prompt: str, method: str, made_by: str) -> None:
        x0, y0, x1, y1 = region.bbox
        rgba = np.empty((y1 - y0, x1 - x0, 4), np.uint8)
        rgba[..., :3], rgba[..., 3] = frame.rgb[y0:y1, x0:x1], region.alpha[y0:y1, x0:x1]
        self._add(frame, "effect", index, region.bbox, region.area, png(rgba), png_mask(region.mask[y0:y1, x0:x1]),
                  method, made_by)
        self.rows[-1].update(effect=region.effect, prompt=prompt, score=round(region.score, 4))


def overlap(layer_id: str, bbox, parts: list[dict]) -> float:
    """Share of the character layer's mask (its entry in `parts`, the frame's layer masks)
    that the frame's effect masks cover; 0 without effects."""
    own = next((p for p in parts if p["layer_id"] == layer_id), None)
    effects = [p for p in parts if p["kind"] == "effect"]
    if own is None or not effects:
        return 0.0
    x0, y0, x1, y1 = bbox
    mask = decode_png(own["mask"]) > 0
    if not mask.any():
        return 0.0
    cover = np.zeros((y1 - y0, x1 - x0), bool)
    for p in effects:  # effect masks, clipped to the character's box
        ex0, ey0, ex1, ey1 = p["bbox"]
        ix0, iy0, ix1, iy1 = max(x0, ex0), max(y0, ey0), min(x1, ex1), min(y1, ey1)
        if ix0 >= ix1 or iy0 >= iy1:
            continue
        em = decode_png(p["mask"]) > 0
        cover[iy0 - y0:iy1 - y0, ix0 - x0:ix1 - x0] |= em[iy0 - ey0:iy1 - ey0, ix0 - ex0:ix1 - ex0]
    return float((mask & cover).sum() / mask.sum())
