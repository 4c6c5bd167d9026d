"""Weight-free layers on hard cases: large walkers over a still background, a camera that
pans, a character that stood in the plate then left, and the plausibility checks.

Scenes are composed here from the synthetic generator's backgrounds and characters (several
seeds, random places and sizes), frames lightly JPEG-compressed as a video would be."""

from __future__ import annotations

import numpy as np
import pytest

from celvault.quality.layer_scoring import Tally
from celvault.stages.plate import build_plate, difference
from celvault.stages.plausible import Plausibility, judge, shape_reason
from celvault.stages.refine import instances

W, H = 320, 180
SEEDS = (1, 2, 3)


def _jpeg(rgb: np.ndarray) -> np.ndarray:
    import cv2

    ok, buf = cv2.imencode(".jpg", rgb[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 90])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1].copy()


def _scene(seed: int, positions, pan: int = 0, height: float = 0.7):
    """Frames of one shot: per frame, each character's anchor x (None: absent), the camera
    moving `pan` px a frame. Returns (frames [(id, rgb)], truth masks per frame)."""
    from celvault.synthetic import CAST, draw_character
    from celvault.synthetic.scenes import INDOOR_KINDS, paint, random_background

    rng = np.random.default_rng(seed)
    kind = sorted(INDOOR_KINDS)[seed % len(INDOOR_KINDS)]
    n = len(positions)
    canvas = paint(random_background(rng, kind, (W + abs(pan) * n) / H), H, W + abs(pan) * n)
    cast = [CAST[i] for i in rng.choice(len(CAST), len(positions[0]), replace=False)]
    frames, truths = [], []
    for t, xs in enumerate(positions):
        x0 = t * pan if pan >= 0 else abs(pan) * n + t * pan
        rgb = canvas[:, x0:x0 + W].copy()
        masks = {}
        for j, (char, x) in enumerate(zip(cast, xs)):
            if x is None:
                continue
            prgb, alpha, (ax, ay) = draw_character(char, int(H * height), 1, (t + j) % 4)
            fx, fy = int(x) - ax, H - 4 - ay
            m = np.zeros((H, W), bool)
            ys, xs_ = np.nonzero(alpha)
            ok = (ys + fy >= 0) & (ys + fy < H) & (xs_ + fx >= 0) & (xs_ + fx < W)
            m[ys[ok] + fy, xs_[ok] + fx] = True
            rgb[ys[ok] + fy, xs_[ok] + fx] = prgb[ys[ok], xs_[ok]]
            for other in masks.values():
                other &= ~m
            masks[char.name] = m
        frames.append((f"f{t:03d}", _jpeg(rgb)))
        truths.append(masks)
    return frames, truths


def _layers(frames, plate, p=Plausibility()):
    out = []
    for fid, rgb in frames:
        why = plate.reason or plate.verdicts.get(fid)
        if why:
            out.append(None)
            continue
        mask = difference(rgb, plate.image) > 24
        found = instances(mask, mask.astype(np.uint8) * 255, int(0.002 * W * H), int(0.6 * W * H))
        out.append([i.mask for i in found if not judge(i.mask, rgb, p, plate.image)])
    return out


@pytest.mark.parametrize("seed", SEEDS)
def test_large_walkers_do_not_read_as_a_moving_camera(seed):
    """Two characters 70% of the frame tall cross it in opposite directions: every frame
    of the still camera gets the plate, and the layers are those characters."""
    rng = np.random.default_rng(seed)
    n = 12
    a = np.linspace(rng.uniform(0.05, 0.2) * W, rng.uniform(0.8, 0.95) * W, n)
    b = np.linspace(rng.uniform(0.8, 0.95) * W, rng.uniform(0.05, 0.2) * W, n)
    frames, truths = _scene(seed, list(zip(a, b)))
    plate = build_plate(frames, 24, 3, 0.25)
    assert plate.reason is None
    tally = Tally()
    for layers, truth in zip(_layers(frames, plate), truths):
        tally.add_coverage(layers is not None)
        if layers is not None:
            tally.add_frame(layers, truth, min_pixels=int(0.002 * W * H))
    assert tally.coverage >= 0.9, plate.verdicts
    assert tally.precision >= 0.95, tally.bad
    assert tally.recall >= 0.8


@pytest.mark.parametrize("seed", SEEDS)
def test_a_pan_is_a_moving_camera(seed):
    frames, _ = _scene(seed, [(0.3 * W + 3 * t,) for t in range(10)], pan=6 + 2 * seed)
    plate = build_plate(frames, 24, 3, 0.25)
    assert plate.reason == "moving camera" or all(plate.verdicts.values()), plate.verdicts


@pytest.mark.parametrize("seed", SEEDS)
def test_a_character_that_stood_then_left_leaves_no_ghost(seed):
    """One character stands still for 7 of 12 frames (so the median holds it), then is gone;
    another walks. No layer may be cut from the background where the first one stood."""
    rng = np.random.default_rng(seed + 10)
    n, stay = 12, 7
    x_stand = rng.uniform(0.2, 0.35) * W
    walk = np.linspace(0.95 * W, 0.45 * W, n)
    frames, truths = _scene(seed, [(x_stand if t < stay else None, walk[t]) for t in range(n)])
    plate = build_plate(frames, 24, 3, 0.25)
    if plate.reason is not None:
        # the walker reaching the spot the other one left joins its ghost in one region that
        # looks like background moved: the shot is skipped, which is allowed, never guessed
        assert seed == 3 and plate.reason.startswith("background moved under the plate"), plate.reason
        return
    tally = Tally()
    for layers, truth in zip(_layers(frames, plate), truths):
        if layers is not None:
            tally.add_frame(layers, truth, min_pixels=int(0.002 * W * H))
    assert tally.layers and tally.precision == 1.0, tally.bad  # no ghost layers


def _ring(r_out: int, r_in: int) -> np.ndarray:
    yy, xx = np.mgrid[:H, :W]
    d = np.hypot(yy - H / 2, xx - W / 2)
    return (d <= r_out) & (d >= r_in)


def test_plausibility_drops_strips_and_rings_but_keeps_characters():
    from celvault.synthetic import CAST, draw_character

    p = Plausibility()
    strip = np.zeros((H, W), bool)
    strip[20:160, 100:104] = True  # 4 px wide, 140 tall: an edge of a moved background
    assert shape_reason(strip, H, p) == "thin strip"
    long_bar = np.zeros((H, W), bool)
    long_bar[80:92, 5:315] = True  # thick enough, far too long for it
    assert shape_reason(long_bar, H, p) == "thin strip"
    assert shape_reason(_ring(72, 52), H, p) == "mostly holes"  # a hollow ring, thick enough not to be a strip
    assert shape_reason(_ring(70, 62), H, p) is not None  # a thin one is dropped too (as a strip)
    for char in CAST:
        for height in (0.3, 0.6, 0.9):
            _, alpha, _ = draw_character(char, int(H * height), 1, 1)
            m = np.zeros((H, W), bool)
            h, w = alpha.shape[:2]
            m[:min(h, H), 10:10 + min(w, W - 10)] = alpha[:min(h, H), :min(w, W - 10)] > 0
            assert shape_reason(m, H, p) is None, (char.name, height)


def test_plausibility_drops_regions_that_match_the_plate():
    rng = np.random.default_rng(0)
    plate = rng.integers(0, 255, (H, W, 3), dtype=np.uint8)
    frame = plate.copy()
    region = np.zeros((H, W), bool)
    region[40:140, 100:160] = True
    frame[region] = np.clip(frame[region].astype(int) + 10, 0, 255).astype(np.uint8)  # a small exposure change
    assert judge(region, frame, Plausibility(), plate) == "matches the plate"
    frame[region] = 255 - plate[region]  # something else entirely: kept
    assert judge(region, frame, Plausibility(), plate) is None
