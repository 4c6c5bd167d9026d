"""Rendering: shot renderer with per-shot caches, frame iteration, random access."""

from __future__ import annotations

import math
from collections.abc import Iterator

import cv2
import numpy as np

from .cast import ARM_PHASES, CAST_BY_NAME, draw_character
from .plan import ShotPlan, plan_shots
from .scenes import paint
from .truth import BBox, EpisodeSpec, EpisodeTruth, RenderedFrame


class ShotRenderer:
    """Draws the poses of one shot; the background is painted once and every
    character pose patch once, then reused."""

    def __init__(self, spec: EpisodeSpec, plan: ShotPlan):
        self.W, self.H = spec.width, spec.height
        self.plan = plan
        self._bg: np.ndarray | None = None
        self._patches: dict = {}
        self.effects: np.ndarray | None = None  # the last composed pose's effect pixels

    @property
    def canvas(self) -> np.ndarray:
        if self._bg is None:
            self._bg = paint(self.plan.ops, self.H, self.plan.canvas_w)
        return self._bg

    def background(self, p: int) -> np.ndarray:
        x = self.plan.window_x(p)
        return self.canvas[:, x:x + self.W]

    def _patch(self, track, arm: int):
        key = (track.name, ARM_PHASES[arm], track.facing)
        if key not in self._patches:
            self._patches[key] = draw_character(CAST_BY_NAME[track.name], track.height,
                                                track.facing, arm, self.plan.light)
        return self._patches[key]

    def placements(self, p: int):
        """(name, rgb, alpha, frame slice, patch slice) per visible character, back to front."""
        out = []
        for tr in self.plan.tracks:
            arm = (p + tr.phase) % len(ARM_PHASES)
            rgb, alpha, (ax, ay) = self._patch(tr, arm)
            bob = int(round(tr.bob * math.sin(p * math.pi / 2 + tr.phase)))
            fx, fy = tr.x(p) - ax, tr.feet_y - ay - bob
            ph, pw = alpha.shape
            x0, y0 = max(fx, 0), max(fy, 0)
            x1, y1 = min(fx + pw, self.W), min(fy + ph, self.H)
            if x1 <= x0 or y1 <= y0:
                continue
            out.append((tr.name, rgb, alpha, (slice(y0, y1), slice(x0, x1)),
                        (slice(y0 - fy, y1 - fy), slice(x0 - fx, x1 - fx))))
        return out

    def compose(self, p: int, with_rgb: bool = True):
        """Returns (rgb or None, label map uint8, {label: name}, bboxes)."""
        label = np.zeros((self.H, self.W), np.uint8)
        rgb = self.background(p).copy() if with_rgb else None
        names, regions = {}, {}
        for k, (name, prgb, alpha, fs, ps) in enumerate(self.placements(p), start=1):
            a = alpha[ps]
            label[fs][a] = k
            if rgb is not None:
                rgb[fs][a] = prgb[ps][a]
            names[k], regions[k] = name, fs
        self.effects = None
        if rgb is not None and self.plan.effect:
            from celvault.evalset.effects import draw_effects

            rng = np.random.default_rng([self.plan.effect_seed, p])
            around = [(r[1].start, r[0].start, r[1].stop, r[0].stop) for r in regions.values()]
            self.effects = draw_effects(rgb, self.plan.effect, rng, around)
        boxes: dict[str, BBox] = {}
        for k, name in names.items():
            ys, xs = regions[k]
            m = label[ys, xs] == k
            rows, cols = np.flatnonzero(m.any(axis=1)), np.flatnonzero(m.any(axis=0))
            if rows.size:
                boxes[name] = (xs.start + int(cols[0]), ys.start + int(rows[0]),
                               xs.start + int(cols[-1]) + 1, ys.start + int(rows[-1]) + 1)
        return rgb, label, names, boxes


def _fade(img: np.ndarray, f: float) -> np.ndarray:
    if f >= 1.0:
        return img
    if f <= 0.0:
        return np.zeros_like(img)
    return cv2.convertScaleAbs(img, alpha=f)


def iter_frames(truth: EpisodeTruth, with_rgb: bool = True) -> Iterator[tuple[int, np.ndarray | None]]:
    """Yield ``(frame_index, rgb)`` for every frame in order and fill in the
    truth's bboxes on the way. Held frames yield the very same array object as
    their predecessor (do not modify the arrays)."""
    spec = truth.spec
    plans = _plans(truth)
    for shot, plan in zip(truth.shots, plans):
        r = ShotRenderer(spec, plan)
        last_p, base, boxes = None, None, {}
        out = None
        for i in range(shot.start_frame, shot.end_frame):
            fr = truth.frames[i]
            p = (i - shot.start_frame) // shot.hold
            if p != last_p:
                base, _, _, boxes = r.compose(p, with_rgb)
                last_p = p
            fr.bboxes = dict(boxes) if fr.fade_factor > 0 else {}
            if with_rgb and not (fr.held and out is not None):
                out = _fade(base, fr.fade_factor)
            yield i, out


def _plans(truth: EpisodeTruth) -> list[ShotPlan]:
    if truth.plans is None:
        truth.plans = plan_shots(truth.spec).plans
    return truth.plans


def plan_episode(spec: EpisodeSpec) -> EpisodeTruth:
    """The complete ground truth of an episode, without encoding anything."""
    truth = plan_shots(spec)
    for _ in iter_frames(truth, with_rgb=False):
        pass
    return truth


def render_frame(spec: EpisodeSpec, truth: EpisodeTruth, frame_index: int) -> RenderedFrame:
    """Render one frame (random access) with its background and visible masks."""
    if spec != truth.spec:
        raise ValueError("spec does not match truth.spec")
    fr = truth.frames[frame_index]
    shot = truth.shots[fr.shot]
    r = ShotRenderer(spec, _plans(truth)[shot.index])
    p = (frame_index - shot.start_frame) // shot.hold
    rgb, label, names, _ = r.compose(p)
    f = fr.fade_factor
    masks = {name: np.zeros((spec.height, spec.width), bool) for name in shot.characters}
    if f > 0:
        for k, name in names.items():
            masks[name] = label == k
    effects = r.effects if r.effects is not None and f > 0 else None
    return RenderedFrame(_fade(rgb, f), _fade(r.background(p).copy(), f), masks, f, effects)
