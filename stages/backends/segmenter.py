"""What a segmentation backend is: frames in, a soft alpha or instance masks out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from celvault.errors import ConfigError

from celvault.stages.layers import FrameIn


@dataclass
class Segmentation:
    method: str  # what produced it: the backend, or a fallback and why
    soft: np.ndarray | None = None  # HxW uint8 soft alpha of every character (semantic backends)
    masks: list[np.ndarray] | None = None  # one HxW bool mask per candidate instance (sam2)
    skipped: str | None = None  # nothing computed for this frame, and why
    reference: np.ndarray | None = None  # HxWx3 background the frame was compared with (plate), for plausibility
    reference_seen: np.ndarray | None = None  # HxW bool: where the reference is reliable (most frames agree)


class Backend:
    """A model backend: settings from its section of the stage config, weights loaded lazily."""

    section: ClassVar[str] = ""
    defaults: ClassVar[dict[str, Any]] = {}

    def __init__(self, settings: dict[str, Any], device: str = "cpu", catalog=None):
        self.stage_settings = settings
        self.options = {**self.defaults, **(settings.get(self.section) or {})}
        self._device = device  # "auto" is resolved on first use, so building a backend imports nothing
        self.catalog = catalog
        self.download = bool(settings.get("_download", True))

    @property
    def device(self) -> str:
        """Where the model runs: cpu or cuda (an "auto" request is resolved here, once)."""
        if self._device not in ("cpu", "cuda"):
            from .device import resolve

            self._device = resolve(self._device)
        return self._device

    def number(self, key: str, kind=int, minimum: float | None = None):
        """A numeric option, checked: a bad value is a one-line ConfigError, not a traceback."""
        try:
            value = kind(self.options[key])
        except (TypeError, ValueError, KeyError):
            raise ConfigError(f"{self.section}.{key}: expected a {'whole number' if kind is int else 'number'}, "
                              f"got {self.options.get(key)!r}") from None
        if minimum is not None and value < minimum:
            raise ConfigError(f"{self.section}.{key}: must be at least {minimum}, got {value}")
        return value

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
