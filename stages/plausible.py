"""Could this region be a character? Shape and plate checks applied to every segmented region,
whatever the backend, so that strips, hollow rings and pieces of background never become
character layers.

- thin strip: the thickest point (largest inscribed circle, from the distance transform) is
  under `min_thickness` of the frame height, or the region is over `max_aspect` times longer
  than that thickness (edges of a background that moved, seams);
- mostly holes: holes make up over `max_holes` of the filled shape (rings, frames);
- low solidity: area under `min_solidity` of the convex hull (scattered specks joined up);
- matches the plate: with a background plate, over `max_plate_match` of the region's pixels
  are within the tolerance of the plate (noise, a small exposure change);
- ghost: with a plate, its outline is an edge in the plate and not in the frame (a character
  that was in the plate and has left; stages/ghosts.py);
- where the plate is unsure: most of the region lies where the shot's frames disagree with
  the plate (a background that moved: a follow pan or zoom with still characters, a camera
  settling); a character walking across a still background passes each pixel briefly, so
  the plate is sure behind it;
- background that moved: with a plate, the region matches the plate a few px away (a camera
  move the motion check missed); a character matches it nowhere.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from celvault.settings import setting

MOVED_BACKGROUND = "background that moved"
UNSURE_PLATE = "where the plate is unsure (the shot's frames disagree there: background that moved)"


@dataclass(frozen=True)
class Plausibility:
    """stages.segment.plausible: regions that cannot be a character are dropped."""

    enabled: bool = setting(True, "drop regions that cannot be a character (counted per reason)")
    min_thickness: float = setting(0.02, "thickest point (inscribed circle) under this fraction of the frame "
                                         "height: a strip", min=0, max=1)
    max_aspect: float = setting(9.0, "longer than this many times its thickness: a strip", min=0)
    max_holes: float = setting(0.5, "holes over this share of the filled shape: a ring", min=0, max=1)
    min_solidity: float = setting(0.2, "area under this share of its convex hull: scattered specks", min=0, max=1)
    max_plate_match: float = setting(0.5, "with a plate: over this share of pixels within `tolerance` of it "
                                           "(or of it shifted): background", min=0, max=1)
    max_unsure: float = setting(0.5, "with a plate: regions mostly where the shot's frames disagree with it "
                                     "are dropped", min=0, max=1)
    tolerance: int = setting(24, "a pixel matches the plate within this (0-255)", min=0, max=255)
    ghost_ratio: float = setting(1.5, "outline this much stronger in the plate than the frame: a ghost", min=0)
    max_shift: float = setting(0.2, "shifts (share of the frame width) tried by the moved-background check",
                               min=0, max=1)

    def params(self) -> dict:
        return asdict(self)


def _crop(mask: np.ndarray, pad: int = 2):
    ys, xs = np.nonzero(mask)
    y0, y1 = max(0, ys.min() - pad), min(mask.shape[0], ys.max() + 1 + pad)
    x0, x1 = max(0, xs.min() - pad), min(mask.shape[1], xs.max() + 1 + pad)
    return slice(y0, y1), slice(x0, x1)


def _padded(bbox, shape, pad: int = 2):
    """`_crop`'s slices from a known tight bbox."""
    x0, y0, x1, y1 = bbox
    return slice(max(0, y0 - pad), min(shape[0], y1 + pad)), slice(max(0, x0 - pad), min(shape[1], x1 + pad))


def shape_reason(mask: np.ndarray, frame_height: int, p: Plausibility) -> str | None:
    """Why a region's shape cannot be a character, or None. `mask` may be a crop."""
    import cv2

    m = mask.astype(np.uint8)
    area = int(m.sum())
    if not area:
        return "empty"
    padded = cv2.copyMakeBorder(m, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    thickness = 2.0 * float(cv2.distanceTransform(padded, cv2.DIST_L2, 5).max())
    # the hull of the outer outlines is the hull of every pixel, and both the rectangle and
    # the solidity need only the hull: a few hundred points instead of every pixel's
    outlines, _ = cv2.findContours(m, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    hull = cv2.convexHull(np.concatenate(outlines))
    (_, _), (rw, rh), _ = cv2.minAreaRect(hull)
    if thickness < p.min_thickness * frame_height or max(rw, rh) > p.max_aspect * max(thickness, 1.0):
        return "thin strip"
    # holes: what flood-filling the outside leaves unreached, beyond the region itself
    outside = padded.copy()
    cv2.floodFill(outside, None, (0, 0), 2)
    filled = int((outside != 2).sum())
    if filled and (filled - area) / filled > p.max_holes:
        return "mostly holes"
    hull_area = float(cv2.contourArea(hull))
    if hull_area > 0 and area / hull_area < p.min_solidity:
        return "low solidity"
    return None


def judge(mask: np.ndarray, rgb: np.ndarray, p: Plausibility, plate: np.ndarray | None = None,
          seen: np.ndarray | None = None, bbox: tuple[int, int, int, int] | None = None) -> str | None:
    """Why a region (HxW bool, frame coordinates) cannot be a character, or None to keep it.
    `seen`: where the plate is reliable (most of the shot's frames agree with it there);
    `bbox`: the region's tight (x0, y0, x1, y1) when known (spares a scan of the frame)."""
    if not p.enabled:
        return None
    ys, xs = _crop(mask) if bbox is None else _padded(bbox, mask.shape)
    crop = mask[ys, xs]
    why = shape_reason(crop, mask.shape[0], p)
    if why or plate is None or plate.shape != rgb.shape:
        return why
    from .ghosts import edges, outline_ratio
    from .plate import difference

    if seen is not None and seen.shape == mask.shape and float((~seen[mask]).mean()) > p.max_unsure:
        return UNSURE_PLATE

    pad = 4
    ys = slice(max(0, ys.start - pad), min(mask.shape[0], ys.stop + pad))
    xs = slice(max(0, xs.start - pad), min(mask.shape[1], xs.stop + pad))
    crop, f, b = mask[ys, xs], rgb[ys, xs], plate[ys, xs]
    if float((difference(f, b)[crop] <= p.tolerance).mean()) > p.max_plate_match:
        return "matches the plate"
    if outline_ratio(crop, edges(f), edges(b)) >= p.ghost_ratio:
        return "ghost (outline in the plate, not the frame)"
    if p.max_shift and shifted_background(mask, rgb, plate, p, int(round(p.max_shift * mask.shape[1]))):
        return f"{MOVED_BACKGROUND} (matches the plate shifted)"
    return None


def shifted_background(mask: np.ndarray, rgb: np.ndarray, plate: np.ndarray, p: Plausibility, radius: int) -> bool:
    """Whether the region's pixels match the plate somewhere up to `radius` px away: background
    the camera moved (a pan, zoom or shake the motion check missed, a follow pan whose still
    characters hid the move), not a character, which matches it nowhere."""
    agree, _ = rigid_match(mask, rgb, plate, p.tolerance, radius)
    return agree > p.max_plate_match


def rigid_match(mask: np.ndarray, rgb: np.ndarray, ref: np.ndarray, tolerance: int, radius: int,
                work_width: float = 320.0) -> tuple[float, tuple[int, int]]:
    """(share of the region's pixels within half `tolerance` of `ref` at the best shift other
    than none, that shift in px of the frame) - a masked template match at about
    `work_width` px wide. Background moved rigidly matches almost exactly (half the
    tolerance); a character over a dark background is only loosely like some other patch."""
    import cv2

    scale = min(1.0, work_width / mask.shape[1])
    if scale < 1.0:
        size = (max(1, round(mask.shape[1] * scale)), max(1, round(mask.shape[0] * scale)))
        mask = cv2.resize(mask.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0
        rgb, ref = (cv2.resize(x, size, interpolation=cv2.INTER_AREA) for x in (rgb, ref))
        radius = max(1, round(radius * scale))
    if not mask.any():
        return 0.0, (0, 0)
    ys, xs = _crop(mask, 0)
    tpl, tmask = rgb[ys, xs].astype(np.float32), mask[ys, xs]
    y0, x0 = max(0, ys.start - radius), max(0, xs.start - radius)
    window = ref[y0:min(ref.shape[0], ys.stop + radius), x0:min(ref.shape[1], xs.stop + radius)]
    if window.shape[0] < tpl.shape[0] or window.shape[1] < tpl.shape[1]:
        return 0.0, (0, 0)
    weights = np.repeat(tmask[..., None], 3, axis=2).astype(np.float32)
    cost = cv2.matchTemplate(window.astype(np.float32), tpl, cv2.TM_SQDIFF, mask=weights)
    cost[ys.start - y0, xs.start - x0] = np.inf  # where it is: known to differ
    iy, ix = np.unravel_index(int(np.argmin(cost)), cost.shape)
    there = window[iy:iy + tpl.shape[0], ix:ix + tpl.shape[1]].astype(np.int16)
    agree = np.abs(there - tpl.astype(np.int16)).max(axis=2) <= tolerance // 2
    shift = (round((x0 + ix - xs.start) / scale), round((y0 + iy - ys.start) / scale))
    return float(agree[tmask].mean()), shift
