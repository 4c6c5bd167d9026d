"""Episode specification and ground-truth records."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

BBox = tuple[int, int, int, int]


@dataclass(frozen=True)
class EpisodeSpec:
    seed: int = 0               # episode-specific content
    width: int = 320
    height: int = 180
    fps: float = 12.0
    duration_s: float = 20.0    # total, including the opening
    opening_s: float = 3.0      # identical in every episode (fixed seed); 0 disables
    n_characters: int = 3       # characters from CAST appearing in non-opening shots
    fade: bool = True           # one fade to black and back between two middle shots
    moving_camera_shots: int = 1  # non-opening shots with a panning camera
    walkers: bool = False       # every character walks across the frame in every shot (so a
                                # static shot's background is seen behind everyone)
    codec: str = "libx264"      # also "mpeg4", "ffv1"
    crf: int = 18               # libx264 quality
    effect_shots: int = 0       # non-opening shots with characters that get sparkles and/or speed
                                # lines drawn over them (truth: ShotTruth.effect, RenderedFrame.effects)

    @property
    def n_frames(self) -> int:
        return max(1, int(round(self.duration_s * self.fps)))


@dataclass(frozen=True)
class ShotTruth:
    index: int
    start_frame: int
    end_frame: int              # exclusive
    background: str             # "sky", "street", "forest", "beach", "room", "classroom"
    outdoor: bool
    characters: tuple[str, ...]
    is_opening: bool
    static_camera: bool
    hold: int                   # characters change pose every `hold` frames (2 or 3)
    effect: str = ""            # "", "sparkles", "speed_lines" or "both" (EpisodeSpec.effect_shots)

    @property
    def n_frames(self) -> int:
        return self.end_frame - self.start_frame


@dataclass
class FrameTruth:
    index: int
    time_s: float
    shot: int
    held: bool                  # rendered pixels identical to the previous frame of the shot
    opening: bool
    fade_factor: float = 1.0    # 1 normal, 0 black
    bboxes: dict[str, BBox] = field(default_factory=dict)  # visible pixels, (x0, y0, x1, y1) exclusive


@dataclass
class EpisodeTruth:
    spec: EpisodeSpec
    fps: float
    n_frames: int
    shots: list[ShotTruth]
    frames: list[FrameTruth]
    plans: Any = field(default=None, repr=False, compare=False)  # private drawing plan per shot

    def shot_boundaries(self) -> list[int]:
        """Start frame of every shot (the first is 0)."""
        return [s.start_frame for s in self.shots]

    def frame_at(self, i: int) -> FrameTruth:
        return self.frames[i]

    def shot_of(self, i: int) -> ShotTruth:
        return self.shots[self.frames[i].shot]

    def distinct_frames(self) -> list[int]:
        """Indices of the frames that are not held copies of their predecessor."""
        return [f.index for f in self.frames if not f.held]

    @property
    def opening_frames(self) -> int:
        return sum(s.n_frames for s in self.shots if s.is_opening)


@dataclass
class RenderedFrame:
    rgb: np.ndarray                  # HxWx3 uint8, fade applied
    background: np.ndarray           # the same frame without characters (fade applied)
    masks: dict[str, np.ndarray]     # name -> HxW bool, visible pixels after occlusion
    fade_factor: float = 1.0
    effects: np.ndarray | None = None  # HxW bool: pixels an effect changed (shots with an effect)
