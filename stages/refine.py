"""Mask refinement presets (configs/segment/<name>.yaml) and the split into character instances.

A preset turns a soft alpha (0-255) into a binary mask: close, open, Gaussian blur,
threshold, dilate, and optionally matting (`matting: closed_form|knn`, stages/matting.py,
applied per instance by segment). The soft alpha is kept for the RGBA cut-out (after the same closing and
blur, limited to the binary mask), the binary mask is stored beside it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from importlib import resources

import cv2
import numpy as np
import yaml

from celvault.errors import ConfigError

from .matting import METHODS


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
    matting: str = "none"  # none | closed_form | knn (stages/matting.py)
    band: int = 0  # matting: unknown band half-width in px (0: automatic)
    max_side: int = 384  # matting: the solver's resolution cap

    def params(self) -> dict:
        """What goes into segment's config id: without matting exactly the keys presets had
        before matting existed, so catalogues made then are not recomputed."""
        d = asdict(self)
        if self.matting == "none":
            for k in ("matting", "band", "max_side"):
                d.pop(k)
        return d


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
                  blur, threshold, _morph(data.get("dilate"), f"{where} dilate"), *_matting(data, where))


def _matting(data: dict, where: str) -> tuple[str, int, int]:
    method = data.get("matting") or "none"
    if method not in METHODS:
        raise ConfigError(f"{where} matting: expected one of {', '.join(METHODS)}, got {method!r}")
    try:
        band, max_side = int(data.get("band") or 0), int(data.get("max_side") or 384)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: band and max_side must be whole numbers") from None
    if band < 0 or max_side < 16:
        raise ConfigError(f"{where}: band must be 0 (automatic) or more px, max_side at least 16 px")
    return method, band, max_side


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
