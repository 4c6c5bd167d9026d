"""Image bytes in the catalogue: PNG encoding and decoding, masks from layer crops, and the
RGB views models and exporters see (cut-outs on white, PIL images)."""

from __future__ import annotations

import cv2
import numpy as np

from celvault.errors import CatalogError
from celvault.timing import phase


def png_params(level: int) -> list[int]:
    """PNG encoder settings: zlib `level` with one row filter (up) for every row. libpng's
    default tries all five filters per row; on drawn frames "up" gives files as small (within
    a few %) at a third of the encoding time (benchmarks/RESULTS.md, "Throughput")."""
    params = [cv2.IMWRITE_PNG_COMPRESSION, level]
    if hasattr(cv2, "IMWRITE_PNG_FILTER"):  # OpenCV >= 4.10
        params += [cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_UP]
    return params


def png(img: np.ndarray, level: int = 1) -> bytes:
    with phase("encode"):
        return _png(img, level)


def png_mask(mask: np.ndarray) -> bytes:
    """A binary mask (HxW, 0 and 255, or bool) as a 1-bit PNG: five times faster to encode and a
    third of the bytes of an 8-bit one; it decodes to the same 0/255 greyscale."""
    with phase("encode"):
        m = mask.astype(np.uint8) * 255 if mask.dtype == bool else mask
        if hasattr(cv2, "IMWRITE_PNG_BILEVEL"):
            ok, buf = cv2.imencode(".png", m, [cv2.IMWRITE_PNG_COMPRESSION, 1, cv2.IMWRITE_PNG_BILEVEL, 1])
        else:
            ok, buf = cv2.imencode(".png", m, png_params(1))
        if not ok:
            raise CatalogError("could not encode a mask as PNG")
        return buf.tobytes()


def _png(img: np.ndarray, level: int) -> bytes:
    if img.ndim == 3 and img.shape[2] == 3:
        img = cv2.cvtColor(img, cv2.COLOR_RGB2BGR)
    elif img.ndim == 3 and img.shape[2] == 4:
        img = cv2.cvtColor(img, cv2.COLOR_RGBA2BGRA)
    ok, buf = cv2.imencode(".png", img, png_params(level))
    if not ok:
        raise CatalogError("could not encode a layer as PNG")
    return buf.tobytes()


def decode_png(data: bytes, flags: int = cv2.IMREAD_UNCHANGED) -> np.ndarray:
    with phase("decode"):
        img = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
    if img is None:
        raise CatalogError("a stored layer image cannot be decoded")
    if img.ndim == 3 and img.shape[2] == 4:
        return cv2.cvtColor(img, cv2.COLOR_BGRA2RGBA)
    if img.ndim == 3:
        return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    return img


_AS_RGB = getattr(cv2, "IMREAD_COLOR_RGB", cv2.IMREAD_COLOR)  # OpenCV >= 4.11 decodes straight to RGB


def decode_frame(data: bytes | None, frame_id: str) -> np.ndarray:
    with phase("decode"):
        img = cv2.imdecode(np.frombuffer(data, np.uint8), _AS_RGB) if data else None
        if img is None:
            raise CatalogError(f"frame {frame_id}: stored image cannot be decoded")
        return img if _AS_RGB != cv2.IMREAD_COLOR else cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def union_mask(height: int, width: int, bboxes: list, masks: list[bytes]) -> np.ndarray:
    """A frame's character mask, from its layers' bbox crops."""
    out = np.zeros((height, width), bool)
    for (x0, y0, x1, y1), data in zip(bboxes, masks):
        crop = decode_png(data, cv2.IMREAD_GRAYSCALE) > 127
        out[y0:y1, x0:x1] |= crop
    return out


def on_white(img: np.ndarray) -> np.ndarray:
    """RGB of an RGB or RGBA image, transparent pixels turned white."""
    if img.ndim == 3 and img.shape[2] == 4:
        a = img[..., 3:4].astype(np.float32) / 255.0
        return (img[..., :3].astype(np.float32) * a + 255.0 * (1 - a)).round().astype(np.uint8)
    return img


def to_pil(img: np.ndarray):
    from PIL import Image

    return Image.fromarray(on_white(img))
