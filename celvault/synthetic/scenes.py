"""Flat painted backgrounds.

A background is a list of resolution-independent drawing ops whose
coordinates are in units of the frame height (y in 0..1, x in 0..width/height),
so one layout can be painted as a small thumbnail (to check that cuts are
strong) and at full size, wider than the frame for panning shots.
"""

from __future__ import annotations

import colorsys

import cv2
import numpy as np

OUTDOOR_KINDS = ("sky", "street", "forest", "beach")
INDOOR_KINDS = ("room", "classroom")
KINDS = OUTDOOR_KINDS + INDOOR_KINDS

SKIES = {  # time of day -> (top, bottom) of the sky gradient
    "day": ((40, 110, 225), (160, 210, 250)),
    "sunset": ((80, 48, 140), (252, 146, 60)),
    "night": ((8, 12, 48), (44, 54, 120)),
    "overcast": ((130, 140, 160), (205, 208, 214)),
    "dawn": ((120, 170, 230), (250, 200, 190)),
}


def hsv(h: float, s: float, v: float) -> tuple[int, int, int]:
    """RGB tuple from hue in degrees, saturation and value in 0..1."""
    r, g, b = colorsys.hsv_to_rgb((h % 360) / 360.0, min(max(s, 0), 1), min(max(v, 0), 1))
    return int(r * 255), int(g * 255), int(b * 255)


def _jit(rng, c, k=14):
    return tuple(int(np.clip(v + rng.integers(-k, k + 1), 0, 255)) for v in c)


def _dark(c, k):
    return tuple(int(v * k) for v in c)


def _sky(rng, ops, horizon, tod=None):
    tod = tod or str(rng.choice(list(SKIES)))
    top, bottom = SKIES[tod]
    ops.append(("grad", 0.0, horizon, _jit(rng, top), _jit(rng, bottom)))
    return tod


def _clouds(rng, ops, wu, tod, y_max):
    col = {"night": (70, 74, 120), "sunset": (250, 190, 170)}.get(tod, (250, 250, 252))
    for _ in range(int(rng.integers(2, 4) * wu)):
        x, y, s = rng.uniform(0, wu), rng.uniform(0.05, y_max), rng.uniform(0.04, 0.08)
        for dx, dy, k in ((-1.2, 0.3, 0.8), (0, 0, 1.1), (1.3, 0.25, 0.85)):
            ops.append(("ellipse", x + dx * s, y + dy * s, 1.3 * s * k, 0.8 * s * k, col))


def _tree(rng, ops, x, base, size, green):
    ops.append(("rect", x - 0.1 * size, base - 0.9 * size, x + 0.1 * size, base, (96, 62, 36)))
    for dx, dy, k in ((0, -1.3, 0.75), (-0.45, -0.85, 0.55), (0.45, -0.85, 0.55)):
        ops.append(("ellipse", x + dx * size, base + dy * size, k * size, 0.9 * k * size,
                    _jit(rng, green, 18)))


def _outdoor(rng, kind, wu):
    ops: list = []
    if kind == "sky":
        hz = rng.uniform(0.66, 0.8)
        tod = _sky(rng, ops, hz)
        _clouds(rng, ops, wu, tod, hz - 0.15)
        hill = hsv(rng.uniform(90, 200), rng.uniform(0.4, 0.7), rng.uniform(0.3, 0.6))
        for _ in range(int(2 * wu) + 1):
            ops.append(("ellipse", rng.uniform(0, wu), hz, rng.uniform(0.3, 0.7),
                        rng.uniform(0.06, 0.14), _jit(rng, hill, 10)))
        ops.append(("rect", 0, hz, wu, 1.0, hsv(rng.uniform(70, 140), 0.7, rng.uniform(0.45, 0.8))))
    elif kind == "street":
        hz = rng.uniform(0.55, 0.65)
        tod = _sky(rng, ops, hz)
        _clouds(rng, ops, wu, tod, 0.2)
        x, hue0 = -0.1, rng.uniform(0, 360)
        while x < wu:
            w = rng.uniform(0.25, 0.55)
            top = rng.uniform(0.08, 0.4)
            col = hsv(hue0 + rng.uniform(-40, 40), rng.uniform(0.3, 0.75), rng.uniform(0.45, 0.9))
            ops.append(("rect", x, top, x + w, hz, col))
            win = (250, 236, 140) if tod == "night" else _dark(col, 0.55)
            for wy in np.arange(top + 0.04, hz - 0.07, 0.09):
                for wx in np.arange(x + 0.04, x + w - 0.07, 0.1):
                    ops.append(("rect", wx, wy, wx + 0.05, wy + 0.05, win))
            x += w + rng.uniform(0.0, 0.08)
        ops.append(("rect", 0, hz, wu, hz + 0.08, _jit(rng, (178, 170, 160))))
        ops.append(("rect", 0, hz + 0.08, wu, 1.0, _jit(rng, (88, 90, 98), 20)))
        for dx in np.arange(0, wu, 0.3):
            ops.append(("rect", dx, 0.9, dx + 0.15, 0.92, (240, 240, 230)))
    elif kind == "forest":
        hz = rng.uniform(0.5, 0.62)
        _sky(rng, ops, hz)
        green = hsv(rng.uniform(80, 160), rng.uniform(0.55, 0.9), rng.uniform(0.3, 0.7))
        ops.append(("grad", hz, 1.0, _dark(green, 0.8), _dark(green, 0.45)))
        for _ in range(int(5 * wu) + 2):
            _tree(rng, ops, rng.uniform(-0.1, wu + 0.1), rng.uniform(hz, hz + 0.2),
                  rng.uniform(0.15, 0.32), green)
    else:  # beach
        hz = rng.uniform(0.42, 0.55)
        tod = _sky(rng, ops, hz, str(rng.choice(["day", "sunset", "dawn"])))
        ops.append(("circle", rng.uniform(0.2, wu - 0.2), hz - rng.uniform(0.1, 0.25),
                    0.07, (255, 236, 120) if tod == "day" else (255, 150, 80)))
        _clouds(rng, ops, wu, tod, hz - 0.2)
        sea = hsv(rng.uniform(180, 215), rng.uniform(0.6, 0.95), rng.uniform(0.55, 0.9))
        sand_y = hz + rng.uniform(0.15, 0.25)
        ops.append(("grad", hz, sand_y, sea, _dark(sea, 0.7)))
        ops.append(("rect", 0, sand_y, wu, 1.0, hsv(rng.uniform(35, 50), 0.45, rng.uniform(0.8, 0.97))))
    return ops


def _indoor(rng, kind, wu):
    ops: list = []
    floor_y = rng.uniform(0.62, 0.74)
    if kind == "classroom":
        wall = hsv(rng.uniform(20, 60), rng.uniform(0.1, 0.35), rng.uniform(0.75, 0.95))
        ops.append(("rect", 0, 0, wu, floor_y, wall))
        board = hsv(rng.uniform(100, 170), rng.uniform(0.3, 0.6), rng.uniform(0.2, 0.4))
        for x in np.arange(rng.uniform(0, 0.4), wu, rng.uniform(0.9, 1.3)):
            w = rng.uniform(0.5, 0.8)
            ops.append(("rect", x, 0.12, x + w, 0.5, board))           # chalkboard
            ops.append(("rect", x + 0.05, 0.2, x + 0.5 * w, 0.22, (230, 230, 220)))
        ops.append(("rect", 0, floor_y, wu, 1.0, hsv(rng.uniform(15, 45), 0.55, rng.uniform(0.4, 0.75))))
        desk = hsv(rng.uniform(10, 40), rng.uniform(0.4, 0.7), rng.uniform(0.5, 0.75))
        for x in np.arange(rng.uniform(-0.2, 0.2), wu, rng.uniform(0.45, 0.65)):
            ops.append(("rect", x, floor_y + 0.1, x + 0.4, floor_y + 0.14, desk))
            ops.append(("rect", x + 0.05, floor_y + 0.14, x + 0.08, 0.98, (90, 90, 96)))
            ops.append(("rect", x + 0.32, floor_y + 0.14, x + 0.35, 0.98, (90, 90, 96)))
        return ops
    wall = hsv(rng.uniform(0, 360), rng.uniform(0.25, 0.7), rng.uniform(0.55, 0.95))
    ops.append(("rect", 0, 0, wu, floor_y, wall))
    ops.append(("rect", 0, floor_y - 0.03, wu, floor_y, _dark(wall, 0.6)))
    floor = hsv(rng.uniform(15, 45), rng.uniform(0.45, 0.8), rng.uniform(0.35, 0.75))
    ops.append(("rect", 0, floor_y, wu, 1.0, floor))
    for y in np.arange(floor_y + 0.06, 1.0, 0.08):
        ops.append(("rect", 0, y, wu, y + 0.008, _dark(floor, 0.8)))
    x = rng.uniform(-0.2, 0.3)
    while x < wu:
        item = rng.integers(0, 3)
        if item == 0:  # window with a view of the sky
            top, bottom = SKIES[str(rng.choice(list(SKIES)))]
            ops.append(("rect", x - 0.02, 0.13, x + 0.52, 0.52, (240, 240, 236)))
            ops.append(("grad_box", x, 0.15, x + 0.5, 0.5, top, bottom))
            ops.append(("rect", x + 0.24, 0.15, x + 0.26, 0.5, (240, 240, 236)))
            w = 0.55
        elif item == 1:  # bookshelf
            ops.append(("rect", x, floor_y - 0.5, x + 0.35, floor_y, (120, 76, 44)))
            for sy in (floor_y - 0.46, floor_y - 0.3, floor_y - 0.14):
                for bx in np.arange(x + 0.03, x + 0.31, 0.045):
                    ops.append(("rect", bx, sy, bx + 0.035, sy + 0.12,
                                hsv(rng.uniform(0, 360), 0.7, 0.8)))
            w = 0.4
        else:  # poster + table
            ops.append(("rect", x, 0.15, x + 0.25, 0.45, hsv(rng.uniform(0, 360), 0.8, 0.9)))
            ops.append(("circle", x + 0.125, 0.3, 0.07, hsv(rng.uniform(0, 360), 0.6, 1.0)))
            ops.append(("rect", x - 0.05, floor_y - 0.02, x + 0.4, floor_y + 0.02, (140, 90, 50)))
            ops.append(("rect", x, floor_y + 0.02, x + 0.03, floor_y + 0.2, (110, 70, 40)))
            ops.append(("rect", x + 0.32, floor_y + 0.02, x + 0.35, floor_y + 0.2, (110, 70, 40)))
            w = 0.45
        x += w + rng.uniform(0.15, 0.5)
    return ops


def random_background(rng: np.random.Generator, kind: str, width_units: float) -> list:
    """Drawing ops for a background of `kind`, `width_units` frame heights wide."""
    return (_indoor if kind in INDOOR_KINDS else _outdoor)(rng, kind, width_units)


def _grad(c0, c1, n):
    k = np.linspace(0.0, 1.0, max(n, 1))[:, None]
    return (np.asarray(c0, np.float32) * (1 - k) + np.asarray(c1, np.float32) * k).astype(np.uint8)


def paint(ops: list, height: int, width: int) -> np.ndarray:
    """Paint background ops into an RGB uint8 image of `height` x `width` px."""
    img = np.zeros((height, width, 3), np.uint8)
    s = float(height)

    def p(v):
        return int(round(v * s))

    for op in ops:
        kind = op[0]
        if kind == "grad":
            y0, y1 = max(p(op[1]), 0), min(p(op[2]), height)
            if y1 > y0:
                img[y0:y1] = _grad(op[3], op[4], y1 - y0)[:, None, :]
        elif kind == "grad_box":
            x0, y0, x1, y1 = max(p(op[1]), 0), max(p(op[2]), 0), min(p(op[3]), width), min(p(op[4]), height)
            if x1 > x0 and y1 > y0:
                img[y0:y1, x0:x1] = _grad(op[5], op[6], y1 - y0)[:, None, :]
        elif kind == "rect":
            cv2.rectangle(img, (p(op[1]), p(op[2])), (p(op[3]) - 1, p(op[4]) - 1), op[5], -1)
        elif kind == "ellipse":
            cv2.ellipse(img, (p(op[1]), p(op[2])), (max(p(op[3]), 1), max(p(op[4]), 1)),
                        0, 0, 360, op[5], -1)
        elif kind == "circle":
            cv2.circle(img, (p(op[1]), p(op[2])), max(p(op[3]), 1), op[4], -1)
    return img


def hsv_delta(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute HSV difference of two RGB frames (content-detector style:
    mean over the H, S and V channels of OpenCV's 8-bit HSV)."""
    ha = cv2.cvtColor(np.ascontiguousarray(a), cv2.COLOR_RGB2HSV).astype(np.int16)
    hb = cv2.cvtColor(np.ascontiguousarray(b), cv2.COLOR_RGB2HSV).astype(np.int16)
    return float(np.abs(ha - hb).reshape(-1, 3).mean(axis=0).mean())
