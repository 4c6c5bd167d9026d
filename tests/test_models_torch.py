"""LaMa (TorchScript where simple-lama reads it) and SAM2 (random checkpoint in the HF cache)
through the real loading and inference code."""

from __future__ import annotations

import numpy as np
import pytest

from celvault.media.codec import decode_png

from .helpers import decode, table
from .tiny_models import lama_torchscript, sam2_checkpoint


@pytest.fixture
def segmented(cli, episodes):
    cli("ingest", episodes["ep01"][0], "--interval", "0.25")
    cli("run", "dedup", "segment", "--profile", "offline")
    assert table(cli, "frames", "layer_count > 0")
    return cli


def test_lama_inpaint_through_simple_lama(segmented, tmp_path, monkeypatch):
    cli = segmented
    model = lama_torchscript(tmp_path / "big-lama.pt")
    monkeypatch.setenv("LAMA_MODEL", str(model))
    rows = {r["name"]: r for r in cli.json("models", "list")}
    assert rows["lama"]["present"] and rows["lama"]["path"] == str(model)
    out = cli.json("run", "inpaint", "--backend", "inpaint=lama", "--profile", "offline")
    todo = table(cli, "frames", "layer_count > 0")
    assert out[0]["rows"] == len(todo) and {f["inpaint_method"] for f in todo} == {"lama"}
    media = {m["frame_id"]: m for m in table(cli, "frame_media")}
    for layer in table(cli, "layers", "kind = 'background'"):
        m = table(cli, "layer_media", f"layer_id = '{layer['layer_id']}'")[0]
        bg, mask = decode_png(m["data"]), decode_png(m["mask"]) > 127
        frame = decode(media[layer["frame_id"]]["data"])
        assert bg.shape == frame.shape and mask.any()
        assert np.array_equal(bg[~mask], frame[~mask])  # LaMa only paints inside the mask
        assert layer["method"] == "lama"


def test_sam2_instances_through_the_real_generator(cli, episodes, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    sam2_checkpoint(tmp_path / "hf", "facebook/sam2.1-hiera-tiny")
    cfg = tmp_path / "sam2.yaml"
    cfg.write_text("models: {download: false}\nstages:\n  segment:\n    backend: sam2\n    sam2:\n"
                   "      model: facebook/sam2.1-hiera-tiny\n      points_per_side: 4\n      points_per_batch: 16\n"
                   "      pred_iou_thresh: 0.0\n      stability_score_thresh: 0.0\n      min_mask_region_area: 0\n")
    cli("ingest", episodes["ep01"][0], "--interval", "4")
    out = cli.json("run", "dedup", "segment", "--config", cfg)
    reps = table(cli, "frames", "dup_group IS NOT NULL AND dup_of IS NULL")
    assert out[1]["rows"] == len(reps) and {f["segment_method"] for f in reps} == {"sam2"}
    layers = table(cli, "layers")
    assert sum(f["layer_count"] for f in reps) == len(layers)
    for r in layers:  # instances are disjoint, none covers most of the frame
        assert 0 < r["area"] <= 0.6 * r["frame_width"] * r["frame_height"]
