"""Matting: a true soft alpha and the foreground colour at a layer's edges.

A segmenter's alpha, refined by a preset (stages/refine.py), is nearly binary at the edge: it
keeps a halo of background or cuts off hair tips, anti-aliased outlines, glows and smoke.
`matte` re-solves the alpha in a band around the mask only (a trimap: the eroded confident
part is sure foreground, the dilated mask minus that is unknown, the rest is background)
with pymatting's closed-form (Levin et al.) or KNN matting solver (no weights), on the crop
downscaled to at most `max_side` px, then upsamples the solved alpha into the unknown band
only (sure foreground and background stay exact). The colour comes from pymatting's
multi-level foreground estimation, so no background colour bleeds into semi-transparent
pixels. Deterministic: no randomness, fixed solver settings.

Used by segment for character layers (`matting:` key of a preset in configs/segment/) and
usable for effect layers: `matte` takes any crop, `matte_region` a frame and a bbox.
"""

from __future__ import annotations

import contextlib
import io

import cv2
import numpy as np

from celvault.errors import ConfigError

METHODS = ("none", "closed_form", "knn")
SURE = 250  # alpha (0-255) from which the segmenter's inside counts as sure foreground (before erosion)
INNER = 2  # px a binary mask (no confidence given) is eroded by: its outer edge is left to the solver
SNAP = 0.02  # solved alpha within this of 0 or 1 is 0 or 1 (solver noise on flat background or paint)


def check_method(method: str, where: str = "matting") -> str:
    if method not in METHODS:
        raise ConfigError(f"{where}: unknown matting method {method!r}; known: {', '.join(METHODS)}")
    return method


def band_px(h: int, w: int, band: int = 0) -> int:
    """Half-width of the unknown band in px: `band`, or 0 for automatic (1.5% of the crop's
    longer side, 3 to 16 px)."""
    return band if band > 0 else int(min(16, max(3, round(0.015 * max(h, w)))))


def _disk(r: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))


def trimap(alpha: np.ndarray, mask: np.ndarray, band: int, inner: int = 0,
           keep_out: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(sure foreground, unknown) bool HxW: the part of the mask where the segmenter was
    confident (alpha >= SURE), eroded by `inner` px, and the mask dilated by `band` px minus
    that; `keep_out` (another layer) is background."""
    core = ((alpha >= SURE) & mask).astype(np.uint8)
    fg = cv2.erode(core, _disk(inner), borderType=cv2.BORDER_REPLICATE).astype(bool) if inner else core.astype(bool)
    unknown = cv2.dilate(mask.astype(np.uint8), _disk(band)).astype(bool) & ~fg
    if keep_out is not None:
        fg, unknown = fg & ~keep_out, unknown & ~keep_out
    return fg, unknown


def _solve(img: np.ndarray, fg: np.ndarray, unknown: np.ndarray, method: str) -> np.ndarray:
    """Alpha in [0, 1] (float64, HxW) for the unknown pixels of `img` (float64 in [0, 1])."""
    from pymatting import estimate_alpha_cf, estimate_alpha_knn

    tri = np.where(fg, 1.0, np.where(unknown, 0.5, 0.0))
    cg = {"maxiter": 2000, "rtol": 1e-6}
    with contextlib.redirect_stdout(io.StringIO()):  # pymatting prints its preconditioner's retries
        if method == "closed_form":
            return estimate_alpha_cf(img, tri, preconditioner=_ichol, laplacian_kwargs={"epsilon": 1e-6},
                                     cg_kwargs=cg)
        return estimate_alpha_knn(img, tri, cg_kwargs=cg)


def _ichol(a):
    """pymatting's incomplete Cholesky preconditioner with a workspace sized to the matrix
    (its default reserves 4 GB), Jacobi where that does not suffice."""
    from pymatting.preconditioner.ichol import ichol
    from pymatting.preconditioner.jacobi import jacobi

    try:
        return ichol(a, max_nnz=max(1 << 20, 16 * a.nnz))
    except ValueError:
        return jacobi(a)


def matte(rgb: np.ndarray, alpha: np.ndarray, mask: np.ndarray, method: str = "closed_form", *,
          max_side: int = 384, band: int = 0, keep_out: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(alpha uint8 HxW, foreground RGB uint8 HxWx3) of a crop.

    rgb: the crop (HxWx3 uint8) with some background around the layer (the unknown band
    reaches `band` px beyond the mask); alpha: the segmenter's own soft alpha (uint8; where
    it is >= SURE inside the mask is sure foreground, so pass the model's output, not an
    alpha a preset has closed or blurred; a binary alpha is eroded by INNER px first);
    mask: the layer's binary mask (the preset's: it decides the layer's extent); method: closed_form or knn (none returns the inputs);
    max_side: the solver runs on the crop downscaled to at most this many px a side (cost
    bound), its alpha upsampled into the unknown band only; band: the unknown band's
    half-width in px at full size (0: `band_px`); keep_out: pixels that are surely not this
    layer (other characters). The returned RGB is the frame's where alpha is 255 and the
    estimated foreground colour elsewhere (no background colour in it). A mask with no sure
    foreground (too thin to erode) keeps its alpha and colour.
    """
    check_method(method)
    h, w = mask.shape
    if method == "none" or not mask.any() or min(h, w) < 4:  # nothing to solve (or too small for 3x3 windows)
        return np.where(mask, alpha, 0).astype(np.uint8), rgb.copy()
    binary = not ((alpha > 0) & (alpha < 255) & mask).any()
    fg, unknown = trimap(alpha, mask, band_px(h, w, band), INNER if binary else 0, keep_out)
    if not fg.any() or not unknown.any():
        return np.where(mask, alpha, 0).astype(np.uint8), rgb.copy()
    scale = min(1.0, max_side / max(h, w))
    img = rgb.astype(np.float64) / 255.0
    if scale < 1.0:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        small = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
        fg_s = cv2.resize(fg.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0.999
        bg_s = cv2.resize((~fg & ~unknown).astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0.999
        if not fg_s.any():  # the sure part vanished at this scale: solve at full size
            solved = _solve(img, fg, unknown, method)
        else:
            a_s = _solve(np.clip(small, 0, 1), fg_s, ~fg_s & ~bg_s, method)
            solved = cv2.resize(a_s, (w, h), interpolation=cv2.INTER_LINEAR)
    else:
        solved = _solve(img, fg, unknown, method)
    solved = np.where(solved < SNAP, 0.0, np.where(solved > 1.0 - SNAP, 1.0, np.clip(solved, 0.0, 1.0)))
    a = np.where(fg, 1.0, np.where(unknown, solved, 0.0))
    out_alpha = np.round(a * 255.0).astype(np.uint8)
    return out_alpha, _foreground(rgb, img, out_alpha)


def _foreground(rgb: np.ndarray, img: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    from pymatting import estimate_foreground_ml

    # a low gradient weight keeps thin dark outlines their own colour (1.0 smooths them into the fill)
    f = estimate_foreground_ml(img, alpha.astype(np.float64) / 255.0, gradient_weight=0.01)
    out = np.round(np.clip(f, 0.0, 1.0) * 255.0).astype(np.uint8)
    opaque = alpha == 255
    out[opaque] = rgb[opaque]
    return out


def matte_region(frame: np.ndarray, alpha: np.ndarray, mask: np.ndarray, bbox, method: str, *,
                 max_side: int = 384, band: int = 0, keep_out: np.ndarray | None = None):
    """Matte one layer of a full frame: (bbox, alpha uint8, RGB uint8) cropped to the new
    bbox, which covers the mask and every pixel the matte made non-zero (a hair tip the mask
    cut off). The solve runs on the layer's bbox grown by the band (and a margin of
    background for context), clipped to the frame. alpha, mask, keep_out: full-frame HxW."""
    x0, y0, x1, y1 = bbox
    fh, fw = mask.shape
    b = band_px(y1 - y0, x1 - x0, band)
    m = 2 * b + 2
    cx0, cy0, cx1, cy1 = max(0, x0 - m), max(0, y0 - m), min(fw, x1 + m), min(fh, y1 + m)
    crop = (slice(cy0, cy1), slice(cx0, cx1))
    a, rgb = matte(frame[crop], alpha[crop], mask[crop], method, max_side=max_side, band=b,
                   keep_out=None if keep_out is None else keep_out[crop])
    ys, xs = np.nonzero((a > 0) | mask[crop])
    if not len(ys):
        return (x0, y0, x1, y1), np.zeros((y1 - y0, x1 - x0), np.uint8), frame[y0:y1, x0:x1].copy()
    nx0, ny0, nx1, ny1 = int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1
    return ((cx0 + nx0, cy0 + ny0, cx0 + nx1, cy0 + ny1), a[ny0:ny1, nx0:nx1], rgb[ny0:ny1, nx0:nx1])
