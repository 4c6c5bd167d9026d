"""Confirming a near-duplicate candidate with a colour thumbnail.

64-bit pHash/dHash collide on flat anime frames: the same wall with or without a small
character, two similar rooms. A hash match is therefore only a candidate; it becomes a link
only when the two frames' colour thumbnails agree everywhere, block by block.

Thumbnail: the frame shrunk by area averaging to a fixed THUMB_W x THUMB_H grid in RGB
(whatever the frame's size or aspect), stored as THUMB_BYTES raw bytes per frame beside the
hashes, so linking never decodes a frame image again. Area averaging also averages out
compression noise (one thumbnail pixel covers ~13x13 px of a 854x480 frame).

Change score: the per-pixel colour difference (largest of |dR|, |dG|, |dB|) averaged over a
sliding BLOCK x BLOCK window of the thumbnail, maximum over windows. A local change (a
character entering, leaving or moving) raises one window; a re-encode moves every window a
little. Pairs whose score is above `max_change` are not duplicates.
"""

from __future__ import annotations

import numpy as np

THUMB_W, THUMB_H = 64, 36
THUMB_BYTES = THUMB_W * THUMB_H * 3
BLOCK = 3
DEAD_ZONE = 8.0  # colour differences below this (levels of 255) are compression noise
PAIRS_PER_CHUNK = 2048  # bounds memory: 2048 pairs x 6912 values x 4 bytes ~ 57 MB per array


def thumbnail_bgr(bgr: np.ndarray) -> bytes:
    """THUMB_BYTES of RGB thumbnail for a decoded BGR frame (uint8, H x W x 3)."""
    import cv2

    small = cv2.resize(bgr, (THUMB_W, THUMB_H), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(small[:, :, ::-1]).tobytes()


def thumbnail_of_image(data: bytes) -> bytes | None:
    """Thumbnail of an encoded frame image, or None when it cannot be decoded."""
    import cv2

    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR) if data else None
    return None if img is None else thumbnail_bgr(img)


def as_array(thumbs: list[bytes]) -> np.ndarray:
    """(n, THUMB_H, THUMB_W, 3) uint8 from a list of thumbnail byte strings."""
    if not thumbs:
        return np.zeros((0, THUMB_H, THUMB_W, 3), np.uint8)
    return np.frombuffer(b"".join(thumbs), np.uint8).reshape(len(thumbs), THUMB_H, THUMB_W, 3)


def comparable(thumbs: np.ndarray) -> np.ndarray:
    """Thumbnails as float32, smoothed by a 3x3 Gaussian (sigma 0.8): compression noise and
    half-pixel edge shifts fade, a character (several thumbnail pixels) stays."""
    x = thumbs.astype(np.float32)
    for axis in (1, 2):
        pad = [(0, 0)] * 4
        pad[axis] = (1, 1)
        p = np.pad(x, pad, mode="edge")
        n = x.shape[axis]
        lo, mid, hi = (np.take(p, np.arange(i, i + n), axis=axis) for i in range(3))
        x = _EDGE * (lo + hi) + _CENTRE * mid
    return x


_EDGE, _CENTRE = 0.2280, 0.5440  # cv2.getGaussianKernel(3, 0.8)


def change_scores(a: np.ndarray, b: np.ndarray, block: int = BLOCK, dead_zone: float = DEAD_ZONE) -> np.ndarray:
    """Per pair (a[i], b[i]) of `comparable` thumbnails: the largest mean, over any block x
    block window, of the colour difference beyond `dead_zone` (levels of 255)."""
    n = len(a)
    out = np.empty(n, np.float32)
    for start in range(0, n, PAIRS_PER_CHUNK):
        d = np.abs(a[start:start + PAIRS_PER_CHUNK] - b[start:start + PAIRS_PER_CHUNK]).max(axis=3)
        d = np.maximum(d - dead_zone, 0.0)
        c = np.zeros((len(d), d.shape[1] + 1, d.shape[2] + 1), np.float32)
        c[:, 1:, 1:] = d.cumsum(1).cumsum(2)
        k = block
        win = c[:, k:, k:] - c[:, :-k, k:] - c[:, k:, :-k] + c[:, :-k, :-k]
        out[start:start + len(d)] = win.reshape(len(d), -1).max(axis=1) / (k * k)
    return out


def block_means(a: np.ndarray, block: int = BLOCK) -> np.ndarray:
    """Means of the aligned block x block tiles of `comparable` thumbnails, per channel."""
    n, h, w = len(a), THUMB_H // block * block, THUMB_W // block * block
    return a[:, :h, :w].reshape(n, h // block, block, w // block, block, 3).mean(axis=(2, 4))


def pair_scores(a: np.ndarray, qi: np.ndarray, b: np.ndarray, ci: np.ndarray,
                max_change: float | None = None) -> np.ndarray:
    """Change scores of pairs (a[qi[j]], b[ci[j]]) of `comparable` thumbnails, chunk by chunk.

    With `max_change`, pairs are first bounded on aligned tile means (9x fewer values): a
    tile's mean difference beyond the dead zone is a lower bound of the score, so a pair whose
    bound is over `max_change` gets that bound (it cannot link) and skips the full score."""
    out = np.empty(len(qi), np.float32)
    todo = np.arange(len(qi))
    if max_change is not None and len(qi):
        ma, mb = block_means(a), block_means(b)
        for start in range(0, len(qi), PAIRS_PER_CHUNK * 8):
            sl = slice(start, start + PAIRS_PER_CHUNK * 8)
            d = np.abs(ma[qi[sl]] - mb[ci[sl]]).reshape(len(qi[sl]), -1).max(axis=1)
            out[sl] = d - DEAD_ZONE
        todo = np.nonzero(out <= max_change)[0]
    for start in range(0, len(todo), PAIRS_PER_CHUNK):
        t = todo[start:start + PAIRS_PER_CHUNK]
        out[t] = change_scores(a[qi[t]], b[ci[t]])
    return out
