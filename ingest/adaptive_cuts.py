"""The `adaptive` shot detector: several measures, each frame judged against its neighbours.

Frames that repeat the last distinct frame (held: anime on twos and threes, still shots) are
set aside first; everything else works on the sequence of distinct frames ("entries"), with a
lookahead of `LOOKAHEAD` entries:
- hard cut: the combined measure (colour content, share of changed pixels, edge change; see
  shot_measures) towards the previous clean entry is at least `adaptive_ratio` times the mean
  of its neighbours' and at least `min_score` (PySceneDetect AdaptiveDetector's idea, on more
  than colour, so a cut between two similar rooms still shows as a spike while pans, zooms,
  shake and walking characters change every frame alike);
- flash: 1-3 frames much brighter than the frames around them, after which the picture is
  what it was before: skipped, no cut; a cut hidden behind a flash is still found;
- dissolve and fade ramps: frames that are the time-weighted blend of their neighbours are
  skipped, one boundary for the run (only when the pictures before and after differ);
- fades through black or white: blank frames are skipped and the first frame after them
  starts a shot (kept even while it fades in, as before).
Reports `boundaries` (frame index of each cut, the middle of a transition) for scoring.

Bad at: dissolves between two very similar pictures (no evidence to find), dissolves shorter
than ~4 frames (seen as a soft cut or not at all), slow global lighting changes (read as a
dissolve: one spurious boundary), two cuts closer than `min_shot_s`, cuts between two dark
shots of the same palette or reverse shots during a pan (each ~1 in 20 on the hard
evaluation set: the combined measure stays under `min_score`).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from .shot_measures import Features, blend_residual, features, flat_change_share, is_held, measures

LOOKAHEAD = 5
WINDOW = 3            # neighbours on each side for the adaptive ratio
BLEND_STEPS = (2, 4)  # entry distances tried by the blend test
FLASH_MAX_FRAMES = 3
FLAT_SHARE = 0.05     # share of a blend's change that must lie in flat areas
FADE_IN_MAX_S = 0.75  # a fade-in ramp after black or white lasts at most this long


@dataclass
class FrameLabel:
    index: int
    t: float
    shot: int
    new_shot: bool
    skip: bool   # transition frame (black, white, flash, blend): never kept
    held: bool   # repeats the previous distinct frame: never kept


@dataclass
class _Entry:
    index: int
    t: float
    feat: Features
    blank: bool
    step: float | None = None    # combined measure towards the previous entry
    blend: bool | None = None
    flash: bool = False
    no_cut: bool = False
    label: FrameLabel | None = None


class AdaptiveCutDetector:
    def __init__(self, params):
        self.p = params
        self.shot = -1
        self.boundaries: list[int] = []
        self._raw: deque = deque()        # [index, t, entry or None (held)]
        self._entries: list[_Entry] = []  # kept context on the left + undecided on the right
        self._next = 0                    # position in _entries of the next entry to decide
        self._index = -1
        self._state = None                # None | "blend" | "blank" | "after_blank"
        self._trans_start = 0
        self._pre_trans: _Entry | None = None
        self._last_clean: _Entry | None = None
        self._last_cut_t = -1e9
        self._fade_in_t = -1e9            # time of the first frame after a blank run
        self._emit_shot = 0
        self.want_frame = False  # whether the frame just pushed may be kept (the driver holds it)

    # -- streaming ----------------------------------------------------------------------
    def push(self, probe_rgb: np.ndarray, t: float) -> list[FrameLabel]:
        self._index += 1
        feat = features(probe_rgb)
        last = self._entries[-1] if self._entries else None
        if last is not None and is_held(last.feat, feat, self.p.held_delta, self.p.held_fraction):
            self._raw.append([self._index, t, None])
            self.want_frame = False
        else:
            self.want_frame = True
            flat = float(feat.grey.std()) < 8.0  # a dark or bright scene still has structure
            blank = flat and (feat.luma < self.p.black_level or (feat.luma > self.p.white_level and feat.sat < 40))
            e = _Entry(self._index, t, feat, blank)
            self._entries.append(e)
            self._raw.append([self._index, t, e])
        out = []
        while self._next + LOOKAHEAD < len(self._entries):
            self._decide(self._next)
            self._next += 1
        out.extend(self._emit())
        self._trim()
        return out

    def finish(self) -> list[FrameLabel]:
        while self._next < len(self._entries):
            self._decide(self._next)
            self._next += 1
        return self._emit()

    def undecided_index(self) -> int:
        """Frame index of the first frame whose label is not out yet (for the driver)."""
        return self._raw[0][0] if self._raw else self._index + 1

    def _emit(self) -> list[FrameLabel]:
        out = []
        while self._raw:
            index, t, e = self._raw[0]
            if e is None:  # held: belongs to the shot of the entry before it
                out.append(FrameLabel(index, t, self._emit_shot, False, False, True))
            elif e.label is None:
                break
            else:
                out.append(e.label)
                self._emit_shot = e.label.shot
            self._raw.popleft()
        return out

    def _trim(self) -> None:
        keep_left = WINDOW + max(BLEND_STEPS) + FLASH_MAX_FRAMES + 1
        drop = self._next - keep_left
        if drop > 0:
            del self._entries[:drop]
            self._next -= drop

    # -- per-entry evidence -------------------------------------------------------------
    def _step(self, j: int) -> float:
        e = self._entries[j]
        if e.step is None:
            e.step = 0.0 if j == 0 else measures(self._entries[j - 1].feat, e.feat).combined()
        return e.step

    def _side_means(self, j: int, skip: set[int]) -> tuple[float, float]:
        """Mean measure of the neighbours before and after entry j (0 where there are none)."""
        def mean(rng):
            vals = [self._step(i) for i in rng if i not in skip and not self._entries[i].blank]
            return float(np.mean(vals)) if vals else 0.0
        return (mean(range(max(1, j - WINDOW), j)),
                mean(range(j + 1, min(len(self._entries), j + WINDOW + 1))))

    def _is_blend(self, j: int) -> bool:
        e = self._entries[j]
        if e.blend is None:
            verdicts = [self._blend_at(j, k) for k in BLEND_STEPS]
            verdicts = [v for v in verdicts if v is not None]
            e.blend = any(verdicts)
        return e.blend

    def _blend_at(self, j: int, k: int) -> bool | None:
        lo, hi = max(j - k, 0), min(j + k, len(self._entries) - 1)
        if hi - j < 1 or j - lo < 1 or (hi - lo < 2 * k and k > min(BLEND_STEPS)):
            return None
        a, e, b = self._entries[lo], self._entries[j], self._entries[hi]
        # every entry in the window lies on the blend, not only the middle one
        for m in range(lo + 1, hi):
            x = self._entries[m]
            r, span = blend_residual(a.feat, a.index, x.feat, x.index, b.feat, b.index)
            if span < self.p.blend_span or r > self.p.blend_residual:
                return False
        part_a = float(np.abs(e.feat.grey - a.feat.grey).mean())
        part_b = float(np.abs(b.feat.grey - e.feat.grey).mean())
        # pans and zooms over soft pictures are nearly linear too, but change only near edges
        return min(part_a, part_b) >= 0.15 * span and flat_change_share(a.feat, b.feat) >= FLAT_SHARE

    def _is_cut(self, score: float, j: int, skip: set[int]) -> bool:
        # a cut stands out from at least one side by `adaptive_ratio` (motion may fill the other
        # shot) and from both by half of it (a pan or zoom that starts is as strong after as at it)
        lo, hi = sorted(self._side_means(j, skip))
        return (score >= self.p.min_score and score >= self.p.adaptive_ratio * lo
                and score >= 0.5 * self.p.adaptive_ratio * hi)

    def _mark_flash(self, j: int) -> None:
        """Entries j.. (1-3 frames) brighter than before and after, with the picture back after."""
        es = self._entries
        if j == 0 or self._state is not None or self._last_clean is None:
            return
        pre = self._last_clean
        jump = self.p.flash_jump
        # the bright run follows `pre` directly (held frames before it are fine: a still shot)
        # and lasts at most FLASH_MAX_FRAMES frames
        if es[j - 1] is not pre:
            return
        bright = [m for m in range(j, min(j + FLASH_MAX_FRAMES, len(es)))
                  if es[m].feat.luma >= pre.feat.luma + jump and es[m].index - es[j].index < FLASH_MAX_FRAMES]
        if not bright or bright[0] != j:
            return
        run_end = j
        while run_end + 1 in bright:
            run_end += 1
        post = run_end + 1
        if post >= len(es) or es[post].blank or es[post].feat.luma >= pre.feat.luma + jump / 2:
            return
        score = measures(pre.feat, es[post].feat).combined()
        if self._is_cut(score, j - 1, set(range(j, post + 1))):
            return  # the picture after the flash is another shot: a transition, not a flash
        for m in range(j, post):
            es[m].flash = True
        es[post].no_cut = True

    # -- the decision -------------------------------------------------------------------
    def _decide(self, j: int) -> None:
        e = self._entries[j]
        if not e.flash:
            self._mark_flash(j)
        new_shot, skip, cut_at = False, False, None
        if self._state == "after_blank" and e.t - self._fade_in_t > FADE_IN_MAX_S:
            self._state = None  # the fade-in is over: later blends are dissolves, not its ramp
        if e.flash:
            skip = True
        elif e.blank:
            if self._state not in ("blend", "blank"):
                self._trans_start = e.index
                self._pre_trans = self._last_clean
            self._state, skip = "blank", True
        elif self.shot < 0:
            new_shot, cut_at = True, e.index
            self._state = "after_blank" if self._state == "blank" else None
            self._fade_in_t = e.t
            self._last_clean = e
        elif self._state == "blank":
            new_shot, cut_at = True, (self._trans_start + e.index) // 2
            self._state = "after_blank"
            self._fade_in_t = e.t
            self._last_clean = e
        elif self._state == "after_blank" and any(self._is_blend(m) for m in range(j, min(j + 3, len(self._entries)))):
            self._last_clean = e  # still fading in (kept as before, but no cut test)
        elif self._is_blend(j):
            if self._state == "after_blank":
                self._last_clean = e
            elif self._state != "blend":
                self._state, skip = "blend", True
                self._trans_start, self._pre_trans = e.index, self._last_clean
            else:
                skip = True
        elif self._state == "blend" and (any(x.blank for x in self._entries[j + 1:j + 1 + LOOKAHEAD])
                                         or any(self._is_blend(m) for m in range(j + 1, min(j + 3, len(self._entries))))):
            skip = True  # between a fade ramp and black (or white), or the turn of a fade: still the transition
        elif self._state == "blend":
            pre = self._pre_trans
            if pre is not None and measures(pre.feat, e.feat).combined() >= self.p.min_score:
                new_shot, cut_at = True, (self._trans_start + e.index) // 2
            self._state = None
            self._last_clean = e
        else:
            if self._state is None and not e.no_cut and self._last_clean is not None:
                prev = self._last_clean
                score = measures(prev.feat, e.feat).combined() if prev is not self._entries[j - 1] else self._step(j)
                if self._is_cut(score, j, {j}) and e.t - self._last_cut_t >= self.p.min_shot_s:
                    new_shot, cut_at = True, e.index
            self._state = None
            self._last_clean = e
        if new_shot:
            self.shot += 1
            self.boundaries.append(cut_at)
            self._last_cut_t = e.t
        e.label = FrameLabel(e.index, e.t, max(self.shot, 0), new_shot, skip, False)
