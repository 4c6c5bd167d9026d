"""HardEpisode: the plan, per-frame truth, random-access rendering and fast iteration."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .compose import Compositor, Layers
from .effects import blend, toward
from .planner import Plan, plan
from .records import VISIBLE_SHARE, HardFrame, HardSpec, RenderedHard


class HardEpisode:
    """Everything known about one hard episode. Cheap to build; frames, pixels on demand."""

    def __init__(self, spec: HardSpec, p: Plan):
        self.spec = spec
        self.fps = float(spec.fps)
        self.n_frames = spec.n_frames
        self.shots = p.shots
        self.transitions = p.transitions
        self.flashes = p.flashes
        self._plan = p
        self._owner = np.repeat(np.arange(len(p.shots)), [s.n_frames for s in p.shots])
        self._comp = Compositor(spec.width, spec.height, p)
        self._frames: list[HardFrame] | None = None

    # -- truth --------------------------------------------------------------------------
    def cuts(self) -> list[tuple[int, int, frozenset]]:
        """(first, last, properties) of every transition, in order."""
        return [(t.first, t.last, t.properties) for t in self.transitions]

    def _sp(self, k: int):
        return self._plan.plans[k]

    def _visible(self, k: int, t: int) -> dict:
        """Visible pixel count per character for shot k at render offset t (cached)."""
        return self._comp.areas(self._sp(k), t)

    def _bkey(self, k: int, i: int) -> tuple:
        """Base key with characters that show no pixel left out (they cannot change pixels)."""
        sp = self._sp(k)
        t = i - sp.rstart
        idx, wkey, states, fx = self._comp.base_key(sp, t)
        vis = self._visible(k, t)
        return (idx, wkey, tuple(s for s in states if vis.get(s[0], 0) > 0), fx)

    def _frame_key(self, i: int) -> tuple:
        k = int(self._owner[i])
        op = self._plan.ops.get(i)
        if op is None:
            return ("n", self._bkey(k, i))
        if op[0] == "dissolve":
            a, k0 = op[1], op[2]
            return ("d", a, self._bkey(k0, i), self._bkey(k0 + 1, i))
        return (op[0], *op[1:], self._bkey(k, i))

    def _weight(self, i: int) -> float:
        op = self._plan.ops.get(i)
        if op is None:
            return 1.0
        if op[0] == "dissolve":
            return op[1] if int(self._owner[i]) == op[2] + 1 else 1.0 - op[1]
        if op[0] == "fade":
            return op[1]
        return 1.0 - op[1]

    @property
    def frames(self) -> list[HardFrame]:
        if self._frames is None:
            self._frames = self._build_frames()
        return self._frames

    def _build_frames(self) -> list[HardFrame]:
        out, prev_key, prev_w = [], None, None
        min_px = VISIBLE_SHARE * self.spec.width * self.spec.height
        names = {"dissolve": "dissolve", "fade": "fade", "flash": "flash"}
        for i in range(self.n_frames):
            k = int(self._owner[i])
            sp = self._sp(k)
            t = i - sp.rstart
            key = self._frame_key(i)
            wkey = self._comp.window_key(sp, t)
            moving = i > 0 and int(self._owner[i - 1]) == k and prev_w != wkey
            vis = self._visible(k, t) if self._weight(i) >= 0.5 else {}
            chars = tuple(n for n in self.shots[k].characters if vis.get(n, 0) >= min_px)
            op = self._plan.ops.get(i)
            out.append(HardFrame(i, i / self.fps, k, key == prev_key, bool(moving),
                                 names[op[0]] if op else None, chars))
            prev_key, prev_w = key, wkey
        return out

    # -- pixels -------------------------------------------------------------------------
    def _layers(self, k: int, i: int) -> Layers:
        sp = self._sp(k)
        return self._comp.layers(sp, i - sp.rstart)

    def _rgb_and_bg(self, i: int):
        """(rgb, background, own-shot layers) of frame i, transitions applied."""
        k = int(self._owner[i])
        op = self._plan.ops.get(i)
        own = self._layers(k, i)
        rgb, bg = own.rgb, own.background
        if op is not None:
            if op[0] == "dissolve":
                a, k0 = op[1], op[2]
                other = self._layers(k0 if k == k0 + 1 else k0 + 1, i)
                first, second = (other, own) if k == k0 + 1 else (own, other)
                rgb = blend(first.rgb, second.rgb, a)
                bg = blend(first.background, second.background, a)
            elif op[0] == "fade":
                rgb, bg = toward(rgb, op[2], op[1]), toward(bg, op[2], op[1])
            else:  # flash
                rgb, bg = toward(rgb, 255, 1.0 - op[1]), toward(bg, 255, 1.0 - op[1])
        return rgb, bg, own

    def render(self, i: int) -> RenderedHard:
        """Frame i (random access) with its clean background and truth masks."""
        if not 0 <= i < self.n_frames:
            raise IndexError(i)
        rgb, bg, own = self._rgb_and_bg(i)
        if bg is own.background:  # the compositor's cached window: hand out a copy
            bg = bg.copy()
        masks = {n: np.zeros(own.label.shape, bool) for n in self.shots[int(self._owner[i])].characters}
        for k, n in enumerate(own.names, start=1):
            masks[n] = own.label == k
        return RenderedHard(rgb, bg, masks, own.effects, own.letterbox)

    def iter_rgb(self) -> Iterator[np.ndarray]:
        """Every frame's rgb in order; a held frame yields the same array as its predecessor
        (do not modify the arrays)."""
        frames = self.frames
        last = None
        for i in range(self.n_frames):
            if frames[i].held and last is not None:
                yield last
                continue
            last, _, _ = self._rgb_and_bg(i)
            yield last

    def write(self, path, preset: str = "veryfast") -> "HardEpisode":
        """Encode to `path` (.mkv/.mp4): H.264, crf from the spec, yuv420p, exact fps."""
        from .encode import write_episode
        write_episode(self, path, preset)
        return self


def plan_hard_episode(spec: HardSpec) -> HardEpisode:
    """The episode's full plan, deterministic from `spec`; nothing is rendered yet."""
    return HardEpisode(spec, plan(spec))
