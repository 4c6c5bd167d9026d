"""Manual near-duplicate decisions: unlink a frame from its group, or make it the group's
representative. Stored on the frame (`dup_manual`: unlinked | representative) and in the
decisions log; the dedup stage's grouping keeps them on every rerun (stages/dedup.py).

A frame that becomes a representative has its later stages' outputs cleared (they run for it
next time); a representative that becomes a member loses its layers, as `celvault check`
expects of non-representatives, and the identities they were in are recounted.
"""

from __future__ import annotations

import pyarrow as pa

from celvault.errors import CelvaultError

from .characters import read_characters
from .decisions import record
from .fill import write_by_fragment
from .schema import FRAMES
from .store import Catalog, sql_in, sql_str

MANUAL = pa.field("dup_manual", pa.string())
DEDUP_COLUMNS = {"phash", "dhash", "sharpness", "dup_thumb", "dup_group", "dup_of", "dedup_config", "dedup_error",
                 "dup_manual"}


class UnknownFrame(CelvaultError):
    def __init__(self, frame_id):
        super().__init__(f"no frame with id {frame_id!r} in this catalogue")


class NotADuplicate(CelvaultError):
    """The frame is not in a near-duplicate group the way the action needs."""


def _frame(catalog: Catalog, frame_id: str) -> dict:
    names = catalog.dataset("frames").schema.names
    if "dup_group" not in names:
        raise CelvaultError("no near-duplicate groups yet: run `celvault run dedup` first")
    cols = ["frame_id", "dup_group", "dup_of"] + (["dup_manual"] if "dup_manual" in names else [])
    rows = catalog.read("frames", cols, f"frame_id = {sql_str(frame_id)}").to_pylist()
    if not rows:
        raise UnknownFrame(frame_id)
    if rows[0]["dup_group"] is None:
        raise NotADuplicate(f"frame {frame_id} has not been grouped yet: run `celvault run dedup` first")
    return {"dup_manual": None, **rows[0]}


def _set(catalog: Catalog, rows: list[dict]) -> None:
    write_by_fragment(catalog, "frames", "frame_id", pa.table({
        "frame_id": pa.array([r["frame_id"] for r in rows], pa.string()),
        "dup_group": pa.array([r["dup_group"] for r in rows], pa.string()),
        "dup_of": pa.array([r["dup_of"] for r in rows], pa.string()),
        "dup_manual": pa.array([r["dup_manual"] for r in rows], pa.string())}))


def _clear_outputs(catalog: Catalog, frame_id: str) -> list[str]:
    """Null the later stages' columns of a frame that becomes a representative: they run for it."""
    schema = catalog.dataset("frames").schema
    base = set(FRAMES.names) | DEDUP_COLUMNS
    fields = [f for f in schema if f.name not in base]
    if fields:
        write_by_fragment(catalog, "frames", "frame_id", pa.table(
            [pa.array([frame_id], pa.string())] + [pa.nulls(1, f.type) for f in fields],
            names=["frame_id"] + [f.name for f in fields]))
    return [f.name for f in fields]


def _drop_layers(catalog: Catalog, frame_id: str) -> int:
    """Delete a frame's layers (pointers first, then media) and recount the identities."""
    from .identity_edits import rebuild_identities

    where = f"frame_id = {sql_str(frame_id)}"
    cols = ["layer_id"] + (["cluster_id"] if "cluster_id" in catalog.dataset("layers").schema.names else [])
    rows = catalog.read("layers", cols, where).to_pylist()
    if not rows:
        return 0
    touched = sorted({r.get("cluster_id") for r in rows if r.get("cluster_id") is not None and r["cluster_id"] >= 0})
    catalog.delete("layers", where)
    catalog.delete("layer_media", sql_in("layer_id", [r["layer_id"] for r in rows]))
    if "characters" in catalog.dataset("frames").schema.names:
        write_by_fragment(catalog, "frames", "frame_id", pa.table({
            "frame_id": pa.array([frame_id], pa.string()), "characters": pa.nulls(1, pa.list_(pa.int64()))}))
    if touched:
        rebuild_identities(catalog, read_characters(catalog), touched)
    return len(rows)


def unlink_duplicate(catalog: Catalog, frame_id: str) -> dict:
    """Frame `frame_id` leaves its group and becomes its own representative (later stages fill
    it next run). Returns {frame_id, was_duplicate_of, cleared: [columns]}."""
    row = _frame(catalog, frame_id)
    if row["dup_of"] is None:
        raise NotADuplicate(f"frame {frame_id} is not a duplicate: it is the representative of its group")
    catalog.ensure_columns("frames", [MANUAL])
    _set(catalog, [{"frame_id": frame_id, "dup_group": frame_id, "dup_of": None, "dup_manual": "unlinked"}])
    cleared = _clear_outputs(catalog, frame_id)
    result = {"frame_id": frame_id, "was_duplicate_of": row["dup_of"], "cleared": cleared}
    record(catalog, "unlink", {"frame_id": frame_id}, {"frames": [row]}, result)
    return result


def choose_representative(catalog: Catalog, frame_id: str) -> dict:
    """Frame `frame_id` becomes its group's representative; the old one, and every other
    member, a duplicate of it (the old representative's layers are deleted).
    Returns {frame_id, previous, members, dropped_layers, cleared: [columns]}."""
    row = _frame(catalog, frame_id)
    if row["dup_of"] is None:
        raise NotADuplicate(f"frame {frame_id} is already the representative of its group")
    catalog.ensure_columns("frames", [MANUAL])
    old = row["dup_group"]
    group = catalog.read("frames", ["frame_id", "dup_group", "dup_of", "dup_manual"],
                         f"dup_group = {sql_str(old)}").to_pylist()
    changed = [{"frame_id": r["frame_id"], "dup_group": frame_id,
                "dup_of": None if r["frame_id"] == frame_id else frame_id,
                "dup_manual": "representative" if r["frame_id"] == frame_id else None} for r in group]
    _set(catalog, sorted(changed, key=lambda r: r["frame_id"]))
    dropped = _drop_layers(catalog, old)
    cleared = _clear_outputs(catalog, frame_id)
    result = {"frame_id": frame_id, "previous": old, "members": len(group), "dropped_layers": dropped,
              "cleared": cleared}
    record(catalog, "represent", {"frame_id": frame_id}, {"frames": sorted(group, key=lambda r: r["frame_id"])},
           result)
    return result
