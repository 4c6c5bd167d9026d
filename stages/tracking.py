"""Linking one shot's character layers into tracks, frame by frame, without weights.

A layer in a frame continues a track whose last layer is at most `max_gap` frames (of the
shot's frames that show characters) back when the two agree: similar size (a merged pair of
touching characters is twice one of them), a plausible move (distance from where the track's
last velocity puts it, in character heights per frame), and, where both have vectors,
similar embeddings. Its score is the mean of mask overlap (IoU in frame pixels, the track's
mask moved by its velocity), how little it strayed and how similar it looks, less a little
per skipped frame. Links are made best first; a link is left open (the layer starts
a new track) when it is weak, or when another candidate scores nearly as well: on either
side, a close second means the layer or the track could be someone else's (two characters
crossing, one of them hidden).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property

import numpy as np


@dataclass
class ShotLayer:
    layer_id: str
    frame_id: str
    bbox: tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive)
    mask: np.ndarray  # bool, the bbox crop
    vector: np.ndarray | None  # L2-normalised embedding, or None

    @cached_property
    def area(self) -> int:
        return int(self.mask.sum())

    @cached_property
    def centre(self) -> np.ndarray:
        ys, xs = np.nonzero(self.mask)
        if len(xs) == 0:
            x0, y0, x1, y1 = self.bbox
            return np.array([(x0 + x1) / 2, (y0 + y1) / 2])
        return np.array([self.bbox[0] + xs.mean(), self.bbox[1] + ys.mean()])

    @property
    def height(self) -> int:
        return max(self.bbox[3] - self.bbox[1], 1)


@dataclass(frozen=True)
class LinkRules:
    max_gap: int = 2
    max_move: float = 1.0  # character heights per frame step
    min_size_ratio: float = 0.6
    max_embed_distance: float = 0.3
    min_score: float = 0.4
    ambiguity: float = 0.1


def mask_iou(a: ShotLayer, b: ShotLayer, shift: tuple[int, int] = (0, 0)) -> float:
    """IoU of the two masks in frame pixels, `a` moved by `shift` (dx, dy) first."""
    ab = (a.bbox[0] + shift[0], a.bbox[1] + shift[1], a.bbox[2] + shift[0], a.bbox[3] + shift[1])
    x0, y0 = max(ab[0], b.bbox[0]), max(ab[1], b.bbox[1])
    x1, y1 = min(ab[2], b.bbox[2]), min(ab[3], b.bbox[3])
    inter = 0
    if x1 > x0 and y1 > y0:
        ma = a.mask[y0 - ab[1]:y1 - ab[1], x0 - ab[0]:x1 - ab[0]]
        mb = b.mask[y0 - b.bbox[1]:y1 - b.bbox[1], x0 - b.bbox[0]:x1 - b.bbox[0]]
        inter = int((ma & mb).sum())
    union = a.area + b.area - inter
    return inter / union if union else 0.0


def link_score(a: ShotLayer, b: ShotLayer, gap: int, rules: LinkRules, velocity=None) -> float | None:
    """How well `b` continues a track ending in `a`, `gap` frames later, the track moving by
    `velocity` (px per frame, or None) meanwhile; None: it cannot."""
    area_a, area_b = a.area, b.area
    if min(area_a, area_b) < rules.min_size_ratio * max(area_a, area_b):
        return None
    shift = np.zeros(2) if velocity is None else velocity * gap
    move = float(np.linalg.norm(a.centre + shift - b.centre)) / max(a.height, b.height) / gap
    if move > rules.max_move:
        return None
    looks = 0.5  # no vectors: neither for nor against
    if a.vector is not None and b.vector is not None:
        dist = 1.0 - float(a.vector @ b.vector)
        if dist > rules.max_embed_distance:
            return None
        looks = 1.0 - dist / rules.max_embed_distance if rules.max_embed_distance > 0 else 1.0
    iou = mask_iou(a, b, (int(round(shift[0])), int(round(shift[1]))))
    return (iou + (1.0 - move / rules.max_move if rules.max_move > 0 else 1.0) + looks) / 3.0 \
        - 0.1 * (gap - 1)


def track_id(first_layer_id: str) -> str:
    """A track is named after its first layer: the same layers give the same id on any rerun."""
    return "t" + hashlib.sha256(first_layer_id.encode()).hexdigest()[:15]


def link_shot(layers: list[ShotLayer], rules: LinkRules) -> dict[str, str]:
    """layer_id -> track id for one shot's layers (frames in frame id order: time order)."""
    frames: dict[str, list[ShotLayer]] = {}
    for lay in sorted(layers, key=lambda x: (x.frame_id, x.layer_id)):
        frames.setdefault(lay.frame_id, []).append(lay)
    tracks: list[list] = []  # [first layer id, last layer, its frame position, velocity (px per frame) or None]
    out: dict[str, str] = {}
    for pos, fid in enumerate(sorted(frames)):
        here = frames[fid]
        open_tracks = [t for t in tracks if pos - t[2] <= rules.max_gap]
        scores = np.full((len(open_tracks), len(here)), -np.inf)
        for i, t in enumerate(open_tracks):
            for j, lay in enumerate(here):
                s = link_score(t[1], lay, pos - t[2], rules, t[3])
                if s is not None:
                    scores[i, j] = s
        linked = _links(scores, rules)
        for j, lay in enumerate(here):
            if j in linked:
                t = open_tracks[linked[j]]
                t[1], t[2], t[3] = lay, pos, (lay.centre - t[1].centre) / (pos - t[2])
            else:
                t = [lay.layer_id, lay, pos, None]
                tracks.append(t)
            out[lay.layer_id] = track_id(t[0])
    return out


def _links(scores: np.ndarray, rules: LinkRules) -> dict[int, int]:
    """layer index -> track index: best pairs first, a pair taken only when it is strong and
    no other free track (for the layer) or free layer (for the track) comes close."""
    out: dict[int, int] = {}
    if scores.size == 0:
        return out
    used_t, used_l = set(), set()
    pairs = zip(*np.nonzero(np.isfinite(scores)))
    order = sorted(((scores[i, j], i, j) for i, j in pairs), key=lambda x: (-x[0], x[1], x[2]))
    for s, i, j in order:
        if i in used_t or j in used_l:
            continue
        if s < rules.min_score:
            break
        others_t = [scores[k, j] for k in range(scores.shape[0]) if k != i and k not in used_t]
        others_l = [scores[i, k] for k in range(scores.shape[1]) if k != j and k not in used_l]
        if any(o > s - rules.ambiguity for o in others_t + others_l):
            # ambiguous: neither is linked here (the layer starts a track, the track may go on later)
            used_t.add(i)
            used_l.add(j)
            continue
        out[j] = i
        used_t.add(i)
        used_l.add(j)
    return out
