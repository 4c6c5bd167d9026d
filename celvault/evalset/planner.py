"""From a HardSpec to shots, transitions, flashes and the per-shot drawing plans.

Everything comes from ``numpy.random.default_rng`` seeded by the spec: the opening from
(opening_seed, cast_seed, size, fps) only, so it is the same in every episode that shares
them; the body from the episode seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .camera import Camera, canvas_extent, plan_camera, zoomed
from .places import Place, random_look
from .records import HOLD_NAMES, INHERITED, HardShot, HardSpec, Transition
from .roster import make_cast
from .shotlist import Bag, ShotDraft, draft_shots
from .tracks import Track, plan_tracks

SPECIAL_TRANSITIONS = ("dissolve", "fade_black", "fade_white", "dissolve")
N_CAST = {"still": (1, 2), "walk": (1, 2), "overlap": (2, 3), "closeup": (1, 1), "idle": (1, 3), "empty": (0, 0)}


@dataclass
class ShotPlan:
    index: int
    start: int                  # owned frames [start, end)
    end: int
    rstart: int                 # rendered frames [rstart, rend) (wider than owned under a dissolve)
    rend: int
    place: Place
    camera: Camera
    tracks: tuple[Track, ...]
    hold: int
    light: int                  # side the light comes from
    lighting: tuple | None      # per-channel multiplier (night, dark) or None
    letterbox: int              # bar height px (0: none)
    effects: str | None         # speed_lines | sparkles | both
    effect_seed: tuple
    draft: ShotDraft


@dataclass
class Plan:
    shots: list[HardShot]
    transitions: list[Transition]
    flashes: list[tuple[int, int]]
    plans: list[ShotPlan]
    ops: dict                   # frame -> ("dissolve", a, shot_from) | ("fade", f, colour) | ("flash", k)
    cast: list


def _seed(v) -> int:
    return int(v) % (1 << 63)


def _cast_for(rng, drafts: list[ShotDraft], names: list[str], lead0: int) -> list[tuple[str, ...]]:
    out, lead = [], lead0
    for d in drafts:
        lo, hi = N_CAST[d.mode]
        k = min(int(rng.integers(lo, hi + 1)), len(names))
        if k == 0:
            out.append(())
            continue
        first = names[lead % len(names)]
        lead += 1
        others = [n for n in names if n != first]
        pick = [str(x) for x in rng.permutation(others)[: k - 1]]
        out.append((first, *pick))
    return out


def _lighting(rng, look: str):
    if look == "night":
        k = rng.uniform(0.8, 1.1)
        return (min(1.0, rng.uniform(0.4, 0.55) * k), min(1.0, rng.uniform(0.45, 0.6) * k),
                min(1.0, rng.uniform(0.7, 0.95) * k))
    if look == "dark":
        k = rng.uniform(0.15, 0.38)
        return (k, k * rng.uniform(0.85, 1.0), k * rng.uniform(0.75, 1.0))
    return None


def _transitions(rng, drafts: list[ShotDraft], starts: list[int], fps: float):
    """Kinds and spans per boundary k >= 1: (kind, first, last, owned_out, extra)."""
    k_all = len(drafts)
    body = [k for k in range(1, k_all) if not drafts[k - 1].is_opening]
    n_special = min(len(body), max(1, int(round(len(body) * 0.3)))) if body else 0
    chosen = set(rng.choice(body, n_special, replace=False).tolist()) if n_special else set()
    bag = Bag(rng, SPECIAL_TRANSITIONS)
    out = {}
    for k in range(1, k_all):
        b = starts[k]
        a_len, b_len = drafts[k - 1].length, drafts[k].length
        kind = bag.next() if k in chosen else "cut"
        if kind == "dissolve":
            n = int(rng.integers(6, 19))
            while n >= 6 and (n // 2 > a_len - 3 or n - n // 2 > b_len - 3):
                n -= 1
            if n >= 6:
                m = sum(1 for j in range(n) if (j + 1) / (n + 1) < 0.5)
                out[k] = ("dissolve", b - m, b - m + n - 1, m, n)
                continue
            kind = "cut"
        if kind.startswith("fade"):
            n1, h, n2 = int(rng.integers(4, 13)), int(rng.integers(0, 4)), int(rng.integers(4, 13))
            n1, n2 = min(n1, a_len - 3), min(n2, b_len - 3 - h)
            if n1 >= 3 and n2 >= 3:
                out[k] = (kind, b - n1, b + h + n2 - 1, n1, (n1, h, n2))
                continue
            kind = "cut"
        out[k] = ("cut", b, b, 0, None)
    return out


def _flashes(rng, plans: list[ShotPlan], spans: list[tuple[int, int]], fps: float):
    eligible = [p for p in plans if not p.draft.is_opening and p.end - p.start >= max(12, int(fps))]
    if not eligible:
        return []
    picks = [p for p in eligible if rng.random() < 0.15] or [eligible[int(rng.integers(0, len(eligible)))]]
    out = []
    for p in picks:
        n = int(rng.integers(1, 4))
        free = [i for i in range(p.start + 4, p.end - 4 - n)
                if all(i + n - 1 < f - 3 or i > l + 3 for f, l in spans)]
        if free:
            i = int(free[int(rng.integers(0, len(free)))])
            out.append((i, i + n - 1, round(float(rng.uniform(0.9, 1.0)), 3)))
    return sorted(out)


def plan(spec: HardSpec) -> Plan:
    W, H, fps = spec.width, spec.height, float(spec.fps)
    aspect = W / H
    cast = make_cast(spec.cast_seed, spec.n_characters)
    names = [c.name for c in cast]
    n_open = spec.n_opening
    okey = [_seed(spec.opening_seed or 0), _seed(spec.cast_seed), W, H, int(round(fps * 1000))]
    drafts: list[ShotDraft] = []
    rngs: list[np.random.Generator] = []
    if n_open:
        rng_o = np.random.default_rng([*okey, 1])
        od = draft_shots(rng_o, n_open, fps, aspect, f"o{spec.opening_seed}", random_look(rng_o), None, True)
        cast_o = _cast_for(rng_o, od, names, 0)
        drafts += od
        rngs += [np.random.default_rng([*okey, 2, j]) for j in range(len(od))]
    rng_b = np.random.default_rng([_seed(spec.seed), 1])
    bd = draft_shots(rng_b, spec.n_frames - n_open, fps, aspect, f"e{spec.seed}", random_look(rng_b),
                     drafts[-1].place.kind if drafts else None)
    casts = (cast_o if n_open else []) + _cast_for(rng_b, bd, names, int(rng_b.integers(0, len(names))))
    drafts += bd
    rngs += [np.random.default_rng([_seed(spec.seed), 2, j]) for j in range(len(bd))]
    starts = list(np.cumsum([0] + [d.length for d in drafts])[:-1])
    trans = _transitions(rng_b, drafts, starts, fps)

    plans: list[ShotPlan] = []
    for k, (d, rng) in enumerate(zip(drafts, rngs)):
        start, end = int(starts[k]), int(starts[k] + d.length)
        rstart = trans[k][1] if k in trans and trans[k][0] == "dissolve" else start
        rend = trans[k + 1][2] + 1 if k + 1 in trans and trans[k + 1][0] == "dissolve" else end
        L = rend - rstart
        base = d.base
        if base is None:  # reframe: zoom on the previous shot's last window
            prev = plans[-1]
            base = zoomed(prev.camera.window(prev.rend - prev.rstart - 1), d.zoom_from_prev, aspect)
        seed = (_seed(spec.seed) if not d.is_opening else okey[0], 7, k)
        cam = plan_camera(rng, d.camera, base, aspect, L, H, d.hold, seed)
        n_poses = math.ceil(L / d.hold)
        tracks = plan_tracks(rng, d.mode, list(casts[k]), W, H, n_poses, d.hold, fps, 1)
        light = 1 if rng.random() < 0.5 else -1
        bar = 0
        if d.letterbox:
            target = rng.uniform(2.0, 2.4)
            bar = int(round(H * (1 - aspect / target) / 2)) if aspect < target else int(H * rng.uniform(0.08, 0.14))
        plans.append(ShotPlan(k, start, end, rstart, rend, d.place, cam, tracks, d.hold, light,
                              _lighting(rng, d.look), max(bar, 0), d.effects,
                              (*seed, int(rng.integers(0, 2**31))), d))
    for p in plans:  # size every place for the windows that use it
        right, zmax = canvas_extent(p.camera, aspect)
        p.place.width_units = max(p.place.width_units, right)
        p.place.zmax = max(p.place.zmax, zmax)

    spans = [(t[1], t[2]) for k, t in sorted(trans.items()) if t[0] != "cut"]
    flashes = _flashes(rng_b, plans, spans, fps)
    ops: dict = {}
    for k, t in trans.items():
        kind, first, last, m, extra = t
        if kind == "dissolve":
            n = extra
            for j in range(n):
                ops[first + j] = ("dissolve", (j + 1) / (n + 1), k - 1)
        elif kind.startswith("fade"):
            n1, h, n2 = extra
            col = 0 if kind == "fade_black" else 255
            for j in range(n1):
                ops[first + j] = ("fade", 1.0 - (j + 1) / n1, col)
            for j in range(h):
                ops[first + n1 + j] = ("fade", 0.0, col)
            for j in range(n2):
                ops[first + n1 + h + j] = ("fade", (j + 1) / (n2 + 1), col)
    for f, l, kk in flashes:
        for i in range(f, l + 1):
            ops[i] = ("flash", kk)

    shots = []
    flash_shots = {next(p.index for p in plans if p.start <= f < p.end) for f, _, _ in flashes}
    for p, names_k in zip(plans, casts):
        d = p.draft
        props = {p.camera.kind, HOLD_NAMES[p.hold]}
        props.add(d.mode) if d.mode != "idle" else None
        if p.effects:
            props.add("effects")
        if d.look in ("night", "dark"):
            props.add(d.look)
        if p.letterbox:
            props.add("letterbox")
        if p.index in flash_shots:
            props.add("flash")
        if d.is_opening:
            props.add("opening")
        shots.append(HardShot(p.index, p.start, p.end, p.place.place_id, p.place.kind, p.place.outdoor,
                              tuple(names_k), p.camera.kind, p.hold, d.is_opening, frozenset(props)))
    transitions = []
    for k in range(1, len(plans)):
        kind, first, last, _, _ = trans[k]
        props = {kind, drafts[k].relation}
        for s in (shots[k - 1], shots[k]):
            props |= set(INHERITED) & s.properties
        transitions.append(Transition(k, kind, int(first), int(last), frozenset(props)))
    return Plan(shots, transitions, [(f, l) for f, l, _ in flashes], plans, ops, cast)
