"""`plate` segmentation, no weights: pixels that differ from the shot's background plate.

The plate comes with the frame (`reference`), so the segment stage can drop regions that
match it, ghosts of characters the plate holds, and background the camera moved. The shot's
frames come from the stage (`shot_frames`): this backend never reads the catalogue.

Frames where no plate applies (moving camera, too few frames in the shot, a fade) go to the
`fallback` backend (a rembg model or sam2), or with `fallback: none` are reported as
skipped: no layers, `layer_count` null and `segment_method` saying why.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from celvault.registry import register
from celvault.settings import setting

from .plate_backend import PlateBackend, PlateSettings
from .segmenter import Segmentation, Segmenter


@dataclass(frozen=True)
class PlateSegmenterSettings(PlateSettings):
    fallback: str = setting("none", "segmenter for frames without a plate (e.g. isnet-anime), or none")


@register("segmenter", "plate", settings=PlateSegmenterSettings)
class PlateSegmenter(PlateBackend, Segmenter):
    fallback_kind = "segmenter"

    def segment(self, frames):
        from celvault.stages.plate import difference

        plates = self.shot_plates()
        out: list[Segmentation | None] = []
        left: list[tuple[int, str]] = []
        scale = 127.0 / max(self.options.tolerance, 1)  # soft alpha 127 at the tolerance
        for i, f in enumerate(frames):
            plate = plates.get(f.episode_id, f.shot_index)
            why = plates.applies(plate, f.rgb, f.frame_id)
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
