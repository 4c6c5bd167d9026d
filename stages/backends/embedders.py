"""What an embedder is, and `palette`: a colour-histogram embedder that needs no weights.

An embedder turns images (RGB frames, RGBA character cut-outs) into L2-normalised float32
vectors of a fixed size; embedders with a text side (open_clip) also embed text into the
same space for semantic queries and zero-shot scene tags.
"""

from __future__ import annotations

from typing import ClassVar

import cv2
import numpy as np

from celvault.errors import ConfigError, CelvaultError
from celvault.registry import register

from .base import Backend


class NoTextSide(CelvaultError):
    pass


def normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class Embedder(Backend):
    has_text: ClassVar[bool] = False

    @property
    def dim(self) -> int:
        raise NotImplementedError

    @property
    def model_id(self) -> str:
        """What made the vectors (recorded per row: vectors of different models never mix)."""
        raise NotImplementedError

    def embed_images(self, images: list[np.ndarray]) -> np.ndarray:
        raise NotImplementedError

    def embed_text(self, texts: list[str]) -> np.ndarray:
        raise NoTextSide(f"the {self.registered_name} embedder has no text side: text queries and scene "
                         "tags need an open_clip embedder (stages.embed.backend: open_clip)")


@register("embedder", "palette")
class PaletteEmbedder(Embedder):
    """Histogram over hue x saturation x value of the opaque pixels (alpha >= 128).

    Anime characters are drawn in a few flat colours, so the palette identifies them well.
    Pixels darker than `min_value` (0-255) are left out: outlines are drawn in one dark
    colour for every character, and their share grows as a figure gets smaller, so they
    would make size, not identity, the strongest signal. The histogram is L1-normalised,
    square-rooted (the cosine of two vectors is then their Bhattacharyya coefficient) and
    L2-normalised.
    """

    section = "palette"
    defaults = {"hue_bins": 12, "sat_bins": 3, "val_bins": 3, "min_value": 56}
    runtime_options = frozenset()

    def __init__(self, settings, device="cpu", catalog=None):
        super().__init__(settings, device, catalog)
        try:
            self.bins = tuple(int(self.options[k]) for k in ("hue_bins", "sat_bins", "val_bins"))
            self.min_value = int(self.options["min_value"])
        except (TypeError, ValueError):
            raise ConfigError("stages.embed.palette: hue_bins, sat_bins and val_bins are whole numbers") from None
        if min(self.bins) < 1 or np.prod(self.bins) > 4096:
            raise ConfigError("stages.embed.palette: bins must be >= 1 and at most 4096 in all")

    @property
    def dim(self) -> int:
        return int(np.prod(self.bins))

    @property
    def model_id(self) -> str:
        return "palette:hsv-{}x{}x{}-v{}".format(*self.bins, self.min_value)

    def embed_images(self, images: list[np.ndarray]) -> np.ndarray:
        return np.stack([self._one(img) for img in images]) if images else np.zeros((0, self.dim), np.float32)

    def _one(self, img: np.ndarray) -> np.ndarray:
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
