"""Painted places with controllable palettes (painted by celvault.synthetic.scenes.paint).

A :class:`Place` is a palette plus a layout seed; its drawing ops (units of the place's
height, like celvault.synthetic.scenes) are made once its width is known, after every shot
that uses it has been framed. Palettes are drawn per place with an episode-wide "look"
(hue shift, saturation and value scale), so no fixed colour threshold fits every episode.
:func:`sibling` makes another place of the same kind with a close palette; :func:`same_sky`
another outdoor place under the very same sky.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from celvault.synthetic.scenes import hsv

INDOOR = ("room", "classroom")
OUTDOOR = ("field", "street", "forest", "beach", "rooftop")
KINDS = INDOOR + OUTDOOR
SKY_TIMES = {  # (top hue, sat, val), (bottom hue, sat, val)
    "day": ((215, 0.8, 0.9), (205, 0.35, 0.98)),
    "sunset": ((265, 0.6, 0.55), (28, 0.75, 0.99)),
    "dawn": ((210, 0.45, 0.9), (10, 0.25, 0.98)),
    "overcast": ((220, 0.15, 0.65), (215, 0.05, 0.85)),
    "night": ((235, 0.85, 0.2), (230, 0.6, 0.45)),
}


@dataclass(frozen=True)
class Look:
    """Episode-wide palette bias."""
    hue: float = 0.0
    sat: float = 1.0
    val: float = 1.0

    def c(self, h: float, s: float, v: float) -> tuple[int, int, int]:
        return hsv(h + self.hue, s * self.sat, v * self.val)


def random_look(rng: np.random.Generator) -> Look:
    return Look(float(rng.uniform(-25, 25)), float(rng.uniform(0.55, 1.25)), float(rng.uniform(0.8, 1.08)))


@dataclass
class Place:
    place_id: str
    kind: str
    layout_seed: tuple
    palette: dict
    night: bool = False
    width_units: float = 1.0     # set by the planner: widest extent any window reaches
    zmax: float = 1.0            # set by the planner: largest zoom any window uses
    _ops: list | None = field(default=None, repr=False)

    @property
    def outdoor(self) -> bool:
        return self.kind in OUTDOOR

    def ops(self) -> list:
        if self._ops is None:
            rng = np.random.default_rng(list(self.layout_seed))
            self._ops = _layout(rng, self.kind, self.palette, self.width_units + 0.05, self.night)
        return self._ops


def _sky(rng, look: Look, night: bool) -> dict:
    tod = "night" if night else str(rng.choice(["day", "day", "sunset", "dawn", "overcast"]))
    (h0, s0, v0), (h1, s1, v1) = SKY_TIMES[tod]
    j = lambda: rng.uniform(-12, 12)  # noqa: E731
    return {"tod": tod, "sky_top": look.c(h0 + j(), s0, v0 * rng.uniform(0.9, 1.05)),
            "sky_bottom": look.c(h1 + j(), s1, v1 * rng.uniform(0.9, 1.02)),
            "horizon": float(rng.uniform(0.5, 0.72)),
            "cloud": (70, 74, 120) if night else look.c(rng.uniform(0, 40), rng.uniform(0, 0.12), 0.98)}


def random_palette(rng: np.random.Generator, kind: str, look: Look, night: bool = False) -> dict:
    u = rng.uniform
    pal = _sky(rng, look, night)
    pal.update({
        "wall": look.c(u(0, 360), u(0.1, 0.6), u(0.5, 0.95)),
        "floor": look.c(u(15, 50), u(0.35, 0.8), u(0.3, 0.75)),
        "accent": float(u(0, 360)),
        "ground": look.c(u(60, 150), u(0.35, 0.75), u(0.35, 0.75)),
        "green": look.c(u(80, 160), u(0.5, 0.9), u(0.3, 0.7)),
        "sea": look.c(u(180, 215), u(0.5, 0.9), u(0.5, 0.9)),
        "sand": look.c(u(32, 50), u(0.3, 0.5), u(0.75, 0.97)),
        "stone": look.c(u(0, 360), u(0.0, 0.12), u(0.45, 0.8)),
        "board": look.c(u(100, 170), u(0.3, 0.6), u(0.2, 0.4)),
        "floor_y": float(u(0.62, 0.74)),   # indoor: wall/floor line (shared by siblings)
    })
    return pal


def _jit(rng, c, k):
    return tuple(int(np.clip(v + rng.integers(-k, k + 1), 0, 255)) for v in c)


def sibling_palette(rng: np.random.Generator, pal: dict) -> dict:
    """A close palette: every colour moved by a few levels (a similar room next door)."""
    out = {}
    for k, v in pal.items():
        if isinstance(v, tuple):
            out[k] = _jit(rng, v, 10)
        elif k == "accent":
            out[k] = (v + float(rng.uniform(-40, 40))) % 360
        else:
            out[k] = v
    return out


def same_sky_palette(rng: np.random.Generator, pal: dict, look: Look) -> dict:
    """A fresh ground palette under exactly the same sky, horizon and clouds colour."""
    fresh = random_palette(rng, "field", look, pal["tod"] == "night")
    for k in ("tod", "sky_top", "sky_bottom", "horizon", "cloud"):
        fresh[k] = pal[k]
    return fresh


def _dark(c, k):
    return tuple(int(v * k) for v in c)


def _clouds(rng, ops, wu, col, y_max):
    for _ in range(int(rng.integers(2, 5) * wu)):
        x, y, s = rng.uniform(0, wu), rng.uniform(0.04, max(0.05, y_max)), rng.uniform(0.03, 0.08)
        for dx, dy, k in ((-1.2, 0.3, 0.8), (0, 0, 1.1), (1.3, 0.25, 0.85)):
            ops.append(("ellipse", x + dx * s, y + dy * s, 1.3 * s * k, 0.8 * s * k, col))


def _outdoor(rng, kind, pal, wu, night):
    u = rng.uniform
    hz = pal["horizon"]
    ops: list = [("grad", 0.0, hz + 0.01, pal["sky_top"], pal["sky_bottom"])]
    _clouds(rng, ops, wu, pal["cloud"], hz - 0.18)
    if kind == "field":
        for _ in range(int(2 * wu) + 1):
            ops.append(("ellipse", u(0, wu), hz, u(0.3, 0.8), u(0.04, 0.12), _jit(rng, pal["ground"], 14)))
        ops.append(("rect", 0, hz, wu, 1.0, pal["ground"]))
        for _ in range(int(6 * wu)):
            x, y = u(0, wu), u(hz + 0.05, 1.0)
            ops.append(("ellipse", x, y, 0.03, 0.008, _dark(pal["ground"], 0.8)))
    elif kind == "street":
        x = -0.1
        while x < wu:
            w, top = u(0.25, 0.55), u(0.1, max(0.12, hz - 0.15))
            col = hsv(pal["accent"] + u(-40, 40), u(0.2, 0.7), u(0.45, 0.9))
            ops.append(("rect", x, top, x + w, hz, col))
            win = (250, 230, 140) if night else _dark(col, 0.6)
            for wy in np.arange(top + 0.04, hz - 0.07, 0.09):
                for wx in np.arange(x + 0.04, x + w - 0.07, 0.1):
                    ops.append(("rect", wx, wy, wx + 0.05, wy + 0.05, win))
            x += w + u(0.0, 0.1)
        ops.append(("rect", 0, hz, wu, hz + 0.07, pal["stone"]))
        ops.append(("rect", 0, hz + 0.07, wu, 1.0, _dark(pal["stone"], 0.6)))
        for dx in np.arange(u(0, 0.3), wu, 0.3):
            ops.append(("rect", dx, 0.9, dx + 0.15, 0.92, (235, 235, 225)))
    elif kind == "forest":
        ops.append(("grad", hz, 1.0, _dark(pal["green"], 0.85), _dark(pal["green"], 0.45)))
        for _ in range(int(5 * wu) + 2):
            x, base, size = u(-0.1, wu + 0.1), u(hz, hz + 0.2), u(0.12, 0.3)
            ops.append(("rect", x - 0.08 * size, base - 0.9 * size, x + 0.08 * size, base, (96, 62, 36)))
            for ddx, ddy, k in ((0, -1.3, 0.75), (-0.45, -0.85, 0.55), (0.45, -0.85, 0.55)):
                ops.append(("ellipse", x + ddx * size, base + ddy * size, k * size, 0.9 * k * size,
                            _jit(rng, pal["green"], 18)))
    elif kind == "beach":
        if not night:
            ops.append(("circle", u(0.2, max(0.25, wu - 0.2)), hz - u(0.12, 0.3), 0.06, (255, 236, 150)))
        sand_y = min(0.95, hz + u(0.12, 0.22))
        ops.append(("grad", hz, sand_y, pal["sea"], _dark(pal["sea"], 0.7)))
        ops.append(("rect", 0, sand_y, wu, 1.0, pal["sand"]))
    else:  # rooftop: a fence against the sky over a concrete floor
        floor_y = min(0.9, hz + u(0.05, 0.15))
        ops.append(("rect", 0, hz, wu, 1.0, pal["stone"]))
        fence = _dark(pal["stone"], 0.55)
        ops.append(("rect", 0, hz - 0.16, wu, hz - 0.145, fence))
        ops.append(("rect", 0, hz - 0.03, wu, hz - 0.015, fence))
        for fx in np.arange(0, wu, u(0.05, 0.09)):
            ops.append(("rect", fx, hz - 0.16, fx + 0.008, floor_y, fence))
        for y in np.arange(floor_y + 0.05, 1.0, 0.1):
            ops.append(("rect", 0, y, wu, y + 0.006, _dark(pal["stone"], 0.8)))
    return ops


def _indoor(rng, kind, pal, wu, night):
    u = rng.uniform
    floor_y = pal["floor_y"]
    wall, floor = pal["wall"], pal["floor"]
    ops: list = [("rect", 0, 0, wu, floor_y, wall), ("rect", 0, floor_y - 0.03, wu, floor_y, _dark(wall, 0.6)),
                 ("rect", 0, floor_y, wu, 1.0, floor)]
    for y in np.arange(floor_y + 0.06, 1.0, 0.08):
        ops.append(("rect", 0, y, wu, y + 0.007, _dark(floor, 0.82)))
    x = u(-0.2, 0.3)
    while x < wu:
        item = int(rng.integers(0, 4))
        if kind == "classroom" and item < 2:  # chalkboard
            w = u(0.5, 0.8)
            ops.append(("rect", x, 0.12, x + w, 0.5, pal["board"]))
            ops.append(("rect", x + 0.05, 0.2, x + 0.5 * w, 0.22, (230, 230, 220)))
        elif item == 0:  # window with the place's sky
            w = 0.5
            ops.append(("rect", x - 0.02, 0.13, x + w + 0.02, 0.52, (238, 238, 232)))
            ops.append(("grad_box", x, 0.15, x + w, 0.5, pal["sky_top"], pal["sky_bottom"]))
            ops.append(("rect", x + 0.24, 0.15, x + 0.26, 0.5, (238, 238, 232)))
        elif item == 1:  # bookshelf
            w = 0.35
            ops.append(("rect", x, floor_y - 0.5, x + w, floor_y, (120, 76, 44)))
            for sy in (floor_y - 0.46, floor_y - 0.3, floor_y - 0.14):
                for bx in np.arange(x + 0.03, x + 0.31, 0.045):
                    ops.append(("rect", bx, sy, bx + 0.035, sy + 0.12, hsv(u(0, 360), 0.6, 0.8)))
        elif item == 2:  # poster and table
            w = 0.4
            ops.append(("rect", x, 0.15, x + 0.25, 0.45, hsv(pal["accent"] + u(-30, 30), 0.7, 0.9)))
            ops.append(("circle", x + 0.125, 0.3, 0.07, hsv(u(0, 360), 0.6, 1.0)))
            ops.append(("rect", x - 0.05, floor_y - 0.02, x + 0.4, floor_y + 0.02, (140, 90, 50)))
        else:  # door
            w = 0.3
            ops.append(("rect", x, floor_y - 0.55, x + w, floor_y, _dark(wall, 0.75)))
            ops.append(("circle", x + 0.24, floor_y - 0.27, 0.015, (220, 200, 120)))
        x += w + u(0.15, 0.5)
    if kind == "classroom":
        desk = hsv(pal["accent"] * 0.1 + 15, 0.55, 0.65)
        for x in np.arange(u(-0.2, 0.2), wu, u(0.45, 0.65)):
            ops.append(("rect", x, floor_y + 0.1, x + 0.4, floor_y + 0.14, desk))
            ops.append(("rect", x + 0.05, floor_y + 0.14, x + 0.08, 0.98, (90, 90, 96)))
            ops.append(("rect", x + 0.32, floor_y + 0.14, x + 0.35, 0.98, (90, 90, 96)))
    return ops


def _layout(rng, kind, pal, wu, night):
    return (_indoor if kind in INDOOR else _outdoor)(rng, kind, pal, wu, night)


def new_place(place_id: str, kind: str, layout_seed: tuple, palette: dict, night: bool) -> Place:
    return Place(place_id, kind, tuple(int(s) for s in layout_seed), dict(palette), night)


def copy_place(p: Place, **kw) -> Place:
    return replace(p, _ops=None, **kw)
