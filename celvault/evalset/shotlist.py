"""The sequence of shots: blocks of hard cases, places, framings, looks and lengths.

The body of an episode is a run of blocks, each one hard case for shot detection:
``plain`` (a new place of another kind), ``reverse_shot`` (A-B-A on two windows of one
place), ``reframe`` (the same place, zoomed in or out), ``similar_place`` (a sibling place
with a close palette), ``same_sky`` (two outdoor places under the same sky). Cameras, cast
modes, holds, looks, effects and letterboxing are dealt from shuffled bags so each episode
meets most of them, in a different order and with different sizes each time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .camera import zoomed
from .places import INDOOR, OUTDOOR, Look, Place, new_place, random_palette, same_sky_palette, sibling_palette

BLOCKS = ("reverse_shot", "reframe", "similar_place", "same_sky", "plain", "plain")
CAMS = ("static", "static", "pan", "zoom", "shake", "settle")
MODES = ("still", "walk", "overlap", "closeup", "idle", "empty", "still", "idle")
LOOKS = ("normal", "normal", "normal", "night", "dark")
HOLDS = (1, 2, 2, 3, 3)


class Bag:
    """Deal items in shuffled rounds: every item comes up once per round."""

    def __init__(self, rng: np.random.Generator, items):
        self.rng, self.items, self.left = rng, list(items), []

    def next(self):
        if not self.left:
            self.left = [self.items[i] for i in self.rng.permutation(len(self.items))]
        return self.left.pop()


@dataclass
class ShotDraft:
    place: Place
    base: tuple                 # framing window (x, y, hu); None: from the previous shot (reframe)
    relation: str               # relation to the previous shot
    length: int                 # frames owned
    camera: str
    mode: str
    hold: int
    look: str
    letterbox: bool
    effects: str | None
    is_opening: bool = False
    zoom_from_prev: float = 0.0   # reframe: zoom factor applied to the previous shot's last window
    props: set = field(default_factory=set)


def _length(rng, fps: float, mode: str) -> int:
    if mode == "walk":
        s = rng.uniform(2.5, 4.5)
    elif rng.random() < 0.15:
        s = rng.uniform(0.5, 1.0)
    else:
        s = rng.uniform(1.2, 4.0)
    return max(4, int(round(s * fps)))


class PlaceMaker:
    def __init__(self, rng, prefix: str, look: Look):
        self.rng, self.prefix, self.look, self.n = rng, prefix, look, 0

    def _id(self) -> str:
        self.n += 1
        return f"{self.prefix}-p{self.n}"

    def fresh(self, avoid_kind: str | None, night: bool, outdoor: bool | None = None) -> Place:
        pool = OUTDOOR if outdoor else INDOOR if outdoor is False else INDOOR + OUTDOOR
        kinds = [k for k in pool if k != avoid_kind]
        kind = str(kinds[int(self.rng.integers(0, len(kinds)))])
        seed = (int(self.rng.integers(0, 2**31)), self.n)
        return new_place(self._id(), kind, seed, random_palette(self.rng, kind, self.look, night), night)

    def sibling(self, p: Place) -> Place:
        seed = (int(self.rng.integers(0, 2**31)), self.n)
        return new_place(self._id(), p.kind, seed, sibling_palette(self.rng, p.palette), p.night)

    def under_same_sky(self, p: Place) -> Place:
        kinds = [k for k in OUTDOOR if k != p.kind]
        kind = str(kinds[int(self.rng.integers(0, len(kinds)))])
        seed = (int(self.rng.integers(0, 2**31)), self.n)
        return new_place(self._id(), kind, seed, same_sky_palette(self.rng, p.palette, self.look), p.night)


def draft_shots(rng: np.random.Generator, n_frames: int, fps: float, aspect: float, prefix: str,
                look: Look, prev_kind: str | None, opening: bool = False) -> list[ShotDraft]:
    """Shot drafts filling exactly `n_frames` frames."""
    blocks, cams, modes = Bag(rng, BLOCKS), Bag(rng, CAMS), Bag(rng, MODES)
    looks, holds = Bag(rng, LOOKS), Bag(rng, HOLDS)
    places = PlaceMaker(rng, prefix, look)
    drafts: list[ShotDraft] = []
    total = 0
    while total < n_frames:
        block = blocks.next() if not opening else "plain"
        lk = looks.next() if not opening else "normal"
        letterbox = (rng.random() < 0.2) and not opening
        night = lk == "night"
        need_outdoor = True if block == "same_sky" else None
        a = places.fresh(prev_kind, night, need_outdoor)
        x0 = float(rng.uniform(0, 0.3)) * aspect
        hu = 1.0 if rng.random() < 0.6 else float(1 / rng.uniform(1.0, 1.25))
        base = (x0, float(rng.uniform(0, 1 - hu)), hu)
        specs: list[tuple[Place, tuple | None, str, float]] = [(a, base, "plain", 0.0)]
        if block == "reverse_shot":
            other = (x0 + aspect * hu * float(rng.uniform(1.1, 1.6)), base[1], hu)
            specs += [(a, other, "reverse_shot", 0.0), (a, base, "reverse_shot", 0.0)]
        elif block == "reframe":
            f = float(rng.uniform(1.3, 2.0))
            if rng.random() < 0.6:   # zoom in: B is A's last window, tighter
                specs.append((a, None, "reframe", f))
            else:                    # zoom out: A is tight, B the wide base
                specs = [(a, zoomed(base, f, aspect), "plain", 0.0), (a, base, "reframe", 0.0)]
        elif block == "similar_place":
            specs.append((places.sibling(a), (float(rng.uniform(0, 0.3)) * aspect, 0.0, 1.0), "similar_place", 0.0))
        elif block == "same_sky":
            specs.append((places.under_same_sky(a), (float(rng.uniform(0, 0.3)) * aspect, 0.0, 1.0), "same_sky", 0.0))
        for place, win, rel, zf in specs:
            if total >= n_frames:
                break
            mode = modes.next()
            fx = None
            if mode != "empty" and rng.random() < 0.25 and not opening:
                fx = str(rng.choice(["speed_lines", "sparkles", "both"]))
            cam = cams.next() if not opening else str(rng.choice(["static", "pan"]))
            length = min(_length(rng, fps, mode), n_frames - total)
            drafts.append(ShotDraft(place, win, rel, length, cam, mode, int(holds.next()), lk, letterbox,
                                    fx, opening, zf))
            total += length
            prev_kind = place.kind
    # a tail shorter than half a second joins the shot before it
    if len(drafts) >= 2 and drafts[-1].length < max(4, int(0.5 * fps)) and drafts[-1].relation == "plain":
        drafts[-2].length += drafts[-1].length
        drafts.pop()
    return drafts
