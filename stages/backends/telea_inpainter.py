"""`telea`: OpenCV's TELEA inpainting, no weights: fast, smooth, blurry over large holes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from celvault.registry import register
from celvault.settings import setting

from .inpainters import Inpainter


@dataclass(frozen=True)
class TeleaSettings:
    radius: int = setting(3, "px around each hole pixel TELEA looks at", min=1, max=64)


@register("inpainter", "telea", settings=TeleaSettings)
class TeleaInpainter(Inpainter):
    def inpaint(self, frames, masks):
        import cv2

        r = float(self.options.radius)
        return [(cv2.inpaint(f.rgb, m.astype(np.uint8) * 255, r, cv2.INPAINT_TELEA), "telea")
                for f, m in zip(frames, masks)]
