"""What a segmentation backend is: frames in, a soft alpha or instance masks out."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from celvault.stages.layers import FrameIn

from .base import Backend


@dataclass
class Segmentation:
    method: str  # what produced it: the backend, or a fallback and why
    soft: np.ndarray | None = None  # HxW uint8 soft alpha of every character (semantic backends)
    masks: list[np.ndarray] | None = None  # one HxW bool mask per candidate instance (sam2)
    skipped: str | None = None  # nothing computed for this frame, and why
    reference: np.ndarray | None = None  # HxWx3 background the frame was compared with (plate), for plausibility
    reference_seen: np.ndarray | None = None  # HxW bool: where the reference is reliable (most frames agree)


class Segmenter(Backend):
    def segment(self, frames: list[FrameIn]) -> list[Segmentation]:
        raise NotImplementedError
