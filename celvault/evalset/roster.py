"""A random cast per episode set, and character poses with blinking and talking faces.

:func:`make_cast` draws `n` characters from `cast_seed` (palettes, hair styles, body
shapes), named C1..Cn. :class:`PoseCache` paints poses with
:func:`celvault.synthetic.cast.draw_character` once and adds the face states (eyes closed,
mouth open) on a copy, so a character that stands still changes only a few face pixels.
"""

from __future__ import annotations

from collections import OrderedDict

import cv2
import numpy as np

from celvault.synthetic.cast import Character, draw_character, outline_px
from celvault.synthetic.scenes import hsv

STYLES = ("short", "spiky", "long", "bob", "twintails")


def make_cast(cast_seed: int, n: int) -> list[Character]:
    """`n` characters with well separated hair/outfit hues, deterministic from `cast_seed`."""
    rng = np.random.default_rng([int(cast_seed) % (1 << 63), 0xCA57])
    base = rng.uniform(0, 360)
    out = []
    for k in range(max(1, int(n))):
        hue = base + k * 360.0 / max(n, 1) + rng.uniform(-12, 12)
        skin_v = rng.uniform(0.78, 1.0)
        out.append(Character(
            f"C{k + 1}",
            hair=hsv(hue, rng.uniform(0.55, 0.95), rng.uniform(0.45, 0.95)),
            skin=hsv(rng.uniform(15, 32), rng.uniform(0.12, 0.35), skin_v),
            outfit=hsv(hue + rng.uniform(90, 270), rng.uniform(0.45, 0.9), rng.uniform(0.4, 0.95)),
            legs=hsv(rng.uniform(0, 360), rng.uniform(0.1, 0.6), rng.uniform(0.15, 0.95)),
            eyes=hsv(rng.uniform(0, 360), rng.uniform(0.5, 0.9), rng.uniform(0.45, 0.85)),
            outline=hsv(rng.uniform(200, 320), rng.uniform(0.2, 0.5), rng.uniform(0.08, 0.2)),
            hair_style=str(rng.choice(STYLES)),
            head=float(rng.uniform(0.13, 0.16)),
            shoulders=float(rng.uniform(0.18, 0.25)),
            hem=float(rng.uniform(0.22, 0.32)),
            spikes=float(rng.uniform(0.12, 0.45)),
        ))
    return out


def _face(char: Character, height: int, facing: int):
    """Face geometry of a patch painted by draw_character (mirrors its layout)."""
    h = float(max(int(height), 12))
    t = outline_px(int(h))
    pad = t + 2 + int(0.1 * h)
    pw = int(0.9 * h) + 2 * pad
    cx = pw / 2.0
    r = char.head * h
    hcy = pad + 0.04 * h + r
    ex = cx + facing * 0.22 * r
    return t, cx, r, hcy, ex


def _blink(img, char: Character, height: int, facing: int, light: int) -> None:
    t, cx, r, hcy, ex = _face(char, height, facing)
    skin = np.array(char.skin, np.uint8)
    shade = np.array([int(round(c * 0.68)) for c in char.skin], np.uint8)
    for sx in (-1, 1):
        e = (int(round(ex + sx * 0.4 * r)), int(round(hcy + 0.3 * r)))
        ea = (max(1, int(round(0.16 * r))), max(1, int(round(0.26 * r))))
        m = np.zeros(img.shape[:2], np.uint8)
        cv2.ellipse(m, e, (ea[0] + 1, ea[1] + 1), 0, 0, 360, 255, -1)
        ys, xs = np.nonzero(m)
        band = (xs - cx) * (-light) > 0.25 * r
        img[ys, xs] = np.where(band[:, None], shade, skin)
        cv2.line(img, (e[0] - ea[0] - 1, e[1] + ea[1] // 3), (e[0] + ea[0] + 1, e[1] + ea[1] // 3),
                 char.outline, max(1, t // 2 + 1))


def _talk(img, char: Character, height: int, facing: int) -> None:
    t, cx, r, hcy, ex = _face(char, height, facing)
    c = (int(round(ex)), int(round(hcy + 0.7 * r)))
    ax = (max(2, int(round(0.15 * r))), max(2, int(round(0.11 * r))))
    cv2.ellipse(img, c, ax, 0, 0, 360, char.outline, -1)
    if ax[0] > 3:
        cv2.ellipse(img, (c[0], c[1] + ax[1] // 3), (ax[0] - 2, max(1, ax[1] // 2)), 0, 0, 360,
                    (200, 70, 80), -1)


class PoseCache:
    """Pose patches ``(rgb, alpha, (ax, ay))`` keyed by everything that changes pixels."""

    def __init__(self, cast: dict[str, Character], size: int = 48):
        self.cast = cast
        self._cache: OrderedDict = OrderedDict()
        self.size = size

    def get(self, name: str, height: int, facing: int, arm: int, light: int,
            eyes_closed: bool = False, mouth_open: bool = False):
        key = (name, height, facing, arm, light, eyes_closed, mouth_open)
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
        else:
            if eyes_closed or mouth_open:
                rgb, alpha, anchor = self.get(name, height, facing, arm, light)
                rgb = rgb.copy()
                if eyes_closed:
                    _blink(rgb, self.cast[name], height, facing, light)
                if mouth_open:
                    _talk(rgb, self.cast[name], height, facing)
                hit = (rgb, alpha, anchor)
            else:
                hit = draw_character(self.cast[name], height, facing, arm, light)
            self._cache[key] = hit
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)
        return hit

    def clear(self) -> None:
        self._cache.clear()
