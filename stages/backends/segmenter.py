"""What a segmentation backend is: frames in, a soft alpha or instance masks out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from celvault.stages.layers import FrameIn


@dataclass
class Segmentation:
    method: str  # what produced it: the backend, or a fallback and why
    soft: np.ndarray | None = None  # HxW uint8 soft alpha of every character (semantic backends)
    masks: list[np.ndarray] | None = None  # one HxW bool mask per candidate instance (sam2)
    skipped: str | None = None  # nothing computed for this frame, and why


class Backend:
    """A model backend: settings from its section of the stage config, weights loaded lazily."""

    section: ClassVar[str] = ""
    defaults: ClassVar[dict[str, Any]] = {}

    def __init__(self, settings: dict[str, Any], device: str = "cpu", catalog=None):
        self.stage_settings = settings
        self.options = {**self.defaults, **(settings.get(self.section) or {})}
        self.device = device
        self.catalog = catalog
        self.download = bool(settings.get("_download", True))

    def params(self) -> dict[str, Any]:
        """What changes this backend's output: part of every row's config id."""
        return {k: v for k, v in sorted(self.options.items()) if k not in self.runtime_options}

    runtime_options: ClassVar[frozenset] = frozenset({"batch"})  # speed only, not output

    def models(self) -> list[str]:
        """Names (as in `celvault models list`) of the weights this backend needs."""
        return []


class Segmenter(Backend):
    def segment(self, frames: list[FrameIn]) -> list[Segmentation]:
        raise NotImplementedError
