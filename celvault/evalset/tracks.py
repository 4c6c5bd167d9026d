"""Where each character of a shot is, pose by pose, and what its face does.

Cast modes (one per shot): ``still`` (stand, blink, talk), ``walk`` (one character crosses
the whole frame, entering and leaving it), ``overlap`` (two or three characters bunched so
that one occludes another), ``closeup`` (one character large enough to cover about half the
frame, talking), ``idle`` (standing with swinging arms and a slight bob, maybe drifting),
``empty`` (nobody).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

CAST_MODES = ("still", "walk", "overlap", "closeup", "idle", "empty")


@dataclass(frozen=True)
class Track:
    name: str
    height: int                 # figure height, px
    x0: float                   # anchor (between the feet) x at pose 0, px
    vx: float                   # px per pose
    feet_y: int
    facing: int
    phase: int
    bob: float                  # bob amplitude px (0: none)
    mode: str                   # still | walk | idle
    blinks: frozenset = frozenset()   # poses with the eyes closed
    talks: frozenset = frozenset()    # poses with the mouth open

    def state(self, p: int) -> tuple:
        """(name, height, facing, arm, eyes_closed, mouth_open, x, y) at pose p."""
        arm = 0 if self.mode == "still" else (p + self.phase) % 4
        bob = 0 if not self.bob else int(round(self.bob * math.sin(p * math.pi / 2 + self.phase)))
        return (self.name, self.height, self.facing, arm, p in self.blinks, p in self.talks,
                int(round(self.x0 + self.vx * p)), self.feet_y - bob)


def _blinks(rng, n_poses: int, hold: int, fps: float) -> frozenset:
    out, p = set(), int(rng.integers(2, 8))
    while p < n_poses:
        out.add(p)
        p += max(3, int(rng.uniform(1.5, 4.0) * fps / hold))
    return frozenset(out)


def _talks(rng, n_poses: int, hold: int) -> frozenset:
    out, p, talking = set(), 0, rng.random() < 0.7
    while p < n_poses:
        run = int(rng.integers(4, 16))
        if talking:
            per = int(rng.integers(1, 3)) if hold == 1 else 1
            out.update(q for q in range(p, min(p + run, n_poses)) if (q // per) % 2 == 0)
        p += run
        talking = not talking
    return frozenset(out)


def plan_tracks(rng: np.random.Generator, mode: str, names: list[str], W: int, H: int,
                n_poses: int, hold: int, fps: float, light: int) -> tuple[Track, ...]:
    """Tracks of `names` (already chosen for the shot) in cast mode `mode`, back to front."""
    u = rng.uniform
    out: list[Track] = []
    if mode == "empty" or not names:
        return ()
    scale = u(0.3, 0.75)   # figure height / frame height for this shot

    def face_for(x):
        return 1 if x < W / 2 else -1

    if mode == "closeup":
        h = int(H * u(2.0, 2.6))
        x = W * u(0.35, 0.65)
        top = H * u(0.02, 0.12)
        out.append(Track(names[0], h, x, 0.0, int(top + 0.96 * h), face_for(x) * -1, 0, 0.0, "still",
                         _blinks(rng, n_poses, hold, fps), _talks(rng, n_poses, hold)))
    elif mode == "walk":
        h = int(H * scale)
        half = 0.5 * h
        sign = 1 if rng.random() < 0.5 else -1
        xa, xb = -half, W + half
        if sign < 0:
            xa, xb = xb, xa
        vx = (xb - xa) / max(n_poses - 1, 1)
        out.append(Track(names[0], h, xa, vx, int(H * u(0.85, 1.0)), sign, int(rng.integers(0, 4)),
                         u(0.01, 0.025) * h, "walk", _blinks(rng, n_poses, hold, fps)))
        for nm in names[1:2]:
            x = W * u(0.15, 0.85)
            out.append(Track(nm, int(H * scale * u(0.85, 1.1)), x, 0.0, int(H * u(0.8, 0.95)),
                             face_for(x), 0, 0.0, "still", _blinks(rng, n_poses, hold, fps),
                             _talks(rng, n_poses, hold)))
    elif mode == "overlap":
        cx = W * u(0.3, 0.7)
        h0 = H * scale
        for j, nm in enumerate(names[:3]):
            h = int(h0 * u(0.9, 1.1))
            x = cx + (j - (len(names[:3]) - 1) / 2) * u(0.14, 0.28) * h0
            still = rng.random() < 0.5
            out.append(Track(nm, h, x, 0.0, int(H * (0.84 + 0.05 * j) + u(-0.01, 0.01) * H),
                             face_for(x) * (1 if j % 2 else -1), int(rng.integers(0, 4)),
                             0.0 if still else u(0.01, 0.02) * h, "still" if still else "idle",
                             _blinks(rng, n_poses, hold, fps), _talks(rng, n_poses, hold) if j == 0 else frozenset()))
    else:  # still | idle: spread over the frame, facing inwards
        n = len(names)
        spacing = u(0.18, 0.3) * W
        for j, nm in enumerate(names):
            h = int(H * scale * u(0.85, 1.15))
            x = float(np.clip(W / 2 + (j - (n - 1) / 2) * spacing + u(-0.05, 0.05) * W, 0.1 * W, 0.9 * W))
            vx = 0.0
            if mode == "idle" and rng.random() < 0.5:
                vx = u(0.2, 0.8) * W / 100 * (1 if rng.random() < 0.5 else -1)
                end = x + vx * max(n_poses - 1, 0)
                if not 0.1 * W <= end <= 0.9 * W:
                    vx = (float(np.clip(end, 0.1 * W, 0.9 * W)) - x) / max(n_poses - 1, 1)
            talk = _talks(rng, n_poses, hold) if (mode == "still" and j == 0) or rng.random() < 0.3 else frozenset()
            out.append(Track(nm, h, x, vx, int(H * u(0.82, 0.98)), face_for(x), int(rng.integers(0, 4)),
                             0.0 if mode == "still" else u(0.01, 0.025) * h, mode,
                             _blinks(rng, n_poses, hold, fps), talk))
    return tuple(sorted(out, key=lambda t: (t.feet_y, t.name)))
