"""`null` backends: a correct output at no cost, to measure everything around the model.

benchmarks/bench_throughput.py runs whole stages (catalogue reads, decoding, pre- and
post-processing, encoding, commits) with these to find the CPU cost per frame that no GPU
can remove. Their outputs have the right shapes and types and mean nothing: a fixed ellipse
as every frame's character mask, the frame itself as its background, one constant vector,
one constant caption. Never use them for a dataset.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyarrow as pa

from celvault.registry import register

from .captioners import Captioner
from .embedders import Embedder, normalise
from .inpainters import Inpainter
from .segmenter import Segmentation, Segmenter

NULL_DIM = 512  # ViT-B/32's size: the same bytes per vector as the default model


@lru_cache(maxsize=8)
def fixed_mask(height: int, width: int) -> np.ndarray:
    """HxW uint8 soft alpha: an upright ellipse, a third of the frame wide, at its centre
    (made once per frame size and shared, read-only)."""
    yy, xx = np.ogrid[:height, :width]
    inside = ((xx - width / 2) / (width / 6)) ** 2 + ((yy - height * 0.55) / (height / 3)) ** 2 <= 1
    mask = inside.astype(np.uint8) * 255
    mask.flags.writeable = False
    return mask


@register("segmenter", "null")
class NullSegmenter(Segmenter):
    def segment(self, frames):
        return [Segmentation("null", soft=fixed_mask(*f.rgb.shape[:2])) for f in frames]


@register("inpainter", "null")
class NullInpainter(Inpainter):
    def inpaint(self, frames, masks):
        return [(f.rgb, "null") for f in frames]


@register("embedder", "null")
class NullEmbedder(Embedder):
    @property
    def dim(self) -> int:
        return NULL_DIM

    @property
    def model_id(self) -> str:
        return "null"

    def embed_images(self, images):
        return normalise(np.ones((len(images), NULL_DIM), np.float32))


@register("captioner", "null")
class NullCaptioner(Captioner):
    column = "caption"
    model_prefix = "null"
    arrow_type = pa.string()

    @property
    def model_id(self) -> str:
        return "null"

    def describe(self, images):
        return ["a frame"] * len(images)
