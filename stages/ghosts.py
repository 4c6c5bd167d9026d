"""Ghosts: regions a frame differs from its plate in because the plate, not the frame, holds
a character (one that stood still for most of the shot, then left).

A real character's outline is an edge in the frame and not in the plate (the background
continues behind it); a ghost's outline is an edge in the plate only. `outline_ratio` compares
the two along the region's boundary. `repair_ghosts` replaces a plate's ghost pixels by what
the frames that show the character gone see there.
"""

from __future__ import annotations

import warnings

import numpy as np


def edges(rgb: np.ndarray) -> np.ndarray:
    """Gradient magnitude, the largest over the colour channels, HxW float32."""
    import cv2

    f = rgb.astype(np.float32)
    gx, gy = cv2.Sobel(f, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(f, cv2.CV_32F, 0, 1, ksize=3)
    return np.sqrt(gx * gx + gy * gy).max(axis=2)


def boundary(mask: np.ndarray, width: int = 2) -> np.ndarray:
    import cv2

    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * width + 1, 2 * width + 1))
    m = mask.astype(np.uint8)
    return (cv2.dilate(m, k) > 0) & ~(cv2.erode(m, k) > 0)


def outline_ratio(mask: np.ndarray, frame_edges: np.ndarray, plate_edges: np.ndarray) -> float:
    """Edge strength of the plate over that of the frame along the region's boundary: well
    above 1 for a ghost, well below for a character."""
    ring = boundary(mask)
    if not ring.any():
        return 0.0
    return float(plate_edges[ring].mean() + 1.0) / float(frame_edges[ring].mean() + 1.0)


def regions(rgb: np.ndarray, plate: np.ndarray, tolerance: int, min_area: int) -> list[np.ndarray]:
    """Connected regions where a frame differs from its plate (specks opened away)."""
    import cv2

    from .plate import difference

    diff = (difference(rgb, plate) > tolerance).astype(np.uint8)
    diff = cv2.morphologyEx(diff, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(diff, connectivity=8)
    return [labels == k for k in range(1, n) if stats[k, cv2.CC_STAT_AREA] >= min_area]


def repair_ghosts(plate: np.ndarray, frames: list[np.ndarray], tolerance: int, ratio: float,
                  min_area_fraction: float = 0.002) -> tuple[np.ndarray, np.ndarray | None]:
    """(plate with ghost pixels replaced by the median of the frames that show them empty,
    mask of the pixels replaced or None)."""
    h, w = plate.shape[:2]
    plate_edges = edges(plate)
    found: list[tuple[int, np.ndarray]] = []
    for i, rgb in enumerate(frames):
        frame_edges = None
        for r in regions(rgb, plate, tolerance, max(16, int(min_area_fraction * h * w))):
            frame_edges = edges(rgb) if frame_edges is None else frame_edges
            if outline_ratio(r, frame_edges, plate_edges) >= ratio:
                found.append((i, r))
    if not found:
        return plate, None
    count = np.zeros((h, w), np.int32)
    for _, r in found:
        count += r
    total = count >= min(2, len(frames) - 1)  # seen empty in two frames at least: not a one-off
    if not total.any():
        return plate, None
    ys, xs = np.nonzero(total)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    values = np.full((len(found), y1 - y0, x1 - x0, 3), np.nan, np.float32)
    for j, (i, r) in enumerate(found):
        crop = r[y0:y1, x0:x1] & total[y0:y1, x0:x1]
        values[j][crop] = frames[i][y0:y1, x0:x1][crop]
    fixed = plate.copy()
    with warnings.catch_warnings():  # pixels no ghost covers are all NaN; they are not used
        warnings.simplefilter("ignore", RuntimeWarning)
        patch = np.nanmedian(values, axis=0)
    inside = total[y0:y1, x0:x1]
    fixed[y0:y1, x0:x1][inside] = np.round(patch[inside]).astype(np.uint8)
    return fixed, total
