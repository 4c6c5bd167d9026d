"""Background inpainting backends: `telea` (OpenCV, no weights), `lama`, `plate`."""

from __future__ import annotations

import cv2
import numpy as np

from celvault import registry
from celvault.errors import ConfigError
from celvault.registry import register
from celvault.stages.backends import weights
from celvault.stages.backends.base import Backend
from celvault.stages.plate import ShotPlates


class Inpainter(Backend):
    def inpaint(self, frames, masks: list[np.ndarray]) -> list[tuple[np.ndarray, str]]:
        """(background RGB, method) per frame; `masks` are HxW bool, True = fill."""
        raise NotImplementedError


@register("inpainter", "telea")
class TeleaInpainter(Inpainter):
    section = "telea"
    defaults = {"radius": 3}

    def inpaint(self, frames, masks):
        r = float(self.options["radius"])
        return [(cv2.inpaint(f.rgb, m.astype(np.uint8) * 255, r, cv2.INPAINT_TELEA), "telea")
                for f, m in zip(frames, masks)]


@register("inpainter", "lama")
class LamaInpainter(Inpainter):
    """big-lama through simple-lama-inpainting's loader; frames of one size run as a batch."""

    section = "lama"
    defaults = {"batch": 4}

    def __init__(self, settings, device="cpu", catalog=None):
        super().__init__(settings, device, catalog)
        self._lama = None
        self._batched = True

    def models(self):
        return ["lama"]

    def _load(self):
        if self._lama is None:
            path = weights.model("lama").require(self.download)
            import os

            import torch
            from simple_lama_inpainting import SimpleLama

            before = os.environ.get("LAMA_MODEL")
            os.environ["LAMA_MODEL"] = str(path)  # simple-lama's own way to name a local file
            try:
                self._lama = SimpleLama(device=torch.device(self.device))
            finally:  # leave the process environment as it was
                if before is None:
                    os.environ.pop("LAMA_MODEL", None)
                else:
                    os.environ["LAMA_MODEL"] = before
        return self._lama

    def _run(self, frames, masks):
        import torch
        from simple_lama_inpainting.utils import prepare_img_and_mask

        lama = self._load()
        pairs = [prepare_img_and_mask(f.rgb, (m * 255).astype(np.uint8), lama.device) for f, m in zip(frames, masks)]
        with torch.inference_mode():
            out = lama.model(torch.cat([p[0] for p in pairs]), torch.cat([p[1] for p in pairs]))
        out = (out.permute(0, 2, 3, 1).float().cpu().numpy().clip(0, 1) * 255).astype(np.uint8)
        return [o[: f.rgb.shape[0], : f.rgb.shape[1]] for o, f in zip(out, frames)]

    def inpaint(self, frames, masks):
        results: list[np.ndarray] = []
        # batches pay on a GPU; on a CPU one frame at a time is faster (benchmarks/RESULTS.md)
        step = max(1, int(self.options["batch"])) if self.device == "cuda" else 1
        i = 0
        while i < len(frames):
            size = frames[i].rgb.shape
            j = i + 1
            while j < len(frames) and j - i < step and frames[j].rgb.shape == size:
                j += 1
            if not self._batched:
                j = i + 1
            try:
                results += self._run(frames[i:j], masks[i:j])
            except RuntimeError:
                if j - i == 1 or not self._batched:
                    raise
                self._batched = False  # this TorchScript file does not take batches: one by one
                continue
            i = j
        return [(r, "lama") for r in results]


@register("inpainter", "plate")
class PlateInpainter(Inpainter):
    """Fill from the shot's background plate where the plate saw the background; the rest
    (and frames no plate applies to) with the `fallback` inpainter."""

    section = "plate"
    defaults = {"tolerance": 24, "min_frames": 3, "static_fraction": 0.25, "max_frames": 48, "moved_shift": 0.2, "fallback": "telea"}

    def __init__(self, settings, device="cpu", catalog=None):
        super().__init__(settings, device, catalog)
        name = str(self.options["fallback"])
        if name == "plate":
            raise ConfigError("stages.inpaint.plate.fallback cannot be plate; use telea or lama")
        self._fallback = registry.load("inpainter", name)(settings, device, catalog)
        self._plates = None

    def params(self):
        return {**super().params(), "fallback_params": self._fallback.params()}

    def models(self):
        return self._fallback.models()

    def inpaint(self, frames, masks):
        if self._plates is None:
            o = self.options
            self._plates = ShotPlates(self.catalog, o["tolerance"], o["min_frames"], o["static_fraction"], o["max_frames"],
                                      moved_shift=float(o.get("moved_shift", 0.2)))
        self._fallback.catalog = self.catalog
        filled, rest, methods = [], [], []
        for f, m in zip(frames, masks):
            plate = self._plates.get(f.episode_id, f.shot_index)
            why = self._plates.applies(plate, f.rgb, f.frame_id)
            if why:
                filled.append(f.rgb)
                rest.append(m)
                methods.append(f"{self._fallback.section} (plate n/a: {why})")
                continue
            from_plate = m & plate.seen
            out = f.rgb.copy()
            out[from_plate] = plate.image[from_plate]
            filled.append(out)
            rest.append(m & ~plate.seen)
            methods.append("plate" if not rest[-1].any() else f"plate+{self._fallback.section}")
        todo = [i for i, r in enumerate(rest) if r.any()]
        if todo:
            from celvault.stages.layers import FrameIn

            ins = [FrameIn(frames[i].frame_id, frames[i].episode_id, frames[i].shot_index, filled[i]) for i in todo]
            for i, (img, _) in zip(todo, self._fallback.inpaint(ins, [rest[i] for i in todo])):
                filled[i] = img
        return list(zip(filled, methods))
