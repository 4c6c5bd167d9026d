"""Track purity against truth: the share of a track's layers that show its character.

Over tracks of two or more layers, counting only layers that show one character (a MIXED
layer of touching characters, or one that is not a character, is left out): each track
counts the layers showing its most common true character.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from celvault.catalog import Catalog

from .layers import MIXED, NOT_CHARACTER, LayerTruth


def track_scores(catalog: Catalog, truths: list[LayerTruth]) -> dict:
    """{tracks, multi (tracks of 2+ layers), layers, in_multi (their layers), pure, scored,
    purity (pure / scored, None when nothing is scored), impure (tracks not pure)}."""
    if "track_id" not in catalog.dataset("layers").schema.names:
        return {"tracks": 0}
    label = {t.layer_id: t.label for t in truths}
    rows = catalog.read("layers", ["layer_id", "track_id"], "kind = 'character' AND track_id IS NOT NULL").to_pylist()
    tracks = defaultdict(list)
    for r in rows:
        tracks[r["track_id"]].append(label.get(r["layer_id"], MIXED))
    pure = scored = impure = 0
    for labels in tracks.values():
        one = [x for x in labels if x not in (MIXED, NOT_CHARACTER)]
        if len(labels) < 2 or len(one) < 2:
            continue
        top = Counter(one).most_common(1)[0][1]
        pure, scored, impure = pure + top, scored + len(one), impure + (top < len(one))
    multi = [v for v in tracks.values() if len(v) > 1]
    return {"tracks": len(tracks), "multi": len(multi), "layers": len(rows), "in_multi": sum(len(v) for v in multi),
            "pure": pure, "scored": scored, "purity": pure / scored if scored else None, "impure": impure}
