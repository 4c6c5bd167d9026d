"""`palette`: a colour-histogram embedder that needs no weights.

A histogram over hue x saturation x value of the opaque pixels (alpha >= 128). Anime
characters are drawn in a few flat colours, so the palette identifies them well. Pixels
darker than `min_value` (0-255) are left out: outlines are drawn in one dark colour for
every character, and their share grows as a figure gets smaller, so they would make size,
not identity, the strongest signal. The histogram is L1-normalised, square-rooted (the
cosine of two vectors is then their Bhattacharyya coefficient) and L2-normalised.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from celvault.registry import register
from celvault.settings import setting

from .embedders import Embedder

MAX_DIM = 4096


@dataclass(frozen=True)
class PaletteSettings:
    hue_bins: int = setting(12, "hue bins", min=1)
    sat_bins: int = setting(3, "saturation bins", min=1)
    val_bins: int = setting(3, "value (brightness) bins", min=1)
    min_value: int = setting(56, "pixels darker than this (0-255) are outlines, left out", min=0, max=255)

    def check(self) -> str | None:
        dim = self.hue_bins * self.sat_bins * self.val_bins
        if dim > MAX_DIM:
            return f" hue_bins x sat_bins x val_bins must be at most {MAX_DIM}, got {dim}"
        return None


@register("embedder", "palette", settings=PaletteSettings)
class PaletteEmbedder(Embedder):
    def __init__(self, settings=None, run=None):
        super().__init__(settings, run)
        o = self.options
        self.bins = (o.hue_bins, o.sat_bins, o.val_bins)
        self.min_value = o.min_value

    @property
    def dim(self) -> int:
        return int(np.prod(self.bins))

    @property
    def model_id(self) -> str:
        return "palette:hsv-{}x{}x{}-v{}".format(*self.bins, self.min_value)

    def embed_images(self, images: list[np.ndarray]) -> np.ndarray:
        return np.stack([self._one(img) for img in images]) if images else np.zeros((0, self.dim), np.float32)

    def _one(self, img: np.ndarray) -> np.ndarray:
        import cv2

        rgb = img[..., :3]
        opaque = img[..., 3] >= 128 if img.shape[2] == 4 else np.ones(img.shape[:2], bool)
        hsv = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2HSV_FULL)[opaque]
        hsv = hsv[hsv[:, 2] >= self.min_value]
        if len(hsv) == 0:
            return np.zeros(self.dim, np.float32)
        hb, sb, vb = self.bins
        idx = ((hsv[:, 0].astype(np.int64) * hb >> 8) * sb + (hsv[:, 1].astype(np.int64) * sb >> 8)) * vb \
            + (hsv[:, 2].astype(np.int64) * vb >> 8)
        hist = np.bincount(idx, minlength=self.dim).astype(np.float32)
        vec = np.sqrt(hist / hist.sum())
        return vec / max(float(np.linalg.norm(vec)), 1e-12)
