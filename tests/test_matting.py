"""Matting (stages/matting.py): a true soft alpha and foreground colour at layer edges, the
`matting:` preset key, and segment storing matted cut-outs without changing what presets
without matting compute."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from celvault.errors import ConfigError
from celvault.media.codec import decode_png
from celvault.stages import matting
from celvault.stages.matting import matte, matte_region
from celvault.stages.refine import _matting, instances, load_preset, preset_names, refine

from .conftest import Cli

FILL, BG1, BG2 = np.array([220, 120, 90.0]), np.array([60, 140, 200.0]), np.array([240, 230, 120.0])


def _scene(h=160, w=140, seed=0):
    """(frame uint8, true alpha, true foreground, segmenter soft alpha): a body with an
    anti-aliased edge and three thin semi-transparent strands (rendered at 4x), over a
    two-colour background; the soft alpha is the true one blurred and made overconfident."""
    ss = 4
    cov = np.zeros((h * ss, w * ss), np.float32)
    cv2.ellipse(cov, (w * ss // 2, h * ss // 2 + 20 * ss), (40 * ss, 50 * ss), 0, 0, 360, 1.0, -1)
    for dx in (-20, 0, 20):  # strands going up from the top of the body
        cv2.line(cov, (w * ss // 2 + dx * ss, h * ss // 2 - 25 * ss), (w * ss // 2 + dx * ss * 2, 8 * ss), 0.6, ss,
                 cv2.LINE_AA)
    alpha = np.clip(cv2.resize(cov, (w, h), interpolation=cv2.INTER_AREA), 0, 1).astype(np.float64)
    rng = np.random.default_rng(seed)
    bg = np.where((np.arange(w) < w // 2 + rng.integers(-10, 10))[None, :, None], BG1, BG2) * np.ones((h, 1, 1))
    frame = (alpha[..., None] * FILL + (1 - alpha[..., None]) * bg).round().astype(np.uint8)
    blurred = cv2.GaussianBlur(alpha, (0, 0), 1.5)
    soft = (255 / (1 + np.exp(-(blurred - 0.5) * 12))).round().astype(np.uint8)
    return frame, alpha, soft


def _band(alpha):
    disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (13, 13))
    return cv2.dilate((alpha > 0.01).astype(np.uint8), disk).astype(bool) & \
        ~cv2.erode((alpha > 0.99).astype(np.uint8), disk).astype(bool)


def _main(soft, preset):
    a, mask = refine(soft, load_preset(preset))
    return max(instances(mask, a, 1, mask.size), key=lambda i: i.area)


def test_matte_recovers_the_true_alpha_better_than_the_presets():
    frame, alpha, soft = _scene()
    band = _band(alpha)
    for preset, ratio in (("aggressive", 0.5), ("none", 0.7)):
        inst = _main(soft, preset)
        a, _ = matte(frame, soft, inst.mask, "closed_form")
        sad_preset = np.abs(inst.alpha / 255.0 - alpha)[band].sum()
        sad_matte = np.abs(a / 255.0 - alpha)[band].sum()
        assert sad_matte < ratio * sad_preset, (preset, sad_matte, sad_preset)
        # strand pixels the preset's mask cut off, within the unknown band: brought back
        _, unknown = matting.trimap(soft, inst.mask, matting.band_px(*soft.shape))
        strands = (alpha > 0.2) & (alpha < 0.8) & ~inst.mask & unknown
        assert strands.sum() > 10 and a[strands].mean() > 8, (strands.sum(), a[strands].mean())  # 0 before
    # knn also beats the preset
    inst = _main(soft, "aggressive")
    a, _ = matte(frame, soft, inst.mask, "knn")
    assert np.abs(a / 255.0 - alpha)[band].sum() < np.abs(inst.alpha / 255.0 - alpha)[band].sum()


def test_recovered_colour_has_no_background_in_it():
    frame, alpha, soft = _scene()
    inst = _main(soft, "aggressive")
    a, rgb = matte(frame, soft, inst.mask, "closed_form")
    semi = (alpha > 0.1) & (alpha < 0.9) & (a > 0)
    assert semi.sum() > 100
    bleed_frame = np.abs(frame[semi] - FILL).mean()
    bleed_matte = np.abs(rgb[semi] - FILL).mean()
    assert bleed_frame > 40 and bleed_matte < 0.25 * bleed_frame, (bleed_frame, bleed_matte)
    opaque = a == 255
    assert (rgb[opaque] == frame[opaque]).all()  # the frame's colour where the layer is opaque


def test_matte_is_deterministic_and_none_keeps_the_input():
    frame, _, soft = _scene(seed=3)
    inst = _main(soft, "aggressive")
    one, two = matte(frame, soft, inst.mask, "closed_form"), matte(frame, soft, inst.mask, "closed_form")
    assert np.array_equal(one[0], two[0]) and np.array_equal(one[1], two[1])
    a, rgb = matte(frame, inst.alpha, inst.mask, "none")
    assert np.array_equal(a, inst.alpha) and np.array_equal(rgb, frame)
    with pytest.raises(ConfigError, match="unknown matting method 'bayes'"):
        matte(frame, soft, inst.mask, "bayes")


def test_a_large_crop_is_solved_downscaled(monkeypatch):
    frame, alpha, soft = _scene()
    big = [cv2.resize(x, (1120, 1280), interpolation=cv2.INTER_LINEAR) for x in (frame, soft)]
    mask = _main(big[1], "none").mask
    seen = []
    solve = matting._solve
    monkeypatch.setattr(matting, "_solve", lambda img, *a: seen.append(img.shape) or solve(img, *a))
    a, rgb = matte(big[0], big[1], mask, "closed_form", max_side=160)
    assert seen and max(seen[0][:2]) <= 160
    assert a.shape == mask.shape and rgb.shape == big[0].shape
    fg, unknown = matting.trimap(big[1], mask, matting.band_px(*mask.shape))
    assert (a[fg] == 255).all() and (a[~fg & ~unknown] == 0).all()  # exact outside the unknown band


def test_matte_region_grows_the_bbox_to_what_the_matte_kept():
    frame, alpha, soft = _scene()
    h, w = soft.shape
    full = np.zeros((h + 40, w + 40, 3), np.uint8)
    full[20:-20, 20:-20] = frame
    fsoft = np.zeros(full.shape[:2], np.uint8)
    fsoft[20:-20, 20:-20] = soft
    inst = _main(fsoft, "none")
    bbox, a, rgb = matte_region(full, fsoft, inst.mask, inst.bbox, "closed_form")
    x0, y0, x1, y1 = bbox
    assert a.shape == (y1 - y0, x1 - x0) == rgb.shape[:2]
    assert y0 < inst.bbox[1]  # the strand tips above the mask are in the layer
    assert x0 <= inst.bbox[0] and x1 >= inst.bbox[2] and y1 >= inst.bbox[3]


def test_preset_matting_key_and_config_id():
    assert {"matte", "matte-tight"} <= set(preset_names())
    legacy = {"name": "aggressive", "close": {"kernel": 3, "iterations": 5}, "open": None, "blur": 3,
              "threshold": 100, "dilate": {"kernel": 7, "iterations": 3}}
    assert load_preset("aggressive").params() == legacy  # no matting: the config id of before
    m = load_preset("matte")
    assert (m.matting, m.max_side) == ("closed_form", 384)
    assert m.params() == {**legacy, "name": "matte", "matting": "closed_form", "band": 0, "max_side": 384}
    assert load_preset("matte-tight").params()["threshold"] == 127
    with pytest.raises(ConfigError, match=r"configs/segment/x.yaml matting: expected one of none, closed_form, knn"):
        _matting({"matting": "bayes"}, "configs/segment/x.yaml")
    with pytest.raises(ConfigError, match="configs/segment/x.yaml: band"):
        _matting({"matting": "knn", "band": -1}, "configs/segment/x.yaml")


def test_segment_config_id_changes_only_with_matting():
    from celvault.stages.segment import SegmentStage

    ids = {p: SegmentStage({"backend": "plate", "preset": p}).config_id() for p in ("none", "aggressive", "matte")}
    assert len(set(ids.values())) == 3


@pytest.fixture(scope="module")
def matted(tmp_path_factory):
    from celvault.synthetic import EpisodeSpec, make_episode

    root = tmp_path_factory.mktemp("matting")
    make_episode(root / "ep.mp4", EpisodeSpec(seed=1, duration_s=6.0, opening_s=0, walkers=True, fade=False,
                                              moving_camera_shots=0))
    cli = Cli(root / "cat.db")
    cli("init")
    cli("ingest", root / "ep.mp4", "--interval", "0.25")
    plain = cli("run", "dedup", "segment", "--profile", "offline").output
    before = _cutouts(cli)
    report = cli("run", "segment", "--profile", "offline", "--preset", "matte-tight", "--redo").output
    return cli, plain, report, before, _cutouts(cli)


def _cutouts(cli):
    from celvault.catalog import Catalog

    cat = Catalog.open(cli.catalog)
    rows = cat.read("layer_media", ["layer_id", "data", "mask"], "kind = 'character'").to_pylist()
    made = {r["layer_id"]: r for r in cat.read("layers", ["layer_id", "bbox", "made_by"]).to_pylist()}
    return {r["layer_id"]: (decode_png(r["data"]), decode_png(r["mask"]), made[r["layer_id"]]) for r in rows}


def test_a_run_with_the_matte_preset_stores_soft_edges(matted):
    cli, plain, report, before, after = matted
    assert "matting" not in plain
    assert "matting (closed_form):" in report and "ms per frame" in report
    assert set(after) == set(before) and len(after) >= 10
    soft_before = soft_after = 0
    for lid, (rgba, mask, made) in after.items():
        x0, y0, x1, y1 = made["bbox"]
        assert rgba.shape == (y1 - y0, x1 - x0, 4) and mask.shape == rgba.shape[:2]
        a = rgba[..., 3]
        soft_after += int(((a > 0) & (a < 255)).sum())
        b = before[lid][0][..., 3]
        soft_before += int(((b > 0) & (b < 255)).sum())
        assert made["made_by"] != before[lid][2]["made_by"]
        assert (a[mask > 127] > 0).mean() > 0.97  # the mask is still the layer's
    assert soft_after > 1.5 * soft_before  # edges carry intermediate alpha


def test_a_run_without_matting_is_not_redone(matted):
    cli, *_ = matted
    cli("run", "segment", "--profile", "offline", "--preset", "none", "--redo")
    again = cli("run", "segment", "--profile", "offline", "--redo").output
    assert "nothing to do" in again
