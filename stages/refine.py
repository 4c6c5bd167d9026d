"""Mask refinement presets (configs/segment/<name>.yaml) and the split into character instances.

A preset turns a soft alpha (0-255) into a binary mask: close, open, Gaussian blur,
threshold, dilate. The soft alpha is kept for the RGBA cut-out (after the same closing and
blur, limited to the binary mask), the binary mask is stored beside it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from importlib import resources

import cv2
import numpy as np
import yaml

from celvault.errors import ConfigError


@dataclass(frozen=True)
class Morph:
    kernel: int
    iterations: int


@dataclass(frozen=True)
class Preset:
    name: str
    close: Morph | None
    open: Morph | None
    blur: int
    threshold: int
    dilate: Morph | None

    def params(self) -> dict:
        return asdict(self)


def preset_names() -> list[str]:
    folder = resources.files("celvault.configs").joinpath("segment")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def _morph(value, where: str) -> Morph | None:
    if value is None:
        return None
    try:
        m = Morph(int(value["kernel"]), int(value.get("iterations", 1)))
    except (TypeError, KeyError, ValueError):
        raise ConfigError(f"{where}: expected {{kernel: N, iterations: N}}") from None
    if m.kernel < 1 or m.iterations < 1:
        raise ConfigError(f"{where}: kernel and iterations must be at least 1")
    return m


def load_preset(name: str) -> Preset:
    ref = resources.files("celvault.configs").joinpath("segment", f"{name}.yaml")
    if not name or "/" in name or not ref.is_file():
        raise ConfigError(f"unknown refinement preset {name!r}; known: {', '.join(preset_names())}")
    data = yaml.safe_load(ref.read_text()) or {}
    where = f"configs/segment/{name}.yaml"
    try:
        blur, threshold = int(data.get("blur") or 0), int(data["threshold"])
    except (KeyError, TypeError, ValueError):
        raise ConfigError(f"{where}: blur and threshold must be whole numbers") from None
    if blur and blur % 2 == 0:
        raise ConfigError(f"{where}: blur must be an odd kernel size (or 0)")
    return Preset(name, _morph(data.get("close"), f"{where} close"), _morph(data.get("open"), f"{where} open"),
                  blur, threshold, _morph(data.get("dilate"), f"{where} dilate"))


def _ellipse(k: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))


def refine(soft: np.ndarray, preset: Preset) -> tuple[np.ndarray, np.ndarray]:
    """(alpha uint8, binary mask bool) from a soft alpha HxW uint8."""
    a = soft
    if preset.close:
        a = cv2.morphologyEx(a, cv2.MORPH_CLOSE, _ellipse(preset.close.kernel), iterations=preset.close.iterations)
    if preset.open:
        a = cv2.morphologyEx(a, cv2.MORPH_OPEN, _ellipse(preset.open.kernel), iterations=preset.open.iterations)
    if preset.blur:
        a = cv2.GaussianBlur(a, (preset.blur, preset.blur), 0)
    binary = (a > preset.threshold).astype(np.uint8)
    if preset.dilate:
        binary = cv2.dilate(binary, _ellipse(preset.dilate.kernel), iterations=preset.dilate.iterations)
    mask = binary.astype(bool)
    alpha = np.where(mask, a, 0).astype(np.uint8)
    return alpha, mask


@dataclass
class Instance:
    mask: np.ndarray  # HxW bool
    alpha: np.ndarray  # HxW uint8
    bbox: tuple[int, int, int, int]  # x0, y0, x1, y1 exclusive
    area: int


def instances(mask: np.ndarray, alpha: np.ndarray, min_area: int, max_area: int) -> list[Instance]:
    """Connected regions of a binary mask, tiny fragments and frame-sized regions dropped,
    left to right (then top to bottom) so instance numbers are deterministic."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    out = []
    for k in range(1, n):
        x, y, w, h, area = (int(v) for v in stats[k])
        if area < min_area or area > max_area:
            continue
        m = labels == k
        out.append(Instance(m, np.where(m, alpha, 0).astype(np.uint8), (x, y, x + w, y + h), area))
    return sorted(out, key=lambda i: (i.bbox[0], i.bbox[1]))


def from_masks(masks: list[np.ndarray], min_area: int, max_area: int) -> list[Instance]:
    """Instances from separate binary masks (SAM2): overlapping parts of an already kept,
    larger instance are dropped, so a character is one layer, not hair + face + body."""
    kept: list[Instance] = []
    taken = None
    for m in sorted(masks, key=lambda m: -int(m.sum())):
        area = int(m.sum())
        if area < min_area or area > max_area:
            continue
        if taken is not None and (m & taken).sum() > 0.5 * area:
            continue
        m = m if taken is None else m & ~taken
        area = int(m.sum())
        if area < min_area:
            continue
        ys, xs = np.nonzero(m)
        kept.append(Instance(m, (m * 255).astype(np.uint8), (int(xs.min()), int(ys.min()), int(xs.max()) + 1,
                                                             int(ys.max()) + 1), area))
        taken = m.copy() if taken is None else taken | m
    return sorted(kept, key=lambda i: (i.bbox[0], i.bbox[1]))
