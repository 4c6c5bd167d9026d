"""Pixel effects: speed lines, sparkles (additive), scene lighting, letterbox bars, blends."""

from __future__ import annotations

import cv2
import numpy as np


def lighting_lut(mult) -> np.ndarray:
    """A 256x1x3 LUT multiplying each channel (night, dark scenes)."""
    ramp = np.arange(256, dtype=np.float32)
    return np.stack([np.clip(np.round(ramp * m), 0, 255) for m in mult], axis=-1).astype(np.uint8)[:, None, :]


def apply_lut(img: np.ndarray, lut: np.ndarray) -> np.ndarray:
    return cv2.LUT(img, lut)


def _box(boxes, W, H):
    if not boxes:
        return 0, 0, W, H
    x0 = max(0, min(b[0] for b in boxes)); y0 = max(0, min(b[1] for b in boxes))  # noqa: E702
    x1 = min(W, max(b[2] for b in boxes)); y1 = min(H, max(b[3] for b in boxes))  # noqa: E702
    if x1 <= x0 or y1 <= y0:
        return 0, 0, W, H
    return x0, y0, x1, y1


def speed_lines(rgb: np.ndarray, rng: np.random.Generator, boxes) -> np.ndarray:
    """Streaks across the characters' region; returns the mask of changed pixels."""
    H, W = rgb.shape[:2]
    x0, y0, x1, y1 = _box(boxes, W, H)
    m = np.zeros((H, W), np.uint8)
    th = max(1, int(round(H / rng.uniform(250, 500))))
    radial = rng.random() < 0.4
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    for _ in range(int(rng.integers(12, 40))):
        if radial:
            a = rng.uniform(0, 2 * np.pi)
            r0, r1 = rng.uniform(0.15, 0.35) * H, rng.uniform(0.5, 1.2) * H
            p0 = (int(cx + r0 * np.cos(a)), int(cy + r0 * np.sin(a)))
            p1 = (int(cx + r1 * np.cos(a)), int(cy + r1 * np.sin(a)))
        else:
            y = int(rng.uniform(y0, y1))
            xa = int(rng.uniform(max(0, x0 - 0.3 * W), cx))
            p0, p1 = (xa, y), (int(min(W, xa + rng.uniform(0.2, 0.7) * W)), y)
        cv2.line(m, p0, p1, 255, th)
    mb = m > 0
    col = np.array((255, 255, 255) if rng.random() < 0.75 else (20, 20, 30), np.float32)
    a = rng.uniform(0.55, 0.9)
    rgb[mb] = np.round(rgb[mb] * (1 - a) + col * a).astype(np.uint8)
    return mb


def sparkles(rgb: np.ndarray, rng: np.random.Generator, boxes) -> np.ndarray:
    """Four-pointed stars added (brightening) around the characters; returns their mask."""
    H, W = rgb.shape[:2]
    x0, y0, x1, y1 = _box(boxes, W, H)
    m = np.zeros((H, W), np.uint8)
    for _ in range(int(rng.integers(6, 20))):
        cx = int(rng.uniform(x0 - 0.05 * W, x1 + 0.05 * W))
        cy = int(rng.uniform(y0, y1))
        s = max(3, int(H * rng.uniform(0.01, 0.04)))
        w = max(1, s // 5)
        cv2.ellipse(m, (cx, cy), (s, w), 0, 0, 360, 255, -1)
        cv2.ellipse(m, (cx, cy), (w, s), 0, 0, 360, 255, -1)
        cv2.circle(m, (cx, cy), max(1, s // 3), 255, -1)
    mb = m > 0
    add = np.array([rng.uniform(150, 230), rng.uniform(150, 230), rng.uniform(110, 210)], np.int16)
    rgb[mb] = np.clip(rgb[mb].astype(np.int16) + add, 0, 255).astype(np.uint8)
    return mb


def draw_effects(rgb: np.ndarray, kind: str, rng: np.random.Generator, boxes) -> np.ndarray:
    mask = np.zeros(rgb.shape[:2], bool)
    if kind in ("speed_lines", "both"):
        mask |= speed_lines(rgb, rng, boxes)
    if kind in ("sparkles", "both"):
        mask |= sparkles(rgb, rng, boxes)
    return mask


def blend(a: np.ndarray, b: np.ndarray, w_b: float) -> np.ndarray:
    """(1 - w_b) * a + w_b * b."""
    return cv2.addWeighted(a, 1.0 - w_b, b, w_b, 0.0)


def toward(img: np.ndarray, colour: int, f: float) -> np.ndarray:
    """f * img + (1 - f) * colour (colour 0: fade to black, 255: to white)."""
    if f >= 1.0:
        return img
    if colour == 0:
        return cv2.convertScaleAbs(img, alpha=f)
    return cv2.addWeighted(img, f, np.full_like(img, colour), 1.0 - f, 0.0)
