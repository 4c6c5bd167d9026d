"""segment: cut every representative frame's characters into layers.

Per frame: a segmentation backend gives a soft alpha of all characters (rembg models,
plate) or candidate instance masks (sam2). A soft alpha is refined with the preset
(configs/segment/) and split into connected regions; fragments under `min_area` and regions
over `max_area` (fractions of the frame) are dropped. Each remaining instance becomes a
`character` layer: RGBA cut-out of its bbox (soft alpha kept) and binary mask in layer_media.
With a preset's `matting` (closed_form, knn) the cut-out's alpha and colour are re-solved
at its edges (stages/matting.py); the bbox then covers what the matte kept, the mask stays.
Every region must first pass the plausibility checks (stages/plausible.py: no thin strips,
hollow rings, scattered specks, nor with a plate, pieces of background or ghosts); what they
drop is counted per reason in the run report. On frames: `segment_method` (what produced the layers, or why nothing did) and
`layer_count` (null when the frame was skipped).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

import pyarrow as pa

from celvault.registry import register
from celvault.timing import phase
from celvault.settings import StageSettings, setting

from .base import REPRESENTATIVE_FRAMES, IndexSpec
from .layers import LAYER_INDEXES, LayerBatch, frames_in
from .matting import matte_region
from .model_stage import ModelStage
from .plausible import MOVED_BACKGROUND, Plausibility, judge
from .refine import from_masks, instances, load_preset, refine

LAYER_KINDS = "kind IN ('character', 'background')"
MIN_SIDE = 32  # frames smaller than this a side are skipped (no backend, plate included, works there)
DROPPED = "region dropped: "  # report keys of regions the plausibility checks dropped
MATTED = "matting: "  # report keys of the matting's layers, frames and milliseconds


@dataclass(frozen=True)
class SegmentSettings(StageSettings):
    preset: str = setting("aggressive", "mask refinement: configs/segment/<name>.yaml (aggressive, expand, none; "
                                                "matte, matte-tight add matting of the edges)")
    min_area: float = setting(0.005, "regions smaller than this fraction of the frame are dropped", min=0, max=1)
    max_area: float = setting(0.6, "regions larger than this are background, not a character", min=0, max=1)
    plausible: Plausibility = setting(Plausibility, "regions that cannot be a character are dropped")

    def check(self) -> str | None:
        if self.min_area >= self.max_area:
            return "min_area: must be below max_area (fractions of the frame)"
        return None


@register("stage", "segment")
class SegmentStage(ModelStage):
    name = "segment"
    version = 2  # 2: plausibility checks on every region
    order = 20
    Settings = SegmentSettings
    backend_kind = "segmenter"
    default_backend = "isnet-anime"
    table = "frames"
    key = "frame_id"
    inputs = ["episode_id", "shot_index"]
    media = "frame_media"
    shot_frames_needed = True  # the plate backend takes a median over the shot
    outputs = [pa.field("segment_method", pa.string()), pa.field("layer_count", pa.int32())]
    where = REPRESENTATIVE_FRAMES
    default_batch_size = 8
    owns = {"layer_media": LAYER_KINDS, "layers": LAYER_KINDS}  # backgrounds derive from these masks
    resets = ["inpaint_method", "inpaint_config", "characters"]  # identities shown come from the new layers
    requires = ["dup_group"]

    def __init__(self, settings=None, run=None, uses=None):
        super().__init__(settings, run, uses)
        self.preset = load_preset(self.settings.preset)
        self.min_area, self.max_area = self.settings.min_area, self.settings.max_area
        self.plausible = self.settings.plausible

    def indexes(self) -> list[IndexSpec]:
        return list(LAYER_INDEXES)

    def params(self):
        return {"preset": self.preset.params(), "min_area": self.min_area, "max_area": self.max_area,
                "plausible": self.plausible.params(), self.backend: self.model.params()}

    def summary(self) -> list[str]:
        lines = [f"{n} {self.row_noun}: {m}" for m, n in sorted(self._methods.items())
                 if not m.startswith((DROPPED, MATTED))]
        lines += [f"{n} regions dropped: {m[len(DROPPED):]}" for m, n in sorted(self._methods.items())
                  if m.startswith(DROPPED)]
        frames = self._methods.get(MATTED + "frames", 0)
        if frames:
            ms = self._methods.get(MATTED + "ms", 0) / frames
            lines.append(f"matting ({self.preset.matting}): {self._methods.get(MATTED + 'layers', 0)} layers on "
                         f"{frames} frames, {ms:.0f} ms per frame")
        return lines

    def _matte(self, frame, seg, found: list) -> list:
        """(bbox, alpha, rgb) per kept instance from the preset's matting, on the backend's own
        soft alpha (sure where it is confident) within the preset's mask; each instance's
        neighbours are background to it. The time it took goes to the run report."""
        p = self.preset
        start = time.perf_counter()
        with phase("post"):
            union = np.zeros(frame.rgb.shape[:2], bool)
            for inst in found:
                union |= inst.mask
            out = [matte_region(frame.rgb, inst.alpha if seg.soft is None else seg.soft, inst.mask, inst.bbox,
                                p.matting, max_side=p.max_side, band=p.band,
                                keep_out=union & ~inst.mask if len(found) > 1 else None) for inst in found]
        self._methods[MATTED + "ms"] += round((time.perf_counter() - start) * 1000)
        self._methods[MATTED + "frames"] += 1
        self._methods[MATTED + "layers"] += len(found)
        return out

    def _segment(self, frames) -> list:
        """The backend's segmentations, with frames too small for any backend skipped first."""
        from .backends.segmenter import Segmentation

        small = [min(f.rgb.shape[:2]) < MIN_SIDE for f in frames]
        with phase("pre"):  # the backend's own work; its model call is marked `model`
            done = iter(self.model.segment([f for f, s in zip(frames, small) if not s]) if not all(small) else [])
        return [Segmentation("none", skipped=f"frame too small ({f.rgb.shape[1]}x{f.rgb.shape[0]}, under "
                                             f"{MIN_SIDE} px a side)") if s else next(done)
                for f, s in zip(frames, small)]

    def run(self, rows: pa.Table) -> dict:
        made_by = self.config_id()
        frames = frames_in(rows)
        batch, methods, counts = LayerBatch(), [], []
        for frame, seg in zip(frames, self._segment(frames)):
            if seg.skipped:
                self._methods[f"skipped ({seg.skipped})"] += 1
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
            kept, moved = [], 0
            for inst in found:
                why = judge(inst.mask, frame.rgb, self.plausible, seg.reference, seg.reference_seen, inst.bbox)
                if why:
                    self._methods[DROPPED + why] += 1
                    moved += why.startswith(MOVED_BACKGROUND)
                else:
                    kept.append(inst)
            if moved:  # the plate no longer fits this frame: what is left is no evidence either
                why = "plate n/a: background moved under the plate"
                self._methods[f"skipped ({why})"] += 1
                methods.append(f"none ({why})")
                counts.append(None)
                continue
            self._methods[seg.method.split(" (")[0]] += 1
            found = kept
            matted = self._matte(frame, seg, found) if found and self.preset.matting != "none" else [None] * len(found)
            for i, (inst, m) in enumerate(zip(found, matted)):
                batch.add_character(frame, i, inst, seg.method, made_by, m)
            methods.append(seg.method)
            counts.append(len(found))
        return {"segment_method": methods, "layer_count": counts, **batch.tables()}
