"""What the two plate backends (segmenter and inpainter) share: the settings of the shot's
background plate, the plates built from the shot frames the stage hands over, and the
fallback backend for frames no plate applies to."""

from __future__ import annotations

from dataclasses import dataclass

from celvault.errors import CelvaultError, ConfigError
from celvault.settings import setting

from .base import Backend


@dataclass(frozen=True)
class PlateSettings:
    """The background plate of a still-camera shot (stages/plate.py)."""

    tolerance: int = setting(24, "a pixel is background when within this (0-255) of the plate", min=0, max=255)
    min_frames: int = setting(3, "shots (or still-camera runs) with fewer kept frames have no plate", min=1)
    static_fraction: float = setting(0.25, "frames agreeing with the plate less than this (or than 0.6 x the "
                                           "shot's median) are fades, dissolves or flashes, left out", min=0, max=1)
    max_frames: int = setting(48, "frames of a shot the median is taken over", min=1)
    moved_shift: float = setting(0.2, "a region of any frame that is the plate's background moved (up to this "
                                      "share of the width) means the camera moved: no plate (0: off)", min=0, max=1)

    def check(self) -> str | None:
        if self.max_frames < self.min_frames:
            return f"max_frames: must be at least min_frames ({self.min_frames}), got {self.max_frames}"
        if self.fallback == "plate":
            return "fallback: cannot be plate; use a model backend"
        return None

    fallback: str = "none"  # overridden by each backend's settings class


class PlateBackend:
    """Mixin of a Backend whose frames are compared with their shot's plate: listed first in
    its bases (`class PlateSegmenter(PlateBackend, Segmenter)`)."""

    fallback_kind: str  # registry kind of the fallback backend

    def __init__(self, settings=None, run=None):
        super().__init__(settings, run)
        self.check_fallback()

    def shot_plates(self: Backend):
        """The plates of the shots being worked through, from `shot_frames` (kept while it is the same)."""
        if self.shot_frames is None:
            raise CelvaultError(f"the {self.registered_name} {self.kind} needs the frames of each shot: "
                                "the stage sets backend.shot_frames before calling it")
        cache = getattr(self, "_plates", None)
        if cache is None or cache[0] is not self.shot_frames:
            from celvault.stages.plate import ShotPlates

            o = self.options
            plates = ShotPlates(self.shot_frames, tolerance=o.tolerance, min_frames=o.min_frames,
                                static_fraction=o.static_fraction, max_frames=o.max_frames, moved_shift=o.moved_shift)
            self._plates = cache = (self.shot_frames, plates)
        return cache[1]

    def fallback(self: Backend) -> Backend | None:
        """The backend for what the plate cannot do (built once, from the same stage settings)."""
        name = self.options.fallback
        if name == "none":
            return None
        if getattr(self, "_fallback", None) is None:
            from celvault import registry

            self._fallback = registry.load(self.fallback_kind, name)(self.stage_settings, self.run)
        self._fallback.shot_frames = self.shot_frames
        return self._fallback

    def check_fallback(self: Backend) -> None:
        """An unknown fallback name fails when the backend is built, not mid-run."""
        from celvault import registry

        name, known = self.options.fallback, registry.names(self.fallback_kind)
        if name == self.registered_name or (name != "none" and name not in known):
            path = f"stages.{registry.stage_of(self.kind)}.{self.section}.fallback"
            raise ConfigError(f"{path}: unknown {self.fallback_kind} {name!r}; known: {', '.join(known)}")

    def params(self: Backend) -> dict:
        out = super().params()
        fb = self.fallback()
        if fb is not None:
            out["fallback_params"] = fb.params()
        return out

    def models(self: Backend) -> list:
        fb = self.fallback()
        return fb.models() if fb is not None else []
