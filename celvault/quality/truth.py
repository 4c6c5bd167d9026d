"""One view of an episode's ground truth, whichever generator made it.

Scoring code asks a :class:`TruthView` what a frame shows (shot, place, visible characters,
masks) and where the transitions are; adapters exist for the hard evaluation set
(`celvault.evalset.HardEpisode`) and for the demo's generator (`celvault.synthetic`).
Places are namespaced by episode, except a shared opening's, which is the same place in
every episode that carries it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np


@dataclass
class FrameView:
    shot: int
    place: str
    characters: tuple[str, ...]  # visible, sorted
    static: bool  # camera still in this shot
    walkers: bool  # some character moves in this (static) shot
    outdoor: bool
    opening: bool
    clean: bool  # not inside a transition or a flash


class TruthView:
    n_frames: int
    name: str

    def frame(self, i: int) -> FrameView:
        raise NotImplementedError

    def cut_spans(self) -> list[tuple[int, int, frozenset]]:
        raise NotImplementedError

    def flashes(self) -> list[tuple[int, int]]:
        return []

    def masks(self, i: int) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def background(self, i: int) -> np.ndarray:
        raise NotImplementedError


class HardTruth(TruthView):
    """Adapter over `celvault.evalset.HardEpisode`."""

    def __init__(self, ep, name: str):
        self.ep, self.name, self.n_frames = ep, name, ep.n_frames
        self._render = lru_cache(maxsize=4)(ep.render)

    def frame(self, i: int) -> FrameView:
        fr = self.ep.frames[i]
        shot = self.ep.shots[fr.shot]
        props = set(shot.properties)
        place = f"open:{shot.place_id}" if shot.is_opening else f"{self.name}:{shot.place_id}"
        return FrameView(fr.shot, place, tuple(sorted(fr.characters)), shot.camera == "static",
                         "walk" in props, bool(shot.outdoor), bool(shot.is_opening), fr.transition is None)

    def cut_spans(self):
        return [(int(a), int(b), frozenset(p)) for a, b, p in self.ep.cuts()]

    def flashes(self):
        return [(int(a), int(b)) for a, b in self.ep.flashes]

    def masks(self, i):
        return self._render(i).masks

    def background(self, i):
        return self._render(i).background


class SyntheticTruth(TruthView):
    """Adapter over `celvault.synthetic.EpisodeTruth` (the demo's and older tests' episodes)."""

    def __init__(self, truth, name: str):
        from celvault.synthetic import plan_episode

        if not any(f.bboxes for f in truth.frames):  # a plan not rendered yet: fill the visible boxes
            truth = plan_episode(truth.spec)
        self.truth, self.name, self.n_frames = truth, name, truth.n_frames
        self._rendered: dict[int, object] = {}

    def frame(self, i: int) -> FrameView:
        fr = self.truth.frames[i]
        shot = self.truth.shots[fr.shot]
        place = f"open:{shot.index}" if shot.is_opening else f"{self.name}:{shot.index}"
        plan = self.truth.plans[shot.index] if self.truth.plans else None
        walkers = bool(plan and any(t.vx for t in plan.tracks))
        return FrameView(fr.shot, place, tuple(sorted(fr.bboxes)), shot.static_camera, walkers,
                         shot.outdoor, shot.is_opening, fr.fade_factor == 1.0)

    def cut_spans(self):
        spans = []
        frames = self.truth.frames
        for s in self.truth.shots[1:]:
            a = s.start_frame
            first, last = a, a
            while first - 1 >= 0 and frames[first - 1].fade_factor < 1.0:
                first -= 1
            while last + 1 < self.n_frames and frames[last].fade_factor < 1.0:
                last += 1
            kind = "fade_black" if (first, last) != (a, a) else "plain"
            spans.append((first, last, frozenset({kind})))
        return spans

    def _render(self, i):
        from celvault.synthetic import render_frame

        if i not in self._rendered:
            if len(self._rendered) > 4:
                self._rendered.clear()
            self._rendered[i] = render_frame(self.truth.spec, self.truth, i)
        return self._rendered[i]

    def masks(self, i):
        return self._render(i).masks

    def background(self, i):
        return self._render(i).background
