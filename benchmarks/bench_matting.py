"""Matting (issue 16): alpha and colour at layer edges against a known soft alpha.

Synthetic 720p-scale layers with a true alpha and a true foreground colour, rendered at 4x
and area-downsampled (so edges carry real coverage values): `outline` (a flat-shaded body
with a dark anti-aliased outline), `hair` (a body with thin semi-transparent strands), `glow`
(a core with a radial soft falloff). Each is composited over a random anime-like background
(flat sky gradient, outlined blocks, random palette). The segmenter is simulated: its soft
alpha is the true alpha blurred (sigma 1.5 px) and pushed through a steep sigmoid (a
segmenter is overconfident: strands and the glow's tail are lost, edges go binary).

Every method sees that soft alpha: the presets alone (none, expand, aggressive: the cut-out's
colour is the frame's) and the presets followed by matting (closed_form, knn; stages/matting.py
`matte_region`, as segment runs it). Measured on one band per layer, the same for every
method (within 10 px of the true edge): alpha SAD (sum of |alpha error|, alpha in 0-1) and
MSE; background bleed (mean |cut-out colour - true foreground colour| over the truly
semi-transparent pixels, weighted by the method's alpha, 0-255); the composite error on white
(what a trainer sees); ms per layer; and ms per 1280x720 frame with 3 characters (one of
each kind), the matting alone, beside the preset's refinement in the same run.

    python benchmarks/bench_matting.py [--seeds 4] [--frames 2] [--max-side 384] [--only aggressive,none+closed_form]
"""

from __future__ import annotations

import argparse
import statistics
import time

import cv2
import numpy as np
from common import Others, machine, print_results

from celvault.stages.matting import matte_region
from celvault.stages.refine import instances, load_preset, refine

KINDS = ("outline", "hair", "glow")
SS = 4  # supersampling of the renders
METHODS = (("none", "none"), ("expand", "none"), ("aggressive", "none"), ("aggressive", "closed_form"),
           ("aggressive", "knn"), ("none", "closed_form"), ("none", "knn"))


def background(rng, h: int, w: int) -> np.ndarray:
    """Flat anime-like background: a two-colour sky gradient and outlined flat blocks."""
    pal = rng.integers(20, 236, (8, 3)).astype(np.float32)
    t = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    img = (pal[0] * (1 - t) + pal[1] * t) * np.ones((1, w, 1), np.float32)
    for _ in range(rng.integers(4, 10)):
        x0, y0 = int(rng.integers(-w // 4, w)), int(rng.integers(0, h))
        x1, y1 = x0 + int(rng.integers(w // 8, w // 2)), y0 + int(rng.integers(h // 8, h))
        cv2.rectangle(img, (x0, y0), (x1, y1), pal[rng.integers(2, 8)].tolist(), -1)
        cv2.rectangle(img, (x0, y0), (x1, y1), (25, 20, 30), int(rng.integers(1, 4)), cv2.LINE_AA)
    return np.clip(img, 0, 255)


def _down(a: np.ndarray, h: int, w: int) -> np.ndarray:
    return cv2.resize(a, (w, h), interpolation=cv2.INTER_AREA)


def layer(rng, kind: str, h: int, w: int):
    """(alpha float HxW in [0, 1], foreground float HxWx3) of one layer centred in an HxW crop."""
    H, W = h * SS, w * SS
    cov = np.zeros((H, W), np.float32)
    col = np.zeros((H, W, 3), np.float32)
    fill, dark = rng.integers(60, 250, 3).astype(np.float32), np.array([30, 22, 40], np.float32)
    cx, cy, rx, ry = W // 2, H // 2, int(W * rng.uniform(0.18, 0.26)), int(H * rng.uniform(0.3, 0.38))
    cv2.ellipse(cov, (cx, cy), (rx, ry), 0, 0, 360, 1.0, -1)
    cv2.circle(cov, (cx, cy - ry), int(rx * 0.8), 1.0, -1)  # head
    col[:] = fill
    if kind == "outline":
        edge = cv2.morphologyEx(cov, cv2.MORPH_GRADIENT, np.ones((3 * SS, 3 * SS), np.uint8)) > 0
        col[edge & (cov > 0)] = dark
    elif kind == "hair":
        strands = np.zeros((H, W), np.float32)
        for _ in range(int(rng.integers(10, 18))):
            ang = rng.uniform(-np.pi, 0)  # upwards and sideways from the head
            x, y = cx + np.cos(ang) * rx * 0.7, cy - ry + np.sin(ang) * rx * 0.7
            length, bend, op = rng.uniform(0.15, 0.35) * H, rng.uniform(-0.6, 0.6), rng.uniform(0.35, 0.9)
            pts = [(x + np.cos(ang + bend * s) * length * s, y + np.sin(ang + bend * s) * length * s)
                   for s in np.linspace(0, 1, 12)]
            for i, (a, b) in enumerate(zip(pts, pts[1:])):
                thick = max(1, int(SS * 2.5 * (1 - i / 12)))  # tapering to about 1 px
                cv2.line(strands, tuple(int(v) for v in a), tuple(int(v) for v in b), float(op), thick, cv2.LINE_AA)
        cov = np.maximum(cov, strands)
    else:  # glow: radial soft falloff around the core
        sigma = rng.uniform(6, 16) * SS
        d = cv2.distanceTransform((cov == 0).astype(np.uint8), cv2.DIST_L2, 5)
        cov = np.where(cov > 0, 1.0, np.exp(-(d / sigma) ** 2)).astype(np.float32)
        cov[cov < 0.01] = 0
        col[:] = np.minimum(255, fill * 0.5 + 140)
    alpha = np.clip(_down(cov, h, w), 0, 1)
    prem = _down(col * cov[..., None], h, w)
    fg = np.where(alpha[..., None] > 1e-4, prem / np.maximum(alpha[..., None], 1e-4), col[::SS, ::SS])
    return alpha, np.clip(fg, 0, 255)


def segmenter(alpha: np.ndarray) -> np.ndarray:
    """What a segmenter gives: the true alpha blurred and made overconfident."""
    b = cv2.GaussianBlur(alpha, (0, 0), 1.5)
    return (255 / (1 + np.exp(-(b - 0.5) * 12))).round().astype(np.uint8)


def cutout(img, soft, preset, method, max_side, keep_all=False):
    """(alpha float, colour float) over the whole crop, as segment stores the main instance."""
    h, w = soft.shape
    a, mask = refine(soft, preset)
    found = instances(mask, a, 1, h * w)
    if not found:
        return np.zeros((h, w)), img.astype(np.float64)
    inst = max(found, key=lambda i: i.area)
    alpha, colour = np.zeros((h, w)), img.astype(np.float64).copy()
    if method == "none":
        return inst.alpha / 255.0, colour
    (x0, y0, x1, y1), ma, mc = matte_region(img, soft, inst.mask, inst.bbox, method, max_side=max_side)
    alpha[y0:y1, x0:x1], colour[y0:y1, x0:x1] = ma / 255.0, mc
    return alpha, colour


def scores(alpha, fg, a_m, c_m) -> dict:
    disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (21, 21))
    band = cv2.dilate((alpha > 0.01).astype(np.uint8), disk).astype(bool) & \
        ~cv2.erode((alpha > 0.99).astype(np.uint8), disk).astype(bool)
    err = np.abs(a_m - alpha)[band]
    semi = (alpha > 0.02) & (alpha < 0.98)
    wgt = a_m[semi]
    bleed = float((np.abs(c_m[semi] - fg[semi]).mean(1) * wgt).sum() / max(wgt.sum(), 1e-9))
    white = 255.0
    comp_m = a_m[..., None] * c_m + (1 - a_m[..., None]) * white
    comp_t = alpha[..., None] * fg + (1 - alpha[..., None]) * white
    return {"sad": float(err.sum()), "mse": float((err ** 2).mean()), "bleed": bleed,
            "comp": float(np.abs(comp_m - comp_t)[band].mean())}


def frame_cost(rng, method, preset, max_side) -> tuple[float, float]:
    """(ms refining, ms matting) one 1280x720 frame with one layer of each kind."""
    h, w = 720, 1280
    img, alpha = background(rng, h, w), np.zeros((h, w), np.float32)
    for i, kind in enumerate(KINDS):
        lh = int(rng.integers(300, 520))
        lw = int(lh * 0.6)
        la, lf = layer(rng, kind, lh, lw)
        x0, y0 = 40 + i * 420 + int(rng.integers(0, 40)), int(rng.integers(0, h - lh))
        sl = (slice(y0, y0 + lh), slice(x0, x0 + lw))
        img[sl] = la[..., None] * lf + (1 - la[..., None]) * img[sl]
        alpha[sl] = np.maximum(alpha[sl], la)
    img = img.round().astype(np.uint8)
    soft = segmenter(alpha)
    t0 = time.perf_counter()
    a, mask = refine(soft, preset)
    found = instances(mask, a, int(0.005 * h * w), int(0.6 * h * w))
    t1 = time.perf_counter()
    union = np.zeros((h, w), bool)
    for inst in found:
        union |= inst.mask
    if method != "none":
        for inst in found:
            matte_region(img, soft, inst.mask, inst.bbox, method, max_side=max_side, keep_out=union & ~inst.mask)
    return (t1 - t0) * 1000, (time.perf_counter() - t1) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=4, help="layers of each kind")
    ap.add_argument("--frames", type=int, default=2, help="720p frames timed per method")
    ap.add_argument("--max-side", type=int, default=384, help="matting solver resolution cap")
    ap.add_argument("--only", default="", help="comma-separated methods, e.g. 'aggressive,none+closed_form'")
    args = ap.parse_args()
    only = {m.strip().replace(" ", "") for m in args.only.split(",") if m.strip()}
    others = Others()
    cases = []
    for seed in range(args.seeds):
        for kind in KINDS:
            rng = np.random.default_rng(1000 * seed + KINDS.index(kind))
            lh = int(rng.integers(260, 520))
            lw = int(lh * rng.uniform(0.55, 0.8))
            alpha, fg = layer(rng, kind, lh, lw)
            m = 48
            bg = background(rng, lh + 2 * m, lw + 2 * m)
            a = np.zeros(bg.shape[:2], np.float32)
            f = np.zeros_like(bg)
            a[m:-m, m:-m], f[m:-m, m:-m] = alpha, fg
            img = (a[..., None] * f + (1 - a[..., None]) * bg).round().astype(np.uint8)
            cases.append((kind, img, a.astype(np.float64), f.astype(np.float64), segmenter(a)))
    matte_region(cases[0][1][:64, :64], cases[0][4][:64, :64], cases[0][4][:64, :64] > 127, (8, 8, 56, 56),
                 "closed_form")  # warm-up (numba caches)
    table = [["preset + matting", "SAD outline", "SAD hair", "SAD glow", "MSE x1e3", "bleed outline",
              "bleed hair", "bleed glow", "composite err", "ms/layer", "ms/720p frame (refine + matting)"]]
    base_sad = None
    for pname, method in METHODS:
        if only and (pname if method == "none" else f"{pname}+{method}") not in only:
            continue
        preset = load_preset(pname)
        per = {k: [] for k in KINDS}
        ms = []
        for kind, img, alpha, fg, soft in cases:
            t = time.perf_counter()
            a_m, c_m = cutout(img, soft, preset, method, args.max_side)
            ms.append((time.perf_counter() - t) * 1000)
            per[kind].append(scores(alpha, fg, a_m, c_m))
        frng = np.random.default_rng(7)
        costs = [frame_cost(frng, method, preset, args.max_side) for _ in range(args.frames)]
        mean = lambda key, kinds=KINDS: statistics.fmean(s[key] for k in kinds for s in per[k])  # noqa: E731
        sad_all = mean("sad")
        if (pname, method) == ("aggressive", "none"):
            base_sad = sad_all
        label = pname if method == "none" else f"{pname} + {method}"
        ref, mat = (statistics.median(c[i] for c in costs) if costs else float("nan") for i in (0, 1))
        table.append([label, *(f"{mean('sad', [k]):.0f}" for k in KINDS), f"{mean('mse') * 1e3:.1f}",
                      *(f"{mean('bleed', [k]):.1f}" for k in KINDS), f"{mean('comp'):.2f}",
                      f"{statistics.median(ms):.0f}", f"{ref:.0f} + {mat:.0f}"])
        print(f"  {label}: SAD {sad_all:.0f}" + (f" ({sad_all / base_sad:.2f}x aggressive)" if base_sad else ""),
              flush=True)
    print_results("bench_matting.py", "Matting: true alpha at layer edges (issue 16)",
                  f"{machine()}; {args.seeds} layers of each kind, 260-520 px tall, max_side {args.max_side}; "
                  f"{args.frames} frames of 1280x720 with 3 layers timed per method; {others}", table)


if __name__ == "__main__":
    main()
