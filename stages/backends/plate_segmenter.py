"""`plate` segmentation, no weights: pixels that differ from the shot's background plate.

The plate comes with the frame (`reference`), so the segment stage can drop regions that
match it, ghosts of characters the plate holds, and background the camera moved.

Frames where no plate applies (moving camera, too few frames in the shot, a fade) go to the
`fallback` backend (a rembg model or sam2), or with `fallback: none` are reported as
skipped: no layers, `layer_count` null and `segment_method` saying why.
"""

from __future__ import annotations

import numpy as np

from celvault import registry
from celvault.registry import register
from celvault.stages.backends.segmenter import Segmentation, Segmenter
from celvault.stages.plate import ShotPlates, difference


@register("segmenter", "plate")
class PlateSegmenter(Segmenter):
    section = "plate"
    defaults = {"tolerance": 24, "min_frames": 3, "static_fraction": 0.25, "max_frames": 48, "moved_shift": 0.2, "fallback": "none"}

    def __init__(self, settings, device="cpu", catalog=None):
        super().__init__(settings, device, catalog)
        self._plates = None
        self._fallback = None
        fb = str(self.options["fallback"])
        if fb not in ("none", "plate"):
            registry.load("segmenter", fb)  # unknown names fail now, not mid-run
        elif fb == "plate":
            from celvault.errors import ConfigError

            raise ConfigError("stages.segment.plate.fallback cannot be plate; use a model backend or none")

    @property
    def plates(self) -> ShotPlates:
        if self._plates is None:
            o = self.options
            self._plates = ShotPlates(self.catalog, o["tolerance"], o["min_frames"], o["static_fraction"], o["max_frames"],
                                      moved_shift=float(o.get("moved_shift", 0.2)))
        return self._plates

    def fallback(self) -> Segmenter | None:
        name = str(self.options["fallback"])
        if name == "none":
            return None
        if self._fallback is None:
            self._fallback = registry.load("segmenter", name)(self.stage_settings, self.device, self.catalog)
        return self._fallback

    def params(self):
        out = super().params()
        fb = self.fallback()
        if fb is not None:
            out["fallback_params"] = fb.params()
        return out

    def models(self) -> list[str]:
        fb = self.fallback()
        return fb.models() if fb else []

    def segment(self, frames):
        out: list[Segmentation | None] = []
        left: list[tuple[int, str]] = []
        scale = 127.0 / max(int(self.options["tolerance"]), 1)  # soft alpha 127 at the tolerance
        for i, f in enumerate(frames):
            plate = self.plates.get(f.episode_id, f.shot_index)
            why = self.plates.applies(plate, f.rgb, f.frame_id)
            if why:
                out.append(None)
                left.append((i, why))
                continue
            soft = np.clip(difference(f.rgb, plate.image).astype(np.float32) * scale, 0, 255).astype(np.uint8)
            out.append(Segmentation("plate", soft=soft, reference=plate.image, reference_seen=plate.seen))
        fb = self.fallback()
        if left and fb is not None:
            done = fb.segment([frames[i] for i, _ in left])
            for (i, why), seg in zip(left, done):
                seg.method = f"{seg.method} (plate n/a: {why})"
                out[i] = seg
        else:
            for i, why in left:
                out[i] = Segmentation("none", skipped=f"plate n/a: {why}")
        return out
