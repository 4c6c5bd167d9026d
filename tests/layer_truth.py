"""Scoring a catalogue's layers against a synthetic episode's ground truth."""

from __future__ import annotations

import numpy as np

from celvault.catalog import Catalog
from celvault.media.codec import decode_png, union_mask


def layer_scores(catalog_path, episode_id: str, truth, kind_filter=None) -> list[dict]:
    """Per segmented frame: IoU of the predicted character mask with the true one, the
    background error where the plate saw it, and the truth shot."""
    from celvault.synthetic import render_frame

    cat = Catalog.open(catalog_path)
    frames = cat.read("frames", None, f"episode_id = '{episode_id}' AND segment_method IS NOT NULL").to_pylist()
    layers = cat.read("layers", None, f"episode_id = '{episode_id}'").to_pylist()
    media = {r["layer_id"]: r for r in cat.read("layer_media", ["layer_id", "data", "mask"],
                                                 f"episode_id = '{episode_id}'").to_pylist()}
    out = []
    for fr in sorted(frames, key=lambda r: r["frame_index"]):
        mine = [r for r in layers if r["frame_id"] == fr["frame_id"]]
        chars = [r for r in mine if r["kind"] == "character"]
        rendered = render_frame(truth.spec, truth, fr["frame_index"])
        true_mask = np.zeros(rendered.rgb.shape[:2], bool)
        for m in rendered.masks.values():
            true_mask |= m
        pred = union_mask(fr["height"], fr["width"], [r["bbox"] for r in chars],
                          [media[r["layer_id"]]["mask"] for r in chars])
        union = (pred | true_mask).sum()
        iou = float((pred & true_mask).sum() / union) if union else 1.0
        bg = [r for r in mine if r["kind"] == "background"]
        bg_err = None
        if bg:
            img = decode_png(media[bg[0]["layer_id"]]["data"])
            hidden = true_mask  # pixels the characters covered: what inpainting had to invent
            if hidden.any():
                bg_err = float(np.abs(img.astype(int) - rendered.background.astype(int))[hidden].mean())
        out.append({"frame_id": fr["frame_id"], "frame_index": fr["frame_index"], "iou": iou,
                    "shot": truth.frames[fr["frame_index"]].shot, "method": fr["segment_method"],
                    "layers": len(chars), "true_characters": int(sum(m.any() for m in rendered.masks.values())),
                    "bg_error": bg_err, "inpaint": fr.get("inpaint_method"),
                    "static": truth.shot_of(fr["frame_index"]).static_camera,
                    "fade": truth.frames[fr["frame_index"]].fade_factor})
    return out
