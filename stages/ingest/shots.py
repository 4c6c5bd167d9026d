"""Shot detection and the time-aware keep policy, on small probe frames.

Hard cuts: the mean absolute HSV difference between consecutive probes jumps past
`cut_threshold` (PySceneDetect's content measure). Fades: frames darker than `black_level`
are dropped, and the first frame after black starts a new shot. Held frames (anime on twos
and threes) differ from the previous frame by less than `held_threshold` in grey level and
are dropped: a frame is held when fewer than `held_fraction` of its probe pixels changed by
more than `held_delta` grey levels (robust to codec noise, sensitive to small motion). Within a shot at most one frame every `interval` seconds is kept, plus the
shot's first frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class ShotParams:
    interval: float = 1.0
    cut_threshold: float = 24.0
    held_delta: float = 8.0
    held_fraction: float = 0.002
    black_level: float = 14.0
    min_shot_s: float = 0.25

    @classmethod
    def from_config(cls, cfg: dict) -> "ShotParams":
        return cls(**{k: float(cfg[k]) for k in cls.__dataclass_fields__ if k in cfg})


@dataclass(frozen=True)
class Decision:
    keep: bool
    shot: int
    new_shot: bool
    held: bool
    black: bool


class ShotTracker:
    def __init__(self, params: ShotParams, keep_policy: bool = True):
        self.p = params
        self.keep_policy = keep_policy
        self.shot = -1
        self._prev_hsv = None
        self._prev_gray = None
        self._prev_rgb = None
        self._after_black = False
        self._shot_start_t = None
        self._last_kept_t = None

    def push(self, probe_rgb: np.ndarray, t: float) -> Decision:
        rgb = probe_rgb.astype(np.int16)
        hsv = cv2.cvtColor(probe_rgb, cv2.COLOR_RGB2HSV).astype(np.int16)
        gray = cv2.cvtColor(probe_rgb, cv2.COLOR_RGB2GRAY).astype(np.int16)
        black = float(gray.mean()) < self.p.black_level
        prev_hsv, prev_gray, prev_rgb = self._prev_hsv, self._prev_gray, self._prev_rgb
        self._prev_hsv, self._prev_gray, self._prev_rgb = hsv, gray, rgb
        if black:
            self._after_black = True
            return Decision(False, max(self.shot, 0), False, False, True)

        new_shot = prev_hsv is None or self._after_black
        if not new_shot:
            # PySceneDetect's HSV content measure, averaged with the plain colour difference:
            # hue alone misses cuts between scenes of similar brightness and saturation.
            delta = 0.5 * (float(np.abs(hsv - prev_hsv).mean()) + float(np.abs(rgb - prev_rgb).mean()))
            new_shot = delta >= self.p.cut_threshold and t - self._shot_start_t >= self.p.min_shot_s
        self._after_black = False
        if new_shot:
            self.shot += 1
            self._shot_start_t = t
            self._last_kept_t = t
            return Decision(True, self.shot, True, False, False)

        changed = float((np.abs(gray - prev_gray) > self.p.held_delta).mean())
        held = changed < self.p.held_fraction
        keep = False
        if self.keep_policy and not held and t - self._last_kept_t >= self.p.interval - 1e-6:
            keep = True
            self._last_kept_t = t
        return Decision(keep or not self.keep_policy, self.shot, False, held, False)
