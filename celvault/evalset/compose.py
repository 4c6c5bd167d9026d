"""One shot's frame before transitions: background window, characters, light, effects, bars.

Caches: each place's canvas is painted once, each background window once (static shots
reuse it), each character pose once (PoseCache). A frame is described by its *base key*
(window, jitter, character states, effect pose); equal keys give equal pixels.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

import cv2
import numpy as np

from celvault.synthetic.scenes import paint

from .camera import window_px
from .effects import apply_lut, draw_effects, lighting_lut
from .planner import Plan, ShotPlan
from .roster import PoseCache


@dataclass
class Layers:
    rgb: np.ndarray | None
    background: np.ndarray | None
    label: np.ndarray          # 0 background, k: names[k - 1]
    names: list
    effects: np.ndarray | None
    letterbox: np.ndarray | None


class _LRU(OrderedDict):
    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def put(self, k, v):
        self[k] = v
        self.move_to_end(k)
        while len(self) > self.size:
            self.popitem(last=False)
        return v


class Compositor:
    def __init__(self, W: int, H: int, plan: Plan):
        self.W, self.H, self.plan = W, H, plan
        self.poses = PoseCache({c.name: c for c in plan.cast})
        self._canvas = _LRU(3)
        self._bg = _LRU(4)
        self._luts: dict = {}
        self._lit = _LRU(16)
        self._areas = _LRU(256)

    # -- keys -------------------------------------------------------------------------
    def window_key(self, sp: ShotPlan, t: int) -> tuple:
        hc = self.canvas_h(sp)
        x, y, s = window_px(sp.camera.window(t), hc, self.H)
        jx, jy = sp.camera.jitter(t)
        return (sp.place.place_id, x - jx / s, y - jy / s, s, jx, jy)

    def char_states(self, sp: ShotPlan, t: int) -> tuple:
        p = t // sp.hold
        return tuple(tr.state(p) for tr in sp.tracks)

    def base_key(self, sp: ShotPlan, t: int) -> tuple:
        fx = (t // sp.hold) if sp.effects else None
        return (sp.index, self.window_key(sp, t), self.char_states(sp, t), fx)

    # -- background -------------------------------------------------------------------
    def canvas_h(self, sp: ShotPlan) -> int:
        return int(math.ceil(self.H * sp.place.zmax - 1e-6))

    def canvas(self, sp: ShotPlan) -> np.ndarray:
        pid = sp.place.place_id
        if pid not in self._canvas:
            hc = self.canvas_h(sp)
            wc = int(math.ceil(sp.place.width_units * hc)) + 2
            self._canvas.put(pid, paint(sp.place.ops(), hc, max(wc, self.W + 2)))
        self._canvas.move_to_end(pid)
        return self._canvas[pid]

    def background(self, sp: ShotPlan, wkey: tuple) -> np.ndarray:
        """The lit background of window `wkey` (shared, do not modify)."""
        key = (sp.index, wkey)
        if key in self._bg:
            return self._bg[key]
        cv = self.canvas(sp)
        _, x0, y0, s, _, _ = wkey
        if s == 1.0:
            xi = int(np.clip(round(x0), 0, cv.shape[1] - self.W))
            yi = int(np.clip(round(y0), 0, cv.shape[0] - self.H))
            img = cv[yi:yi + self.H, xi:xi + self.W].copy()
        else:
            m = np.array([[s, 0, -x0 * s], [0, s, -y0 * s]], np.float64)
            img = cv2.warpAffine(cv, m, (self.W, self.H), flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_REPLICATE)
        if sp.lighting is not None:
            img = apply_lut(img, self._lut(sp.lighting))
        return self._bg.put(key, img)

    def _lut(self, mult):
        if mult not in self._luts:
            self._luts[mult] = lighting_lut(mult)
        return self._luts[mult]

    # -- composition ------------------------------------------------------------------
    def placements(self, sp: ShotPlan, states: tuple, jitter: tuple[int, int]):
        out = []
        for name, height, facing, arm, eyes, mouth, x, y in states:
            rgb, alpha, (ax, ay) = self.poses.get(name, height, facing, arm, sp.light, eyes, mouth)
            fx, fy = x - ax + jitter[0], y - ay + jitter[1]
            ph, pw = alpha.shape
            x0, y0, x1, y1 = max(fx, 0), max(fy, 0), min(fx + pw, self.W), min(fy + ph, self.H)
            if x1 <= x0 or y1 <= y0:
                out.append((name, None, None, None, None))
                continue
            out.append((name, rgb, alpha, (slice(y0, y1), slice(x0, x1)),
                        (slice(y0 - fy, y1 - fy), slice(x0 - fx, x1 - fx))))
        return out

    def lit_patch(self, prgb: np.ndarray, lighting) -> np.ndarray:
        if lighting is None:
            return prgb
        key = (id(prgb), lighting)
        hit = self._lit.get(key)
        if hit is None or hit[0] is not prgb:
            hit = self._lit.put(key, (prgb, apply_lut(prgb, self._lut(lighting))))
        return hit[1]

    def layers(self, sp: ShotPlan, t: int, with_rgb: bool = True) -> Layers:
        wkey = self.window_key(sp, t)
        states = self.char_states(sp, t)
        H, W = self.H, self.W
        label = np.zeros((H, W), np.uint8)
        bg = self.background(sp, wkey) if with_rgb else None
        rgb = bg.copy() if with_rgb else None
        names, boxes = [], []
        for k, (name, prgb, alpha, fs, ps) in enumerate(self.placements(sp, states, wkey[4:]), start=1):
            names.append(name)
            if prgb is None:
                continue
            a = alpha[ps]
            label[fs][a] = k
            if rgb is not None:
                np.copyto(rgb[fs], self.lit_patch(prgb, sp.lighting)[ps], where=a[..., None])
            boxes.append((fs[1].start, fs[0].start, fs[1].stop, fs[0].stop))
        fx = None
        if with_rgb:
            fx = np.zeros((H, W), bool)
            if sp.effects:
                rng = np.random.default_rng([*sp.effect_seed, t // sp.hold])
                fx = draw_effects(rgb, sp.effects, rng, boxes)
        lb = None
        if sp.letterbox:
            b = sp.letterbox
            label[:b] = 0
            label[H - b:] = 0
            if with_rgb:
                lb = np.zeros((H, W), bool)
                lb[:b] = lb[H - b:] = True
                rgb[:b] = rgb[H - b:] = 0
                bg = bg.copy()
                bg[:b] = bg[H - b:] = 0
                fx &= ~lb
        elif with_rgb:
            lb = np.zeros((H, W), bool)
        return Layers(rgb, bg, label, names, fx, lb)

    def areas(self, sp: ShotPlan, t: int) -> dict:
        """Visible pixel count per character name, composed only over the characters' boxes."""
        jit = sp.camera.jitter(t)
        key = (sp.index, self.char_states(sp, t), jit)
        hit = self._areas.get(key)
        if hit is not None:
            return hit
        pl = self.placements(sp, key[1], jit)
        shown = [q for q in pl if q[1] is not None]
        out = {q[0]: 0 for q in pl}
        if shown:
            b, H = sp.letterbox, self.H
            y0 = max(min(q[3][0].start for q in shown), b)
            y1 = min(max(q[3][0].stop for q in shown), H - b)
            x0 = min(q[3][1].start for q in shown)
            x1 = max(q[3][1].stop for q in shown)
            if y1 > y0:
                label = np.zeros((y1 - y0, x1 - x0), np.uint8)
                for k, (name, _, alpha, fs, ps) in enumerate(pl, start=1):
                    if alpha is None:
                        continue
                    fy0, fy1 = max(fs[0].start, y0), min(fs[0].stop, y1)
                    if fy1 <= fy0:
                        continue
                    a = alpha[ps][fy0 - fs[0].start:fy1 - fs[0].start]
                    label[fy0 - y0:fy1 - y0, fs[1].start - x0:fs[1].stop - x0][a] = k
                counts = np.bincount(label.ravel(), minlength=len(pl) + 1)
                out = {q[0]: int(counts[k]) for k, q in enumerate(pl, start=1)}
        return self._areas.put(key, out)
