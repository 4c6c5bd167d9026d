"""Tracks of character layers (the `track` stage's `layers.track_id`): a layer's whole track,
for manual decisions that name or move one layer and mean the character it shows all shot long."""

from __future__ import annotations

from celvault.errors import CelvaultError

from .store import Catalog, sql_in


class NoTracks(CelvaultError):
    def __init__(self):
        super().__init__("character layers have no tracks yet: `celvault run track` links them first")


def track_members(catalog: Catalog, layer_ids) -> list[str]:
    """`layer_ids` and every character layer sharing a track with one of them (sorted, each
    once). A layer without a track stands for itself; unknown ids are kept for the caller to
    report."""
    ids = sorted(set(str(i) for i in layer_ids))
    if "track_id" not in catalog.dataset("layers").schema.names:
        raise NoTracks()
    if not ids:
        return ids
    found = catalog.read("layers", ["track_id"], sql_in("layer_id", ids)).column("track_id").to_pylist()
    tracks = sorted({t for t in found if t is not None})
    if not tracks:
        return ids
    members = catalog.read("layers", ["layer_id"], f"kind = 'character' AND {sql_in('track_id', tracks)}")
    return sorted(set(ids) | set(members.column("layer_id").to_pylist()))
