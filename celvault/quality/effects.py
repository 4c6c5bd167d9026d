"""Effect layers against the truth of synthetic episodes (celvault.synthetic with
`effect_shots`): pixels of the frames' effect layers against the changed-pixel truth mask,
and the effect_overlap of character layers with and without effects over them."""

from __future__ import annotations

import numpy as np

from celvault.catalog import Catalog
from celvault.catalog.store import sql_str
from celvault.media.codec import decode_png


def _union(catalog: Catalog, frame_id: str, shape, kind: str) -> np.ndarray:
    where = f"frame_id = {sql_str(frame_id)} AND kind = '{kind}'"
    rows = catalog.read("layers", ["layer_id", "bbox"], where).to_pylist()
    masks = dict(zip(*catalog.read("layer_media", ["layer_id", "mask"], where).to_pydict().values()))
    out = np.zeros(shape, bool)
    for r in rows:
        x0, y0, x1, y1 = r["bbox"]
        out[y0:y1, x0:x1] |= decode_png(masks[r["layer_id"]]) > 0
    return out


def effect_scores(catalog: Catalog, truths: dict) -> dict | None:
    """{episode_id: EpisodeTruth} -> precision/recall/IoU of effect pixels on frames of shots
    with effects, effect layers per frame elsewhere, median effect_overlap of character layers
    in shots with and without effects. None before the effects stage ran."""
    if "effect_count" not in catalog.dataset("frames").schema.names:
        return None
    hit = found = real = 0
    elsewhere, with_fx, without_fx = [], [], []
    frames = catalog.read("frames", ["frame_id", "episode_id", "frame_index", "effect_count"],
                          "effect_count IS NOT NULL").to_pylist()
    chars = catalog.read("layers", ["frame_id", "effect_overlap"],
                         "kind = 'character' AND effect_overlap IS NOT NULL").to_pylist()
    overlap: dict[str, list] = {}
    for c in chars:
        overlap.setdefault(c["frame_id"], []).append(c["effect_overlap"])
    from celvault.synthetic import render_frame

    for f in frames:
        truth = truths.get(f["episode_id"])
        if truth is None:
            continue
        shot = truth.shots[truth.frames[f["frame_index"]].shot]
        if not shot.effect:
            elsewhere.append(f["effect_count"])
            without_fx += overlap.get(f["frame_id"], [])
            continue
        with_fx += overlap.get(f["frame_id"], [])
        r = render_frame(truth.spec, truth, f["frame_index"])
        if r.effects is None:
            continue
        mask = _union(catalog, f["frame_id"], r.effects.shape, "effect")
        hit, found, real = hit + (mask & r.effects).sum(), found + mask.sum(), real + r.effects.sum()
    return {"precision": hit / found if found else None, "recall": hit / real if real else None,
            "iou": hit / (found + real - hit) if real else None,
            "layers_per_frame_without": float(np.mean(elsewhere)) if elsewhere else None,
            "overlap_with": float(np.median(with_fx)) if with_fx else None,
            "overlap_without": float(np.median(without_fx)) if without_fx else None}


def effect_line(s: dict | None) -> str:
    if not s or s["recall"] is None:
        return "effects: no shot with effects"

    def f(v):
        return "n/a" if v is None else f"{v:.2f}"

    return (f"effects: pixel recall {f(s['recall'])}, precision {f(s['precision'])} in shots with effects; "
            f"{f(s['layers_per_frame_without'])} effect layers per frame elsewhere; character layers' effect_overlap "
            f"{f(s['overlap_with'])} with effects, {f(s['overlap_without'])} without")
