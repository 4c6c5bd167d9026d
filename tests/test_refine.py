"""Refinement presets and the split of masks into character instances."""

from __future__ import annotations

import numpy as np
import pytest

from celvault.errors import ConfigError
from celvault.stages.refine import from_masks, instances, load_preset, preset_names, refine


def _blob(h=120, w=200):
    soft = np.zeros((h, w), np.uint8)
    soft[30:90, 40:70] = 200  # a character with a one-pixel crack and a faint edge
    soft[60, 40:70] = 0
    soft[30:90, 70:73] = 110
    soft[10:12, 150:152] = 255  # a speck
    return soft


def test_presets_have_the_design_parameters():
    assert set(preset_names()) >= {"aggressive", "expand", "none"}
    a = load_preset("aggressive")
    assert (a.close.kernel, a.close.iterations, a.open, a.blur, a.threshold) == (3, 5, None, 3, 100)
    assert (a.dilate.kernel, a.dilate.iterations) == (7, 3)
    e = load_preset("expand")
    assert (e.close.kernel, e.close.iterations, e.open.iterations, e.blur, e.threshold) == (5, 2, 1, 5, 127)
    assert (e.dilate.kernel, e.dilate.iterations) == (5, 2)
    with pytest.raises(ConfigError, match="unknown refinement preset 'nope'.*aggressive"):
        load_preset("nope")


def test_aggressive_closes_cracks_and_grows_none_does_not():
    soft = _blob()
    _, plain = refine(soft, load_preset("none"))
    alpha, grown = refine(soft, load_preset("aggressive"))
    assert not plain[60, 50] and grown[60, 50]  # crack closed
    assert plain[30:90, 40:70].sum() < grown.sum()
    assert grown[25, 55] and not plain[25, 55]  # grown past the edge
    assert not plain[30:90, 70:73].any()  # 110 < 127
    assert (alpha[~grown] == 0).all() and alpha[50, 55] > 150  # soft alpha kept inside the mask


def test_instances_drop_specks_and_frame_sized_regions():
    mask = np.zeros((100, 200), bool)
    mask[20:80, 120:150] = True  # right character
    mask[20:80, 20:50] = True  # left character
    mask[5:7, 100:102] = True  # speck
    found = instances(mask, mask.astype(np.uint8) * 255, min_area=50, max_area=5000)
    assert [i.bbox for i in found] == [(20, 20, 50, 80), (120, 20, 150, 80)]  # left to right
    assert [i.area for i in found] == [1800, 1800]
    assert instances(np.ones((100, 200), bool), np.full((100, 200), 255, np.uint8), 50, 12000) == []


def test_instance_masks_keep_wholes_not_parts_or_background():
    h, w = 100, 200
    sky = np.zeros((h, w), bool)
    sky[:60] = True
    body = np.zeros((h, w), bool)
    body[30:90, 20:50] = True
    face = np.zeros((h, w), bool)
    face[30:45, 25:45] = True
    other = np.zeros((h, w), bool)
    other[40:95, 120:160] = True
    found = from_masks([face, sky, other, body], min_area=100, max_area=int(0.5 * h * w) - 1)
    assert [i.bbox for i in found] == [(20, 30, 50, 90), (120, 40, 160, 95)]


def test_device_auto_is_the_cpu_without_cuda(monkeypatch):
    from celvault.stages.backends import device

    monkeypatch.setattr(device, "cuda_available", lambda: False)
    assert device.resolve("auto") == "cpu" and device.onnx_providers("cpu") == ["CPUExecutionProvider"]
    with pytest.raises(ConfigError, match="no CUDA device"):
        device.resolve("cuda")
    monkeypatch.setattr(device, "cuda_available", lambda: True)
    assert device.resolve("auto") == "cuda"
