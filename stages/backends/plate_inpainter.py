"""`plate` inpainting: fill from the shot's background plate where the plate saw the
background; the rest (and frames no plate applies to) with the `fallback` inpainter. The
shot's frames come from the stage (`shot_frames`): this backend never reads the catalogue."""

from __future__ import annotations

from dataclasses import dataclass

from celvault.registry import register
from celvault.settings import setting

from .inpainters import Inpainter
from .plate_backend import PlateBackend, PlateSettings


@dataclass(frozen=True)
class PlateInpainterSettings(PlateSettings):
    fallback: str = setting("telea", "fills what the plate never saw: telea or lama")

    def check(self) -> str | None:
        if self.fallback == "none":
            return "fallback: an inpainter is needed for what the plate never saw (telea or lama)"
        return super().check()


@register("inpainter", "plate", settings=PlateInpainterSettings)
class PlateInpainter(PlateBackend, Inpainter):
    fallback_kind = "inpainter"

    def inpaint(self, frames, masks):
        plates, fallback = self.shot_plates(), self.fallback()
        filled, rest, methods = [], [], []
        for f, m in zip(frames, masks):
            plate = plates.get(f.episode_id, f.shot_index)
            why = plates.applies(plate, f.rgb, f.frame_id)
            if why:
                filled.append(f.rgb)
                rest.append(m)
                methods.append(f"{fallback.registered_name} (plate n/a: {why})")
                continue
            from_plate = m & plate.seen
            out = f.rgb.copy()
            out[from_plate] = plate.image[from_plate]
            filled.append(out)
            rest.append(m & ~plate.seen)
            methods.append("plate" if not rest[-1].any() else f"plate+{fallback.registered_name}")
        todo = [i for i, r in enumerate(rest) if r.any()]
        if todo:
            from celvault.stages.layers import FrameIn

            ins = [FrameIn(frames[i].frame_id, frames[i].episode_id, frames[i].shot_index, filled[i]) for i in todo]
            for i, (img, _) in zip(todo, fallback.inpaint(ins, [rest[i] for i in todo])):
                filled[i] = img
        return list(zip(filled, methods))
