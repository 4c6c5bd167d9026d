"""Did the camera move between two frames? Robust block motion, judged on the background.

Frames are compared at a small working size, block by block. Only blocks with texture in
two directions vote (a flat wall or a single straight edge cannot show a shift). A block that
differs from the shot's reference background in both frames is foreground (a character) and
does not vote, so large characters walking across a still background do not count as camera
motion. A voting block is `still` when it matches the other frame where it is, `moved` when
it matches only somewhere else within `search` px. A pan, zoom or shake moves nearly every
background block, and their shifts agree on one similarity transform (RANSAC); shifts from
characters half in a block do not agree on anything.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

WORK_WIDTH = 320  # frames are compared at about this width
UNCHANGED = 0.6  # a camera that moved leaves fewer pixels than this the same (else: characters in step)


@dataclass(frozen=True)
class MotionSettings:
    block: int = 16  # block side, px at the working size
    search: int = 12  # largest shift looked for, px at the working size
    texture: float = 20.0  # smallest structure-tensor eigenvalue (summed over RGB) of a voting block
    match: float = 6.0  # mean |grey difference| under which a block matches
    min_votes: int = 4  # fewer voting blocks than this: the background is too flat to tell
    spread: float = 0.25  # a camera move shows over at least this share of the frame


@dataclass(frozen=True)
class PairMotion:
    still: int  # background blocks that stayed put
    moved: int  # background blocks whose shifts agree on one pan, zoom or shake (0: none does)
    voters: int  # textured background blocks that could vote
    unchanged: float = 0.0  # share of pixels the same in both frames

    def verdict(self, min_votes: int) -> str:
        """still, moved, flat (no texture: a move could not matter) or unsure (few blocks
        match anywhere: a fast move, a dissolve, or characters hiding the background)."""
        if self.voters < min_votes:
            return "flat"
        # most pixels unchanged and many blocks still: the blocks that moved are characters in step
        in_step = self.unchanged >= UNCHANGED and 2 * self.still >= self.moved
        if self.moved >= max(min_votes, self.still / 3) and not in_step:
            return "moved"
        if self.still >= min_votes and (self.still >= 2 * self.moved or in_step):
            return "still"
        return "unsure"


def working_grey(rgb: np.ndarray) -> np.ndarray:
    """The frame at about WORK_WIDTH wide, float32 RGB (colour kept: anime edges are often
    between colours of the same brightness), softened so that sharp edges shifted by a
    fraction of a pixel, or compressed, still match."""
    import cv2

    h, w = rgb.shape[:2]
    img = rgb
    if w > WORK_WIDTH:
        img = cv2.resize(rgb, (WORK_WIDTH, max(1, round(h * WORK_WIDTH / w))), interpolation=cv2.INTER_AREA)
    return cv2.GaussianBlur(img.astype(np.float32), (5, 5), 1.0)


def _blocks(a: np.ndarray, k: int) -> np.ndarray:
    h, w = (a.shape[0] // k) * k, (a.shape[1] // k) * k
    return a[:h, :w].reshape(h // k, k, w // k, k).swapaxes(1, 2)


def textured(grey: np.ndarray, s: MotionSettings) -> np.ndarray:
    """Per block: texture in two directions (smallest structure-tensor eigenvalue per pixel)."""
    import cv2

    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3, scale=0.125)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3, scale=0.125)
    if gx.ndim == 3:  # the structure tensor summed over the colour channels
        gxx, gxy, gyy = (gx * gx).sum(axis=2), (gx * gy).sum(axis=2), (gy * gy).sum(axis=2)
    else:
        gxx, gxy, gyy = gx * gx, gx * gy, gy * gy
    a, b, c = (_blocks(v, s.block).mean(axis=(2, 3)) for v in (gxx, gxy, gyy))
    lam = (a + c) / 2 - np.sqrt(((a - c) / 2) ** 2 + b * b)
    return lam >= s.texture


def differs(grey: np.ndarray, ref: np.ndarray, s: MotionSettings) -> np.ndarray:
    """Per block: mean |difference| to the reference above the match level (foreground)."""
    d = np.abs(grey - ref)
    d = d.max(axis=2) if d.ndim == 3 else d
    return _blocks(d, s.block).mean(axis=(2, 3)) > s.match


def _match(src: np.ndarray, dst: np.ndarray, y: int, x: int, s: MotionSettings) -> tuple[float, float, tuple]:
    """(mean |diff| where the block is, best mean |diff| within the search window, its shift)."""
    import cv2

    k, r = s.block, s.search
    tpl = src[y:y + k, x:x + k]
    y0, x0 = max(0, y - r), max(0, x - r)
    win = dst[y0:min(dst.shape[0], y + k + r), x0:min(dst.shape[1], x + k + r)]
    sq = cv2.matchTemplate(win, tpl, cv2.TM_SQDIFF)
    zero = float(np.abs(dst[y:y + k, x:x + k] - tpl).mean())
    iy, ix = np.unravel_index(int(np.argmin(sq)), sq.shape)
    best = float(np.abs(win[iy:iy + k, ix:ix + k] - tpl).mean())
    return zero, best, (x0 + ix - x, y0 + iy - y)


def _global_shift(a: np.ndarray, b: np.ndarray, search: int) -> tuple[int, int] | None:
    """The whole-frame shift from a to b by phase correlation, when beyond the block search."""
    import cv2

    if a.ndim == 3:
        a, b = a.mean(axis=2), b.mean(axis=2)
    window = cv2.createHanningWindow(a.shape[::-1], cv2.CV_32F)
    (dx, dy), _ = cv2.phaseCorrelate(np.ascontiguousarray(a, np.float32), np.ascontiguousarray(b, np.float32),
                                     window)  # copies: it may window its inputs in place
    dx, dy = int(round(dx)), int(round(dy))
    return (dx, dy) if max(abs(dx), abs(dy)) > search else None


def _camera_model(src: np.ndarray, dst: np.ndarray, size: tuple[int, int]) -> tuple[int, float, float]:
    """(inliers, largest displacement in px over the frame's corners, share of the frame the
    inliers span) of the similarity transform (pan, zoom, shake) most block shifts agree with."""
    import cv2

    if len(src) < 3:
        return 0, 0.0, 0.0
    cv2.setRNGSeed(0)  # RANSAC: the same frames always give the same answer
    model, inl = cv2.estimateAffinePartial2D(src, dst, method=cv2.RANSAC, ransacReprojThreshold=1.5,
                                             maxIters=400, confidence=0.99)
    if model is None:
        return 0, 0.0, 0.0
    h, w = size
    corners = np.float32([[0, 0, 1], [w, 0, 1], [0, h, 1], [w, h, 1]])
    moved = corners @ model.T - corners[:, :2]
    return int(inl.sum()), float(np.hypot(moved[:, 0], moved[:, 1]).max()), _spread(src[inl.ravel() > 0], size)


def _spread(pts, size: tuple[int, int]) -> float:
    """Share of the frame the convex hull of block centres covers."""
    import cv2

    pts = np.float32(pts).reshape(-1, 2)
    return float(cv2.contourArea(cv2.convexHull(pts))) / (size[0] * size[1]) if len(pts) >= 3 else 0.0


def pair_motion(a: np.ndarray, b: np.ndarray, ref: np.ndarray | None, s: MotionSettings) -> PairMotion:
    """Votes of the background blocks of working-size grey frames a and b (consecutive in the
    shot); `ref` is the shot's background estimate, whose disagreeing blocks are foreground."""
    tex_a, tex_b = textured(a, s), textured(b, s)
    if ref is not None:
        fg_a, fg_b = differs(a, ref, s), differs(b, ref, s)
    else:
        fg_a = fg_b = np.zeros_like(tex_a)
    still = voters = 0
    src_pts, dst_pts, still_pts = [], [], []
    far = _global_shift(a, b, s.search)
    k = s.block
    for (by, bx) in zip(*np.nonzero(tex_a | tex_b)):
        if fg_a[by, bx] and fg_b[by, bx]:
            continue  # a character in both frames: says nothing about the camera
        src, dst = (a, b) if tex_a[by, bx] and not fg_a[by, bx] else (b, a)
        voters += 1
        zero, best, (dx, dy) = _match(src, dst, by * k, bx * k, s)
        if far is not None:  # the whole-frame shift, for moves faster than the block search
            fx, fy = far if src is a else (-far[0], -far[1])
            y, x = by * k + fy, bx * k + fx
            if 0 <= y <= dst.shape[0] - k and 0 <= x <= dst.shape[1] - k:
                there = float(np.abs(dst[y:y + k, x:x + k] - src[by * k:by * k + k, bx * k:bx * k + k]).mean())
                if there < best:
                    best, dx, dy = there, fx, fy
        if zero > s.match and best > s.match:
            continue  # matches nowhere: changed (a character came or went, a fade)
        if best >= zero - max(1.0, 0.3 * zero):  # no shift fits clearly better than none
            still += 1
            dx = dy = 0
            still_pts.append((bx * k + k / 2, by * k + k / 2))
        sign = 1 if src is a else -1  # shifts as seen from a to b
        c = (bx * k + k / 2, by * k + k / 2)
        src_pts.append(c)
        dst_pts.append((c[0] + sign * dx, c[1] + sign * dy))
    inliers, shift, spread = _camera_model(np.float32(src_pts).reshape(-1, 2), np.float32(dst_pts).reshape(-1, 2),
                                           a.shape[:2])
    # the shifts agree on a camera move, over much of the frame (not one rigid character) and
    # over more of it than the blocks that stayed (not characters walking in step over a
    # still background; a pan that follows a character leaves only the character still)
    moved = inliers if shift >= 1.0 and spread >= max(s.spread, _spread(still_pts, a.shape[:2])) else 0
    unchanged = float((np.abs(a - b).max(axis=-1) <= s.match).mean()) if a.ndim == 3 else 0.0
    return PairMotion(still, moved, voters, unchanged)


def shifted_from(grey: np.ndarray, ref: np.ndarray, s: MotionSettings) -> PairMotion:
    """Votes of a frame's textured blocks against a background plate (a frame not seen when
    the plate was built): still where the plate matches as it is, moved where only shifted."""
    return pair_motion(grey, ref, None, s)
