"""Layer-level scores against truth: what each character layer shows, coverage, recall,
mask IoU and the background error under removed characters.

A layer is "a character" when at least half of its mask pixels are character pixels; its
label is the character covering at least `purity` of its mask, MIXED when characters
touching were cut as one, NOT_CHARACTER otherwise (a strip, a ghost, a piece of background).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np

from celvault.catalog import Catalog
from celvault.catalog.store import sql_in
from celvault.media.codec import decode_png

MIXED = "(mixed)"
NOT_CHARACTER = "(not a character)"


@dataclass
class LayerTruth:
    layer_id: str
    frame_id: str
    episode_id: str
    frame_index: int
    label: str
    character_share: float  # of the layer's mask pixels
    covers: dict  # character -> share of its visible pixels this layer covers


def _read(catalog: Catalog, table: str, columns, where=None) -> list[dict]:
    return catalog.read(table, columns, where).to_pylist()


def layer_truths(catalog: Catalog, views, purity: float = 0.8) -> list[LayerTruth]:
    layers = _read(catalog, "layers", ["layer_id", "frame_id", "episode_id", "bbox"], "kind = 'character'")
    if not layers:
        return []
    frames = {r["frame_id"]: r["frame_index"] for r in _read(catalog, "frames", ["frame_id", "frame_index"])}
    masks = dict(zip(*(catalog.read("layer_media", ["layer_id", "mask"], "kind = 'character'").column(c).to_pylist()
                       for c in ("layer_id", "mask"))))
    out = []
    for lay in sorted(layers, key=lambda r: (r["episode_id"], frames[r["frame_id"]], r["layer_id"])):
        view, idx = views[lay["episode_id"]], frames[lay["frame_id"]]
        truth = view.masks(idx)
        x0, y0, x1, y1 = lay["bbox"]
        mine = decode_png(masks[lay["layer_id"]]) > 127
        total = max(int(mine.sum()), 1)
        inside = {n: int((m[y0:y1, x0:x1] & mine).sum()) for n, m in truth.items()}
        share = sum(inside.values()) / total
        best = max(inside, key=inside.get) if inside else None
        if share < 0.5:
            label = NOT_CHARACTER
        elif best and inside[best] >= purity * total:
            label = best
        else:
            label = MIXED
        covers = {n: inside[n] / max(int(m.sum()), 1) for n, m in truth.items() if inside[n]}
        out.append(LayerTruth(lay["layer_id"], lay["frame_id"], lay["episode_id"], idx, label, share, covers))
    return out


def layer_scores(catalog: Catalog, views, truths: list[LayerTruth], found_at: float = 0.5) -> dict:
    """Precision of character layers; recall and plate coverage over representative frames of
    static shots (recall only where characters move); mask IoU of the segmented ones."""
    frames = _read(catalog, "frames", ["frame_id", "episode_id", "frame_index", "segment_method", "layer_count"],
                   "dup_group IS NOT NULL AND dup_of IS NULL")
    per_frame = defaultdict(list)
    for t in truths:
        per_frame[t.frame_id].append(t)
    labels = Counter(t.label for t in truths)
    static = moved_ok = covered = pairs = found = 0
    reasons = Counter()
    for f in frames:
        fv = views[f["episode_id"]].frame(f["frame_index"])
        method = f["segment_method"] or ""
        if method.startswith("none"):
            reasons[("static" if fv.static else "moving") + ": " + method] += 1
        if not fv.static or not fv.clean:
            continue
        static += 1
        covered += int(f["layer_count"] is not None)
        if not fv.walkers:
            continue
        moved_ok += 1
        for name in fv.characters:
            pairs += 1
            found += int(sum(t.covers.get(name, 0.0) for t in per_frame[f["frame_id"]]) >= found_at)
    n = len(truths)
    return {
        "layers": n, "labels": dict(labels),
        "precision": (n - labels[NOT_CHARACTER]) / n if n else None,
        "static_frames": static, "covered": covered, "coverage": covered / static if static else None,
        "walker_frames": moved_ok, "pairs": pairs, "found": found, "recall": found / pairs if pairs else None,
        "skips": dict(reasons),
    }


def mask_quality(catalog: Catalog, views, inpaint_backends=("background",)) -> dict:
    """Mean IoU of each segmented frame's character mask with the truth, and the mean error
    of its background layer against the true background over the pixels characters hid."""
    from celvault.media.codec import union_mask

    frames = _read(catalog, "frames", ["frame_id", "episode_id", "frame_index", "width", "height", "layer_count"],
                   "dup_group IS NOT NULL AND dup_of IS NULL AND layer_count IS NOT NULL")
    ious, errors = [], []
    for f in frames:
        view = views[f["episode_id"]]
        if not view.frame(f["frame_index"]).clean:
            continue
        layers = _read(catalog, "layers", ["layer_id", "kind", "bbox"], sql_in("frame_id", [f["frame_id"]]))
        media = {r["layer_id"]: r for r in _read(catalog, "layer_media", ["layer_id", "data", "mask"],
                                                  sql_in("frame_id", [f["frame_id"]]))}
        chars = [r for r in layers if r["kind"] == "character"]
        truth = np.zeros((f["height"], f["width"]), bool)
        for m in view.masks(f["frame_index"]).values():
            truth |= m
        pred = union_mask(f["height"], f["width"], [r["bbox"] for r in chars], [media[r["layer_id"]]["mask"] for r in chars])
        union = (pred | truth).sum()
        if union:
            ious.append(float((pred & truth).sum() / union))
        bg = [r for r in layers if r["kind"] == "background"]
        if bg and truth.any():
            img = decode_png(media[bg[0]["layer_id"]]["data"]).astype(np.int16)
            errors.append(float(np.abs(img - view.background(f["frame_index"]).astype(np.int16))[truth].mean()))
    return {"frames": len(ious), "iou": float(np.mean(ious)) if ious else None,
            "bg_frames": len(errors), "bg_error": float(np.mean(errors)) if errors else None}
