"""Shot plan: shot lengths, backgrounds, casting, character tracks, fades.

Everything is derived from ``numpy.random.default_rng`` seeded by the episode
seed (or by a fixed seed for the opening), so the same spec always yields the
same plan.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from .cast import CAST
from .scenes import INDOOR_KINDS, KINDS, hsv_delta, paint, random_background
from .truth import EpisodeSpec, EpisodeTruth, FrameTruth, ShotTruth

OPENING_SEED = 0x0BE1_2024
MIN_SHOT_S, MAX_SHOT_S, FADE_S = 1.5, 4.0, 0.5
THUMB_H = 36            # height of the thumbnails used to make every cut strong
MIN_CUT_DELTA = 55.0    # wanted HSV delta between the backgrounds across a cut
OPENING_CAST = (("Aoi", "Kenta", "Mirai"), ("Ren", "Sora"), ("Yuki", "Aoi"))


@dataclass(frozen=True)
class CharTrack:
    name: str
    height: int         # figure height in px
    x0: float           # anchor (between the feet) x at pose 0, px
    vx: float           # px per pose
    feet_y: int
    facing: int         # +1 looks right, -1 left
    phase: int
    bob: float          # bobbing amplitude, px

    def x(self, p: int) -> int:
        return int(round(self.x0 + self.vx * p))


@dataclass(frozen=True)
class ShotPlan:
    ops: list           # background drawing ops (scenes.paint)
    canvas_w: int       # painted background width, px (>= frame width)
    pan_start: int
    pan_step: int       # px per drawn pose (0 = static camera)
    light: int          # -1 light from the left, +1 from the right
    tracks: tuple[CharTrack, ...]   # back to front
    effect: str = ""    # effect drawn over every pose (EpisodeSpec.effect_shots), "" none
    effect_seed: int = 0

    def window_x(self, p: int) -> int:
        return self.pan_start + p * self.pan_step


def _seed(seed: int) -> int:
    return int(seed) % (1 << 63)


def _split(n: int, fps: float, rng: np.random.Generator) -> list[int]:
    """Split n frames into shots of MIN_SHOT_S..MAX_SHOT_S seconds (best effort)."""
    lo, hi = max(1, math.ceil(MIN_SHOT_S * fps)), max(1, math.floor(MAX_SHOT_S * fps))
    k_min, k_max = max(1, math.ceil(n / hi)), max(1, n // lo)
    k = int(np.clip(round(n / (2.6 * fps)), k_min, max(k_min, k_max)))
    k = min(k, n)
    base = min(lo, n // k)
    lens = [base] * k
    extra = n - base * k
    w = rng.dirichlet(np.ones(k))
    add = np.minimum(np.floor(w * extra).astype(int), hi - base)
    lens = [a + int(b) for a, b in zip(lens, add)]
    rest, order = n - sum(lens), rng.permutation(k)
    while rest > 0:  # hand out what is left, respecting the maximum where possible
        room = [j for j in order if lens[j] < hi] or list(order)
        for j in room[:rest]:
            lens[j] += 1
        rest -= len(room[:rest])
    return lens


WALK_SPAN = 0.45  # with EpisodeSpec.walkers: fraction of the width every character crosses per shot


def _walk(x0: float, vx: float, W: int, n_poses: int) -> tuple[float, float]:
    """Start and speed of a character crossing WALK_SPAN of the frame during the shot."""
    direction = 1.0 if vx >= 0 else -1.0
    span = WALK_SPAN * W
    lo, hi = 0.1 * W, 0.9 * W - span  # start range for a rightward walk
    start = float(np.clip(x0 - span / 2, lo, hi))
    if direction < 0:
        start += span
    return start, direction * span / max(n_poses - 1, 1)


def _tracks(rng, names, W, H, n_poses, walkers: bool = False) -> tuple[CharTrack, ...]:
    n = len(names)
    spacing = rng.uniform(0.12, 0.28) * W
    order = rng.permutation(n)
    out = []
    for j, ci in enumerate(order):
        height = int(H * rng.uniform(0.26, 0.45) / 1.1)  # visible box ~ 1.07 x height
        x0 = W / 2 + (j - (n - 1) / 2) * spacing + rng.uniform(-0.05, 0.05) * W
        x0 = float(np.clip(x0, 0.12 * W, 0.88 * W))
        vx = 0.0 if rng.random() < 0.4 else float(rng.uniform(0.3, 1.0) * W / 100 * rng.choice([-1, 1]))
        end = x0 + vx * max(n_poses - 1, 0)
        if not 0.1 * W <= end <= 0.9 * W:  # keep walkers inside the frame
            vx = (float(np.clip(end, 0.1 * W, 0.9 * W)) - x0) / max(n_poses - 1, 1)
        if walkers and n_poses > 1:
            x0, vx = _walk(x0, vx if vx else (1.0 if x0 < W / 2 else -1.0), W, n_poses)
        facing = int(np.sign(vx)) if vx else (1 if x0 < W / 2 else -1)
        out.append(CharTrack(names[ci], height, x0, vx, int(H * rng.uniform(0.84, 0.97)),
                             facing, int(rng.integers(0, 4)), float(rng.uniform(0.01, 0.025) * height)))
    return tuple(sorted(out, key=lambda t: (t.feet_y, t.name)))


def _window_thumb(ops, canvas_w, x, W, H):
    s = THUMB_H / H
    img = paint(ops, THUMB_H, max(1, int(round(canvas_w * s))))
    x0 = int(round(x * s))
    return img[:, x0:x0 + max(1, int(round(W * s)))]


def _shot(rng, spec, length, hold, moving, names, prev):
    """Plan one shot; `prev` is (kind, last-frame thumbnail) of the previous shot."""
    W, H = spec.width, spec.height
    n_poses = math.ceil(length / hold)
    step = 0
    if moving:
        step = max(1, int(round(W / 100))) * int(rng.choice([-1, 1]))
    canvas_w = W + abs(step) * max(n_poses - 1, 0)
    pan_start = 0 if step >= 0 else canvas_w - W
    kinds = [k for k in rng.permutation(KINDS) if prev is None or k != prev[0]]
    best = None
    for c in range(6):  # keep the first candidate that makes a strong cut
        kind = str(kinds[c % len(kinds)])
        ops = random_background(rng, kind, canvas_w / H)
        d = math.inf if prev is None else hsv_delta(_window_thumb(ops, canvas_w, pan_start, W, H), prev[1])
        if best is None or d > best[0]:
            best = (d, kind, ops)
        if d >= MIN_CUT_DELTA:
            break
    _, kind, ops = best
    plan = ShotPlan(ops, canvas_w, pan_start, step, int(rng.choice([-1, 1])),
                    _tracks(rng, names, W, H, n_poses, spec.walkers) if names else ())
    last = _window_thumb(ops, canvas_w, plan.window_x(n_poses - 1), W, H)
    return kind, plan, (kind, last)


def plan_shots(spec: EpisodeSpec) -> EpisodeTruth:
    """The episode's shots and frames, without character boxes (see episode.plan_episode)."""
    n_frames, fps = spec.n_frames, float(spec.fps)
    n_open = min(int(round(max(spec.opening_s, 0) * fps)), n_frames)
    rng_ep = np.random.default_rng([_seed(spec.seed), 1])
    segs = []  # (length, is_opening, rng, names, hold, moving)
    if n_open:
        k = min(max(2, int(spec.opening_s // MIN_SHOT_S)), n_open)
        for j in range(k):
            length = n_open // k + (1 if j < n_open % k else 0)
            names = OPENING_CAST[(j - 1) % len(OPENING_CAST)] if j else ()
            segs.append((length, True, np.random.default_rng([OPENING_SEED, j]), names, 2, False))
    if n_frames > n_open:
        lens = _split(n_frames - n_open, fps, rng_ep)
        k = len(lens)
        n_c = int(np.clip(spec.n_characters, 1, len(CAST)))
        cast = [CAST[i].name for i in rng_ep.choice(len(CAST), n_c, replace=False)]
        empty = int(rng_ep.integers(0, k)) if k >= 2 else -1
        moving = set(rng_ep.choice(k, min(max(spec.moving_camera_shots, 0), k), replace=False).tolist())
        holds = rng_ep.choice([2, 3], k)
        queue = 0
        for j, length in enumerate(lens):
            rng = np.random.default_rng([_seed(spec.seed), 2, j])
            names: tuple[str, ...] = ()
            if j != empty:
                first = cast[queue % n_c]
                queue += 1
                others = [c for c in cast if c != first]
                extra = int(rng.integers(0, min(2, len(others)) + 1))
                names = (first, *[str(c) for c in rng.choice(others, extra, replace=False)]) if extra else (first,)
            segs.append((length, False, rng, names, int(holds[j]), j in moving))
    shots, plans, prev, start = [], [], None, 0
    for idx, (length, opening, rng, names, hold, moving) in enumerate(segs):
        kind, plan, prev = _shot(rng, spec, length, hold, moving, names, prev)
        shots.append(ShotTruth(idx, start, start + length, kind, kind not in INDOOR_KINDS,
                               tuple(names), opening, plan.pan_step == 0, hold))
        plans.append(plan)
        start += length
    _add_effects(spec, shots, plans)
    fades = np.ones(n_frames)
    body = [s for s in shots if not s.is_opening]
    if spec.fade and len(body) >= 2:
        a, b = body[len(body) // 2 - 1], body[len(body) // 2]
        nf = max(2, int(round(FADE_S * fps)))
        for j in range(min(nf, a.n_frames // 2)):
            fades[a.end_frame - 1 - j] = j / nf
        for j in range(min(nf, b.n_frames // 2)):
            fades[b.start_frame + j] = j / nf
    frames = []
    for s, plan in zip(shots, plans):
        still = not plan.tracks and plan.pan_step == 0  # nothing moves: every frame repeats
        for i in range(s.start_frame, s.end_frame):
            k = i - s.start_frame
            same_pose = k > 0 and (still or k % s.hold != 0)
            held = same_pose and fades[i] == 1.0 and fades[i - 1] == 1.0
            frames.append(FrameTruth(i, i / fps, s.index, bool(held), s.is_opening, float(fades[i])))
    return EpisodeTruth(spec, fps, n_frames, shots, frames, plans)


EFFECT_KINDS = ("sparkles", "speed_lines", "both")


def _add_effects(spec: EpisodeSpec, shots: list, plans: list) -> None:
    """Give `spec.effect_shots` shots with characters an effect (own RNG: the rest of the plan
    is the same with or without effects)."""
    if spec.effect_shots <= 0:
        return
    rng = np.random.default_rng([_seed(spec.seed), 3])
    able = [s.index for s in shots if s.characters and not s.is_opening]
    for j in sorted(rng.permutation(able)[:spec.effect_shots].tolist()) if able else []:
        kind = str(EFFECT_KINDS[int(rng.integers(0, len(EFFECT_KINDS)))])
        shots[j] = replace(shots[j], effect=kind)
        plans[j] = replace(plans[j], effect=kind, effect_seed=int(rng.integers(0, 1 << 31)))
