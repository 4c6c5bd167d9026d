"""Per-probe features and the frame-to-frame measures the adaptive cut detector judges.

Every probe (160x90 RGB) becomes a small `Features` record: grey and HSV at half size, a
Canny edge map, mean luma and saturation, the full-probe grey used by the held-frame test,
a 32x18 grey for the blend test and a 4x4 grid of colour histograms. Measures between two
records: colour content (mean |HSV delta|, PySceneDetect's content value), the share of
pixels whose grey level changed, the edge change ratio (edges of one frame with no edge near
them in the other), and the regions measure (mean histogram distance over the grid's cells:
a cut changes most cells at once, effects, a walking character or a close-up's gesture a few,
pans shift them little). `combined` folds them into one number where ~1 means "a clear cut"
(half pixel measures, half regions). `blend_residual` says how far a frame is, at 32x18, from
the time-weighted blend of two others: small for dissolves and fade ramps (even under shake
or a slow zoom, which that size averages out), ~1 for motion.

Bad at: flat frames with almost no edges (the edge measure then says nothing and is left
out), global lighting ramps (they look like a blend), and very small frames (< 32 px).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

CHANGED_DELTA = 25.0     # a half-size grey pixel "changed" when it moved more than this
EDGE_MIN_PIXELS = 12     # fewer edge pixels than this: the edge measure is not used
NORM_CONTENT, NORM_CHANGED, NORM_EDGES = 30.0, 0.45, 0.55  # each measure's "clear cut" level
GRID = 4                 # regions: GRID x GRID cells, each with its own colour histogram
NORM_REGIONS = 0.3       # mean cell histogram distance of a clear cut
REGION_WEIGHT = 0.5      # share of the combined measure that is the regions' measure
_HUE_BINS, _VAL_BINS = 12, 4
_CODES = _HUE_BINS * _VAL_BINS + _VAL_BINS  # coloured (hue x value) + grey (value)
_KERNEL = np.ones((3, 3), np.uint8)
TINY = (32, 18)


@dataclass
class Features:
    grey_full: np.ndarray   # int16, probe size (held test)
    grey: np.ndarray        # float32, half size, lightly blurred
    hsv: np.ndarray         # int16, half size
    edges: np.ndarray       # bool, half size
    edges_wide: np.ndarray  # bool, edges dilated by one pixel
    flat: np.ndarray        # bool, half size: no edge within two pixels
    luma: float
    sat: float
    cells: np.ndarray       # float32 [GRID*GRID, _CODES]: each cell's colour histogram (sums to 1)
    tiny: np.ndarray        # float32 grey, TINY size: the blend test (small motion averages out)


def features(probe_rgb: np.ndarray) -> Features:
    probe_rgb = np.ascontiguousarray(probe_rgb)
    h, w = probe_rgb.shape[:2]
    small = cv2.resize(probe_rgb, (max(w // 2, 8), max(h // 2, 8)), interpolation=cv2.INTER_AREA)
    grey_full = cv2.cvtColor(probe_rgb, cv2.COLOR_RGB2GRAY)
    grey_small = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
    hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV)
    edges = cv2.Canny(grey_small, 60, 140) > 0
    edges_wide = cv2.dilate(edges.view(np.uint8), _KERNEL) > 0
    return Features(
        grey_full=grey_full.astype(np.int16),
        grey=cv2.GaussianBlur(grey_small, (3, 3), 0).astype(np.float32),
        hsv=hsv.astype(np.int16),
        edges=edges, edges_wide=edges_wide, flat=cv2.dilate(edges_wide.view(np.uint8), _KERNEL) == 0,
        luma=float(grey_full.mean()), sat=float(hsv[..., 1].mean()), cells=cell_histograms(probe_rgb),
        tiny=cv2.resize(grey_small, TINY, interpolation=cv2.INTER_AREA).astype(np.float32),
    )


def cell_histograms(rgb: np.ndarray) -> np.ndarray:
    """Per cell of a GRID x GRID split: histogram of hue x value (pixels with colour) and of
    value alone (grey pixels). A cut replaces most cells' colours at once; motion, effects and
    a walking character change a few cells, pans shift them only a little."""
    h, w = rgb.shape[:2]
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    hue = hsv[..., 0].astype(np.int32) * _HUE_BINS // 180
    val = hsv[..., 2].astype(np.int32) * _VAL_BINS // 256
    code = np.where(hsv[..., 1] > 50, hue * _VAL_BINS + val, _HUE_BINS * _VAL_BINS + val)
    cell = (np.arange(h)[:, None] * GRID // h) * GRID + (np.arange(w)[None, :] * GRID // w)
    counts = np.bincount((cell * _CODES + code).ravel(), minlength=GRID * GRID * _CODES)
    counts = counts.reshape(GRID * GRID, _CODES).astype(np.float32)
    return counts / np.maximum(counts.sum(1, keepdims=True), 1.0)


def is_held(a: Features, b: Features, delta: float, fraction: float) -> bool:
    """`b` repeats `a`: fewer than `fraction` of probe pixels moved more than `delta` grey levels."""
    return float((np.abs(b.grey_full - a.grey_full) > delta).mean()) < fraction


@dataclass(frozen=True)
class Measures:
    content: float   # mean |HSV delta|, 0-255
    changed: float   # share of pixels that changed, 0-1
    edges: float     # edge change ratio, 0-1 (or -1 when neither frame has edges)
    regions: float   # mean histogram distance over the grid's cells, 0-1

    def combined(self) -> float:
        parts = [min(self.content / NORM_CONTENT, 2.0), min(self.changed / NORM_CHANGED, 2.0)]
        if self.edges >= 0:
            parts.append(min(self.edges / NORM_EDGES, 2.0))
        pixels = sum(parts) / len(parts)
        return float((1 - REGION_WEIGHT) * pixels + REGION_WEIGHT * min(self.regions / NORM_REGIONS, 2.0))


def _content(a: np.ndarray, b: np.ndarray) -> float:
    """Mean |HSV delta|; hue counts only where both pixels have colour (it is noise on dark or
    grey pixels) and is taken the short way round the circle."""
    d = np.abs(b - a)
    dh = np.minimum(d[..., 0], 180 - d[..., 0]) * 255 // 180
    coloured = (np.minimum(a[..., 1], b[..., 1]) > 40) & (np.minimum(a[..., 2], b[..., 2]) > 40)
    return float((dh * coloured).mean() + d[..., 1].mean() + d[..., 2].mean()) / 3.0


def measures(a: Features, b: Features) -> Measures:
    content = _content(a.hsv, b.hsv)
    changed = float((np.abs(b.grey - a.grey) > CHANGED_DELTA).mean())
    na, nb = int(a.edges.sum()), int(b.edges.sum())
    if max(na, nb) < EDGE_MIN_PIXELS:
        edge = -1.0
    else:
        exiting = float((a.edges & ~b.edges_wide).sum()) / max(na, 1)
        entering = float((b.edges & ~a.edges_wide).sum()) / max(nb, 1)
        edge = max(exiting, entering)
    regions = float(0.5 * np.abs(b.cells - a.cells).sum(1).mean())
    return Measures(content, changed, edge, regions)


def blend_residual(a: Features, ta: int, m: Features, tm: int, b: Features, tb: int) -> tuple[float, float]:
    """(residual ratio, span): how far `m` is from the blend of `a` and `b` at its place in time,
    relative to how much `a` and `b` differ; span is that difference (mean grey levels)."""
    k = (tm - ta) / max(tb - ta, 1)
    diff = b.tiny - a.tiny
    span = float(np.abs(diff).mean())
    resid = float(np.abs(m.tiny - (a.tiny + k * diff)).mean())
    return resid / max(span, 1e-3), span


def flat_change_share(a: Features, b: Features) -> float:
    """Share of the grey change between `a` and `b` that lies away from edges in both: high
    for dissolves and fades (flat areas change colour), low for pans and zooms."""
    d = np.abs(b.grey - a.grey)
    total = float(d.sum())
    return float(d[a.flat & b.flat].sum()) / total if total > 0 else 0.0
