"""Which true character each character layer shows, for scoring identities."""

from __future__ import annotations

from celvault.catalog import Catalog
from celvault.media.codec import decode_png

MIXED = "(mixed)"


def layer_truth(catalog_path, truths: dict[str, object], purity: float = 0.8) -> dict[str, str]:
    """layer_id -> the character covering at least `purity` of the layer's mask pixels (else
    MIXED: touching characters cut as one layer). `truths`: episode_id -> EpisodeTruth."""
    from celvault.synthetic import render_frame

    cat = Catalog.open(catalog_path)
    layers = cat.read("layers", ["layer_id", "frame_id", "episode_id", "bbox"], "kind = 'character'").to_pylist()
    masks = dict(zip(*(cat.read("layer_media", ["layer_id", "mask"], "kind = 'character'").column(c).to_pylist()
                       for c in ("layer_id", "mask"))))
    frames = {r["frame_id"]: r["frame_index"] for r in cat.read("frames", ["frame_id", "frame_index"]).to_pylist()}
    rendered = {}
    out = {}
    for lay in sorted(layers, key=lambda r: r["layer_id"]):
        truth = truths[lay["episode_id"]]
        key = (lay["episode_id"], frames[lay["frame_id"]])
        if key not in rendered:
            rendered[key] = render_frame(truth.spec, truth, key[1]).masks
        x0, y0, x1, y1 = lay["bbox"]
        mine = decode_png(masks[lay["layer_id"]]) > 0
        counts = {name: int((m[y0:y1, x0:x1] & mine).sum()) for name, m in rendered[key].items()}
        best = max(counts, key=counts.get) if counts else None
        total = int(mine.sum())
        out[lay["layer_id"]] = best if best and total and counts[best] >= purity * total else MIXED
    return out
