"""Camera paths over a painted place: static, pan, zoom, shake, settle.

A window is ``(x, y, hu)`` in units of the place's height: its top-left corner and its
height (its width is ``hu * aspect``). A camera interpolates between a start and an end
window (centre linearly, height geometrically) and may add a screen-space jitter (shake)
that moves the background and the characters together.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

Window = tuple[float, float, float]


@dataclass(frozen=True)
class Camera:
    kind: str                 # static | pan | zoom | shake | settle
    start: Window
    end: Window
    move_frames: int          # frames over which the window moves (0: never)
    aspect: float = 16 / 9    # window width / height
    step: int = 1             # the window updates every `step` frames
    ease: bool = False        # ease-out (settle)
    shake_px: int = 0         # jitter amplitude, output px
    shake_period: int = 1
    shake_seed: tuple = ()

    def window(self, t: int) -> Window:
        if self.move_frames <= 0 or self.start == self.end:
            return self.start
        tq = (t // self.step) * self.step
        s = min(max(tq / self.move_frames, 0.0), 1.0)
        if self.ease:
            s = 1.0 - (1.0 - s) ** 2
        (x0, y0, h0), (x1, y1, h1) = self.start, self.end
        hu = h0 * (h1 / h0) ** s
        a = self.aspect
        cx = (x0 + h0 * a / 2) * (1 - s) + (x1 + h1 * a / 2) * s   # centre, in height units
        cy = (y0 + h0 / 2) * (1 - s) + (y1 + h1 / 2) * s
        return (cx - hu * a / 2, cy - hu / 2, hu)

    def jitter(self, t: int) -> tuple[int, int]:
        if not self.shake_px:
            return (0, 0)
        k = t // self.shake_period
        rng = np.random.default_rng([*self.shake_seed, k])
        a = self.shake_px
        return int(rng.integers(-a, a + 1)), int(rng.integers(-a, a + 1))

    def windows(self) -> list[Window]:
        """The extreme windows (for sizing the place's canvas)."""
        return [self.start, self.end]


def zoomed(w: Window, factor: float, aspect: float) -> Window:
    """`w` with its height divided by `factor`, same centre (the window's centre)."""
    x, y, hu = w
    nh = hu / factor
    # centre x of a window of width hu*aspect is x + hu*aspect/2
    cx, cy = x + hu * aspect / 2, y + hu / 2
    return (cx - nh * aspect / 2, cy - nh / 2, nh)


def plan_camera(rng: np.random.Generator, kind: str, base: Window, aspect: float, length: int,
                height_px: int, hold: int, seed: tuple) -> Camera:
    """A camera of `kind` around the framing `base` for a shot rendered over `length` frames."""
    L = max(length - 1, 1)
    step = int(rng.choice([1, 1, hold])) if hold > 1 else 1
    x, y, hu = base
    if kind == "pan" or (kind == "settle" and rng.random() < 0.6):
        d = float(rng.uniform(0.15, 0.5)) * aspect * hu
        sign = 1 if rng.random() < 0.5 else -1
        x0 = x + (d if sign < 0 and x < d else 0.0)
        end = (x0 + sign * d, y, hu)
        if kind == "pan":
            return Camera("pan", (x0, y, hu), end, L, aspect, step)
        return Camera("settle", (x0, y, hu), end, max(2, int(L * rng.uniform(0.3, 0.6))), aspect, ease=True)
    if kind in ("zoom", "settle"):
        f = float(rng.uniform(1.15, 1.6))
        near = zoomed(base, f, aspect)
        a, b = (base, near) if rng.random() < 0.5 else (near, base)
        if kind == "zoom":
            return Camera("zoom", a, b, L, aspect, step)
        return Camera("settle", a, b, max(2, int(L * rng.uniform(0.3, 0.6))), aspect, ease=True)
    if kind == "shake":
        w = zoomed(base, 1.09, aspect)
        amp = max(2, int(round(height_px * rng.uniform(0.004, 0.012))))
        return Camera("shake", w, w, 0, aspect, shake_px=amp, shake_period=int(rng.integers(1, 3)),
                      shake_seed=tuple(seed))
    return Camera("static", base, base, 0, aspect)


def canvas_extent(cam: Camera, aspect: float) -> tuple[float, float]:
    """(rightmost x reached, largest zoom factor) over the camera's windows."""
    right, zmax = 0.0, 1.0
    for x, y, hu in cam.windows():
        right = max(right, x + hu * aspect)
        zmax = max(zmax, 1.0 / hu)
    return right, zmax


def window_px(w: Window, canvas_h: int, H: int) -> tuple[float, float, float]:
    """Window -> (x0 px, y0 px, scale output px per canvas px)."""
    x, y, hu = w
    scale = H / (hu * canvas_h)
    if math.isclose(scale, 1.0, abs_tol=1e-9):
        return float(round(x * canvas_h)), float(round(y * canvas_h)), 1.0
    q = 64.0
    return round(x * canvas_h * q) / q, round(y * canvas_h * q) / q, round(scale * 1e6) / 1e6
