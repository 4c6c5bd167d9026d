"""Lossless encoding of kept frames (PNG default, WebP lossless option)."""

from __future__ import annotations

import cv2
import numpy as np

from celvault.errors import ConfigError
from celvault.media.codec import png_params

FORMATS = ("png", "webp")


def encode_rgb(rgb: np.ndarray, fmt: str = "png", png_level: int = 1) -> bytes:
    bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    if fmt == "png":
        ok, buf = cv2.imencode(".png", bgr, png_params(int(png_level)))
    elif fmt == "webp":
        ok, buf = cv2.imencode(".webp", bgr, [cv2.IMWRITE_WEBP_QUALITY, 101])  # >100: lossless
    else:
        raise ConfigError(f"unknown frame format {fmt!r}; use one of {', '.join(FORMATS)}")
    if not ok:
        raise ConfigError(f"could not encode a frame as {fmt}")
    return buf.tobytes()


def to_rgb8(img: np.ndarray) -> tuple[np.ndarray, bool]:
    """A decoded image (OpenCV channel order, any depth; grey, BGR or BGRA) as 8-bit BGR,
    and whether it changed: 16-bit (or float) samples are scaled to 8 bits, grey is expanded,
    and an alpha channel is composited on white (a transparent pixel becomes white, as a
    cut-out shown on a page: stages and exporters see only opaque RGB frames)."""
    changed = False
    if img.dtype != np.uint8:
        scale = 255.0 / 65535.0 if img.dtype == np.uint16 else (255.0 if img.dtype.kind == "f" else 1.0)
        img = np.clip(np.rint(img.astype(np.float32) * scale), 0, 255).astype(np.uint8)
        changed = True
    if img.ndim == 2 or img.shape[2] == 1:
        return cv2.cvtColor(img.reshape(img.shape[:2]), cv2.COLOR_GRAY2BGR), True
    if img.shape[2] == 4:
        alpha = img[:, :, 3:4].astype(np.float32) / 255.0
        white = np.full_like(img[:, :, :3], 255, dtype=np.float32)
        img = np.rint(img[:, :, :3].astype(np.float32) * alpha + white * (1.0 - alpha)).astype(np.uint8)
        changed = True
    return img, changed


def fit_size(bgr: np.ndarray, width: int, height: int) -> np.ndarray:
    """`bgr` resized to width x height (area averaging when it shrinks)."""
    shrink = bgr.shape[1] > width or bgr.shape[0] > height
    return cv2.resize(bgr, (width, height), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
