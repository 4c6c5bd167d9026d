"""segment: cut every representative frame's characters into layers.

Per frame: a segmentation backend gives a soft alpha of all characters (rembg models,
plate) or candidate instance masks (sam2). A soft alpha is refined with the preset
(configs/segment/) and split into connected regions; fragments under `min_area` and regions
over `max_area` (fractions of the frame) are dropped. Each remaining instance becomes a
`character` layer: RGBA cut-out of its bbox (soft alpha kept) and binary mask in layer_media.
On frames: `segment_method` (what produced the layers, or why nothing did) and
`layer_count` (null when the frame was skipped).
"""

from __future__ import annotations

import math
from collections import Counter

import pyarrow as pa

from celvault import registry
from celvault.errors import ConfigError
from celvault.registry import register

from .backends.device import resolve
from .base import REPRESENTATIVE_FRAMES, Stage
from .layers import FrameIn, LayerBatch, decode_frame
from .refine import from_masks, instances, load_preset, refine

LAYER_KINDS = "kind IN ('character', 'background')"


@register("stage", "segment")
class SegmentStage(Stage):
    name = "segment"
    version = 1
    table = "frames"
    key = "frame_id"
    inputs = ["episode_id", "shot_index"]
    media = "frame_media"
    outputs = [pa.field("segment_method", pa.string()), pa.field("layer_count", pa.int32())]
    where = REPRESENTATIVE_FRAMES
    default_batch_size = 8
    owns = {"layer_media": LAYER_KINDS, "layers": LAYER_KINDS}  # backgrounds derive from these masks
    resets = ["inpaint_method", "inpaint_config"]

    def __init__(self, settings=None, device: str = "auto"):
        super().__init__(settings, device)
        self.preset = load_preset(str(self.settings.get("preset", "aggressive")))
        try:
            self.min_area = float(self.settings.get("min_area", 0.002))
            self.max_area = float(self.settings.get("max_area", 0.6))
        except (TypeError, ValueError):
            raise ConfigError("stages.segment: min_area and max_area are fractions of the frame") from None
        if not 0 <= self.min_area < self.max_area <= 1:
            raise ConfigError("stages.segment: need 0 <= min_area < max_area <= 1 (fractions of the frame)")
        self._segmenter = None
        self._methods: Counter = Counter()

    @property
    def backend(self) -> str:
        return str(self.settings.get("backend", "isnet-anime"))

    @property
    def segmenter(self):
        if self._segmenter is None:
            cls = registry.load("segmenter", self.backend)
            self._segmenter = cls(self.settings, resolve(self.device), self.catalog)
        return self._segmenter

    def bind(self, catalog) -> None:
        super().bind(catalog)
        if self._segmenter is not None:
            self._segmenter.catalog = catalog

    def params(self):
        return {"preset": self.preset.params(), "min_area": self.min_area, "max_area": self.max_area,
                self.backend: self.segmenter.params()}

    def missing_weights(self) -> list[str]:
        from .backends import weights

        return [str(weights.model(m).expected()) for m in self.segmenter.models() if weights.model(m).locate() is None]

    def weights_sha(self):
        from .backends import weights

        shas = [weights.model(m).sha256() for m in self.segmenter.models()]
        return ",".join(s or "missing" for s in shas) or None

    def prepare(self) -> None:
        from .backends import weights

        for m in self.segmenter.models():
            weights.model(m).require(self.segmenter.download)

    def run(self, rows: pa.Table) -> dict:
        made_by = self.config_id()
        frames = [FrameIn(fid, ep, shot, decode_frame(img, fid)) for fid, ep, shot, img in zip(
            *(rows.column(c).to_pylist() for c in ("frame_id", "episode_id", "shot_index", "image")))]
        batch, methods, counts = LayerBatch(), [], []
        for frame, seg in zip(frames, self.segmenter.segment(frames)):
            self._methods[seg.method.split(" (")[0] if not seg.skipped else f"skipped ({seg.skipped})"] += 1
            if seg.skipped:
                methods.append(f"none ({seg.skipped})")
                counts.append(None)
                continue
            h, w = frame.rgb.shape[:2]
            lo, hi = math.ceil(self.min_area * h * w), int(self.max_area * h * w)
            if seg.masks is not None:
                found = from_masks(seg.masks, lo, hi)
            else:
                alpha, mask = refine(seg.soft, self.preset)
                found = instances(mask, alpha, lo, hi)
            for i, inst in enumerate(found):
                batch.add_character(frame, i, inst, seg.method, made_by)
            methods.append(seg.method)
            counts.append(len(found))
        return {"segment_method": methods, "layer_count": counts, **batch.tables()}

    def summary(self) -> list[str]:
        return [f"{n} frames: {m}" for m, n in sorted(self._methods.items())]
