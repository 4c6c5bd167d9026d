"""The fixed cast of synthetic characters and the cel-shaded figure painter.

Every character has a distinct saturated palette and a few body-shape
parameters. :func:`draw_character` paints one pose into a small RGB patch with
an alpha mask; the episode renderer caches these patches and pastes them onto
the painted backgrounds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

RGB = tuple[int, int, int]

# Arm swing per pose phase, degrees away from hanging straight down (left, right).
ARM_PHASES: tuple[tuple[float, float], ...] = ((12, 12), (30, -8), (12, 12), (-8, 30))


def _shade(color: RGB, k: float = 0.68) -> RGB:
    return tuple(int(round(c * k)) for c in color)  # type: ignore[return-value]


@dataclass(frozen=True)
class Character:
    name: str
    hair: RGB
    skin: RGB
    outfit: RGB
    legs: RGB
    eyes: RGB
    outline: RGB = (28, 20, 36)
    hair_style: str = "short"   # short | spiky | long | bob | twintails
    head: float = 0.14          # head radius / figure height
    shoulders: float = 0.20     # shoulder width / figure height
    hem: float = 0.26           # width at the bottom of the outfit / figure height
    spikes: float = 0.25        # spikiness of the hair cap

    @property
    def palette(self) -> dict[str, RGB]:
        return {"hair": self.hair, "skin": self.skin, "outfit": self.outfit,
                "legs": self.legs, "eyes": self.eyes, "outline": self.outline}


CAST: list[Character] = [
    Character("Aoi", hair=(38, 72, 214), skin=(255, 222, 196), outfit=(246, 204, 36),
              legs=(52, 44, 92), eyes=(30, 120, 220), hair_style="long", hem=0.30),
    Character("Kenta", hair=(214, 36, 30), skin=(242, 200, 164), outfit=(34, 156, 64),
              legs=(40, 52, 60), eyes=(120, 40, 20), hair_style="spiky",
              shoulders=0.23, hem=0.22, spikes=0.45, head=0.135),
    Character("Mirai", hair=(242, 104, 192), skin=(255, 228, 214), outfit=(116, 56, 206),
              legs=(250, 240, 250), eyes=(200, 40, 120), hair_style="twintails",
              shoulders=0.18, hem=0.32, head=0.15),
    Character("Ren", hair=(250, 146, 16), skin=(236, 190, 150), outfit=(18, 158, 178),
              legs=(30, 30, 48), eyes=(40, 140, 60), hair_style="short",
              shoulders=0.24, hem=0.24, spikes=0.3),
    Character("Sora", hair=(118, 222, 58), skin=(250, 214, 184), outfit=(204, 28, 88),
              legs=(70, 30, 40), eyes=(30, 160, 90), hair_style="bob", hem=0.28, head=0.155),
    Character("Yuki", hair=(0, 196, 226), skin=(255, 232, 220), outfit=(238, 96, 20),
              legs=(250, 250, 250), eyes=(0, 110, 200), hair_style="long",
              shoulders=0.19, hem=0.31, spikes=0.15),
]
CAST_BY_NAME: dict[str, Character] = {c.name: c for c in CAST}


def outline_px(height: int) -> int:
    """Outline thickness for a figure `height` px tall (2-3 px at 320x180)."""
    return max(2, int(round(height / 30.0)))


def _limb(p0, p1, w) -> np.ndarray:
    (x0, y0), (x1, y1) = p0, p1
    dx, dy = x1 - x0, y1 - y0
    n = math.hypot(dx, dy) or 1.0
    ox, oy = -dy / n * w / 2, dx / n * w / 2
    return np.array([[x0 + ox, y0 + oy], [x1 + ox, y1 + oy],
                     [x1 - ox, y1 - oy], [x0 - ox, y0 - oy]]).round().astype(np.int32)


def _hair_cap(cx, cy, r, spikes, facing) -> np.ndarray:
    pts = []
    for k, a in enumerate(np.linspace(200, -20, 15)):
        rr = r * (1.08 + (spikes if k % 2 else 0.0))
        pts.append((cx + rr * math.cos(math.radians(a)), cy - rr * math.sin(math.radians(a))))
    # fringe across the forehead, zig-zag, parted toward the facing side
    for k, fx in enumerate(np.linspace(0.95, -0.95, 7)):
        dy = -0.05 if k % 2 else 0.22
        pts.append((cx + r * fx, cy + r * (dy - 0.1 + 0.08 * facing * fx)))
    return np.array(pts).round().astype(np.int32)


def draw_character(char: Character, height: int, facing: int = 1, arm_phase: int = 0,
                   light: int = -1) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """Paint one pose of `char`, `height` px tall.

    Returns ``(rgb, alpha, (ax, ay))``: an RGB uint8 patch, its bool mask, and
    the anchor (the point between the feet) inside the patch. `facing` is +1
    (looking right) or -1, `light` the side the light comes from (-1 left,
    +1 right); the cel-shade band lies on the other side of every part.
    """
    h = float(max(int(height), 12))
    t = outline_px(int(h))
    pad = t + 2 + int(0.1 * h)
    pw, ph = int(0.9 * h) + 2 * pad, int(h) + 2 * pad
    img = np.zeros((ph, pw, 3), np.uint8)
    alpha = np.zeros((ph, pw), np.uint8)
    xs = np.arange(pw)[None, :]
    cx = pw / 2.0
    y0 = pad + 0.04 * h
    feet = y0 + 0.96 * h
    r = char.head * h
    hcy = y0 + r
    ol = char.outline

    def part(draw, color, xc, half_w, shade=True):
        m = np.zeros((ph, pw), np.uint8)
        draw(m, 255, -1)
        mb = m.astype(bool)
        img[mb] = color
        if shade:  # one darker band on the side away from the light
            band = (xs - xc) * (-light) > 0.25 * half_w
            img[mb & band] = _shade(color)
        draw(img, ol, t)
        draw(alpha, 255, t)
        alpha[mb] = 255

    def ellipse(c, ax, ang=0.0):
        ci = (int(round(c[0])), int(round(c[1])))
        ai = (max(1, int(round(ax[0]))), max(1, int(round(ax[1]))))
        return lambda canvas, col, th: cv2.ellipse(canvas, ci, ai, ang, 0, 360, col, th)

    def poly(p):
        return lambda canvas, col, th: (cv2.fillPoly(canvas, [p], col) if th < 0
                                        else cv2.polylines(canvas, [p], True, col, th))

    # back hair (behind everything)
    style = char.hair_style
    if style == "long":
        part(ellipse((cx, hcy + 1.0 * r), (1.25 * r, 2.1 * r)), char.hair, cx, 1.25 * r)
    elif style == "bob":
        part(ellipse((cx, hcy + 0.35 * r), (1.28 * r, 1.2 * r)), char.hair, cx, 1.28 * r)
    elif style == "twintails":
        for sx in (-1, 1):
            c = (cx + sx * 1.35 * r, hcy + 0.9 * r)
            part(ellipse(c, (0.45 * r, 1.25 * r), -sx * 12), char.hair, c[0], 0.45 * r)

    # legs and shoes
    hem_y = y0 + 0.68 * h
    leg_w = 0.075 * h
    for sx in (-1, 1):
        p0 = (cx + sx * 0.055 * h, hem_y - 0.04 * h)
        p1 = (cx + sx * 0.075 * h, feet - 0.03 * h)
        part(poly(_limb(p0, p1, leg_w)), char.legs, (p0[0] + p1[0]) / 2, leg_w / 2)
        part(ellipse((p1[0] + sx * 0.02 * h, feet - 0.015 * h), (0.06 * h, 0.03 * h)),
             _shade(char.legs, 0.45), p1[0], 0.06 * h, shade=False)

    # torso: a trapezoid from the shoulders down to the hem
    sh_y = hcy + 0.9 * r
    sw, hw = char.shoulders * h / 2, char.hem * h / 2
    torso = np.array([[cx - sw, sh_y + 0.03 * h], [cx - sw * 0.7, sh_y], [cx + sw * 0.7, sh_y],
                      [cx + sw, sh_y + 0.03 * h], [cx + hw, hem_y], [cx - hw, hem_y]])
    part(poly(torso.round().astype(np.int32)), char.outfit, cx, hw)

    # arms with hands
    arm_len, arm_w = 0.27 * h, 0.06 * h
    for sx, ang in zip((-1, 1), ARM_PHASES[arm_phase % len(ARM_PHASES)]):
        p0 = (cx + sx * (sw - 0.02 * h), sh_y + 0.04 * h)
        a = math.radians(ang)
        p1 = (p0[0] + sx * arm_len * math.sin(a), p0[1] + arm_len * math.cos(a))
        part(poly(_limb(p0, p1, arm_w)), char.outfit, (p0[0] + p1[0]) / 2, arm_w / 2)
        part(ellipse(p1, (0.035 * h, 0.035 * h)), char.skin, p1[0], 0.035 * h, shade=False)

    # head, hair cap, face
    part(ellipse((cx, hcy), (r, r)), char.skin, cx, r)
    part(poly(_hair_cap(cx, hcy, r, char.spikes, facing)), char.hair, cx, r)
    ex = cx + facing * 0.22 * r
    for sx in (-1, 1):
        e = (int(round(ex + sx * 0.4 * r)), int(round(hcy + 0.3 * r)))
        ea = (max(1, int(round(0.16 * r))), max(1, int(round(0.26 * r))))
        cv2.ellipse(img, e, ea, 0, 0, 360, ol, -1)
        cv2.ellipse(img, e, (max(1, ea[0] - 1), max(1, ea[1] - 1)), 0, 0, 360, char.eyes, -1)
        if r >= 10:
            cv2.circle(img, (e[0] - 1, e[1] - ea[1] // 3), max(1, int(0.06 * r)), (255, 255, 255), -1)
    my = int(round(hcy + 0.68 * r))
    cv2.line(img, (int(round(ex - 0.15 * r)), my), (int(round(ex + 0.15 * r)), my), ol, max(1, t // 2))
    return img, alpha.astype(bool), (int(round(cx)), int(round(feet)))
