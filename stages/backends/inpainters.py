"""What an inpainting backend is: frames and the masks of what to fill in, backgrounds out."""

from __future__ import annotations

import numpy as np

from .base import Backend


class Inpainter(Backend):
    def inpaint(self, frames, masks: list[np.ndarray]) -> list[tuple[np.ndarray, str]]:
        """(background RGB, method) per frame; `masks` are HxW bool, True = fill."""
        raise NotImplementedError
