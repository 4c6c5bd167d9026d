"""Lossless encoding of kept frames (PNG default, WebP lossless option)."""

from __future__ import annotations

import cv2
import numpy as np

from celvault.errors import ConfigError

FORMATS = ("png", "webp")


def encode_rgb(rgb: np.ndarray, fmt: str = "png", png_level: int = 1) -> bytes:
    bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    if fmt == "png":
        ok, buf = cv2.imencode(".png", bgr, [cv2.IMWRITE_PNG_COMPRESSION, int(png_level)])
    elif fmt == "webp":
        ok, buf = cv2.imencode(".webp", bgr, [cv2.IMWRITE_WEBP_QUALITY, 101])  # >100: lossless
    else:
        raise ConfigError(f"unknown frame format {fmt!r}; use one of {', '.join(FORMATS)}")
    if not ok:
        raise ConfigError(f"could not encode a frame as {fmt}")
    return buf.tobytes()


def decode_rgb(data: bytes) -> np.ndarray | None:
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    return None if img is None else cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
