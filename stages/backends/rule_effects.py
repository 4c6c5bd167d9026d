"""`rule`: effects found by a colour/brightness rule, no weights (offline profile, tests).

Additive sparkles and white speed lines are thin, bright, unsaturated strokes over whatever
is behind them: a pixel is an effect pixel when its darkest channel is at least `bright` and
it stands out by `contrast` from a morphological opening of that channel (a white top-hat
with a window of `window` x the frame height, wider than any stroke). Connected strokes that
are long and thin are `speed lines`, the rest `sparkles`; only those two effects of the
vocabulary are reported. With `temporal` (default) and a shot of at least 3 kept frames, a
pixel must also stand out by `contrast` from the median of the shot's frames (up to 9): what
stays put over the shot (lane markings, window frames, clouds) is scenery, not an effect,
while drawn effects move or flicker from drawing to drawing. A panning shot's median is
smeared, so there the rule falls back to what one frame shows.

Where it means nothing: any bright thin detail is an "effect" to it (eye highlights, white
hair strands, lit window frames, text), dark speed lines, coloured glows, smoke, explosions
and rain are invisible to it, and a stroke over a white background does not stand out.
It is a stand-in for the synthetic episodes, not a detector for real footage.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from celvault.registry import register
from celvault.settings import setting

from .effect_finders import EffectFinder

SPARKLES, SPEED_LINES = "sparkles", "speed lines"


@dataclass(frozen=True)
class RuleEffectSettings:
    bright: int = setting(120, "darkest channel (0-255) an effect pixel reaches at least", min=0, max=255)
    contrast: int = setting(40, "how much (0-255) it stands out from the opened image around it", min=1, max=255)
    window: float = setting(0.05, "opening window, a fraction of the frame height (wider than a stroke)",
                            min=0.005, max=0.5)
    line_ratio: float = setting(6.0, "a stroke this many times longer than thick is a speed line", min=1.0)
    temporal: bool = setting(True, "also stand out from the median of the shot's kept frames (3 or more): "
                                   "scenery that stays put is not an effect")


SHOT_FRAMES = 9  # frames of a shot the median is taken over


def effect_pixels(rgb: np.ndarray, bright: int, contrast: int, window: float) -> np.ndarray:
    """Thin, bright, unsaturated pixels (bool HxW)."""
    low = rgb.min(axis=2)
    k = max(3, int(round(window * rgb.shape[0])) | 1)
    opened = cv2.morphologyEx(low, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    return (low >= bright) & (cv2.subtract(low, opened) >= contrast)


def split_kinds(mask: np.ndarray, line_ratio: float) -> tuple[np.ndarray, np.ndarray]:
    """(sparkle pixels, speed-line pixels): long thin strokes are lines."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    line = np.zeros(n, bool)
    for i in range(1, n):
        area, w, h = stats[i, cv2.CC_STAT_AREA], stats[i, cv2.CC_STAT_WIDTH], stats[i, cv2.CC_STAT_HEIGHT]
        length = float(np.hypot(w, h))
        line[i] = length >= line_ratio * max(1.0, area / max(length, 1.0)) and length >= 0.05 * mask.shape[0]
    is_line = line[labels] & mask
    return mask & ~is_line, is_line


@register("effect_finder", "rule", settings=RuleEffectSettings)
class RuleEffects(EffectFinder):
    def __init__(self, settings=None, run=None):
        super().__init__(settings, run)
        self._median: tuple | None = None  # (episode, shot) -> the darkest channel's median over the shot

    @property
    def needs_shot_frames(self) -> bool:
        return bool(self.options.temporal)

    def shot_median(self, episode_id: str, shot_index: int, shape) -> np.ndarray | None:
        if not self.options.temporal or self.shot_frames is None:
            return None
        key = (episode_id, shot_index)
        if self._median is None or self._median[0] != key:
            lows = [rgb.min(axis=2) for _, rgb in self.shot_frames(episode_id, shot_index, SHOT_FRAMES)]
            lows = [v for v in lows if v.shape == lows[0].shape] if lows else []
            med = np.median(np.stack(lows), axis=0).astype(np.uint8) if len(lows) >= 3 else None
            self._median = (key, med)
        med = self._median[1]
        return med if med is not None and med.shape == tuple(shape) else None

    def find(self, frames, vocabulary):
        o = self.options
        wanted = set(vocabulary.names)
        out = []
        for f in frames:
            hit = effect_pixels(f.rgb, o.bright, o.contrast, o.window)
            med = self.shot_median(f.episode_id, f.shot_index, hit.shape)
            if med is not None:
                hit &= cv2.subtract(f.rgb.min(axis=2), med) >= o.contrast
            sparkle, line = split_kinds(hit, o.line_ratio)
            maps = {SPARKLES: sparkle, SPEED_LINES: line}
            out.append({k: v.astype(np.float32) for k, v in maps.items() if k in wanted})
        return out

    def prompt_of(self, effect) -> str:
        return f"rule: {effect.name}"
