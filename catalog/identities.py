"""Character identities as users see them: list, name, merge, look at members.

Identities are the rows of the `characters` table made by the cluster stage. A character is
referred to by its cluster id or its name (case-insensitive; an unambiguous prefix is
enough). Names live only in the catalogue; reclustering and new episodes keep them.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa

from celvault.catalog import Catalog
from celvault.catalog.characters import read_characters, refresh_frame_characters, write_characters
from celvault.catalog.decisions import ensure_layer_columns, identity_state, layer_state, not_junk, record
from celvault.catalog.fill import and_filters, write_by_fragment
from celvault.catalog.store import sql_in
from celvault.errors import CelvaultError, UnknownCharacter


def _label(row: dict) -> str:
    return f"{row['cluster_id']} ({row['name']})" if row["name"] else str(row["cluster_id"])


def normal_name(name) -> str:
    """A name as stored: runs of whitespace (newlines, tabs) become one space, ends trimmed."""
    return " ".join(str(name).split())


def resolve(known: list[dict], ref: str | int) -> dict:
    """The identity `ref` names: a cluster id, or a name (normalised like stored names, any
    case, an unambiguous prefix)."""
    text = normal_name(ref)
    if text.lstrip("-").isdigit():
        for row in known:
            if row["cluster_id"] == int(text):
                return row
    elif text:
        low = text.casefold()
        exact = [r for r in known if r["name"] and normal_name(r["name"]).casefold() == low]
        found = exact or [r for r in known if r["name"] and normal_name(r["name"]).casefold().startswith(low)]
        if len(found) == 1 or (found and len({r["name"] for r in found}) == 1 and exact):
            return found[0]
        if len(found) > 1:
            raise UnknownCharacter(text, [_label(r) for r in found], ambiguous=True)
    raise UnknownCharacter(text, [_label(r) for r in known])


def list_identities(catalog: Catalog) -> dict:
    known = read_characters(catalog)
    unassigned = 0
    if "cluster_id" in catalog.dataset("layers").schema.names:
        unassigned = catalog.count("layers", and_filters("kind = 'character' AND cluster_id = -1", not_junk(catalog)))
    rows = [{"cluster_id": r["cluster_id"], "name": r["name"], "members": r["members"],
             "references": r["references"], "embed_model": r["embed_model"]}
            for r in sorted(known, key=lambda r: (-r["members"], r["cluster_id"]))]
    return {"characters": rows, "unassigned": unassigned}


def name_identity(catalog: Catalog, ref: str, name: str) -> dict:
    name = normal_name(name)
    if not name:
        raise CelvaultError("a character name cannot be empty")
    if name.lstrip("-").isdigit():
        raise CelvaultError(f"{name!r}: a name cannot be a number (numbers mean cluster ids)")
    known = read_characters(catalog)
    row = resolve(known, ref)
    before = {"identities": identity_state(known, [row["cluster_id"]])}
    previous, row["name"] = row["name"], name
    write_characters(catalog, known, len(row["centroid"]))
    shared = [r["cluster_id"] for r in known if r["name"] == name and r is not row]
    result = {"cluster_id": row["cluster_id"], "name": name, "previous": previous, "also_named": shared}
    record(catalog, "name", {"cluster_id": row["cluster_id"], "name": name}, before, result)
    return result


def _member_rows(catalog: Catalog, cluster_ids: list[int]) -> pa.Table:
    where = f"kind = 'character' AND cluster_id IN ({', '.join(str(int(c)) for c in cluster_ids)})"
    return catalog.read("layers", ["layer_id", "frame_id", "episode_id", "embedding", "cluster_id"], where)


def merge_identities(catalog: Catalog, keep_ref: str, other_ref: str) -> dict:
    """Fold identity `other` into `keep`: its layers, frames and name (if `keep` has none)."""
    from celvault.stages.clustering import identities

    known = read_characters(catalog)
    keep, other = resolve(known, keep_ref), resolve(known, other_ref)
    if keep["cluster_id"] == other["cluster_id"]:
        raise CelvaultError(f"cannot merge character {_label(keep)} with itself")
    rows = _member_rows(catalog, [keep["cluster_id"], other["cluster_id"]]).sort_by("layer_id")
    moved = [lid for lid, c in zip(rows.column("layer_id").to_pylist(), rows.column("cluster_id").to_pylist())
             if c == other["cluster_id"]]
    ensure_layer_columns(catalog)
    before = {"layers": layer_state(catalog, moved),
              "identities": identity_state(known, [keep["cluster_id"], other["cluster_id"]])}
    values = pa.table({"layer_id": pa.array(moved, pa.string()),
                       "cluster_id": pa.array([keep["cluster_id"]] * len(moved), pa.int64()),
                       "cluster_manual": pa.array([True] * len(moved), pa.bool_())})  # run cluster keeps it
    # layers, then frames, then the identities: a merge stopped midway is finished by
    # running it again (both identities still exist until the last write)
    write_by_fragment(catalog, "layers", "layer_id", values)
    refresh_frame_characters(catalog, rows.column("frame_id").to_pylist())
    vectors = np.asarray(rows.column("embedding").combine_chunks().flatten(), np.float32)
    vectors = vectors.reshape(rows.num_rows, -1) if rows.num_rows else vectors.reshape(0, len(keep["centroid"]))
    if len(vectors):
        ident = identities(vectors, np.zeros(len(vectors), int))[0]
        order = np.argsort(1.0 - vectors @ ident.centroid, kind="stable")[:len(keep["references"]) or 8]
        keep.update(centroid=ident.centroid, radius=ident.radius, members=ident.count,
                    references=[rows.column("layer_id")[int(i)].as_py() for i in order])
    kept_name = keep["name"] or other["name"]
    dropped_name = other["name"] if keep["name"] and other["name"] and other["name"] != keep["name"] else None
    keep["name"] = kept_name
    write_characters(catalog, [r for r in known if r is not other], len(keep["centroid"]))
    result = {"cluster_id": keep["cluster_id"], "name": kept_name, "merged": other["cluster_id"],
              "moved_layers": len(moved), "members": keep["members"], "dropped_name": dropped_name}
    record(catalog, "merge", {"keep": keep["cluster_id"], "other": other["cluster_id"]}, before, result)
    return result


def identity_members(catalog: Catalog, ref: str, limit: int | None = None) -> tuple[dict, list[dict]]:
    """The identity and its member layers, closest to its centroid first."""
    known = read_characters(catalog)
    row = resolve(known, ref)
    rows = _member_rows(catalog, [row["cluster_id"]])
    if rows.num_rows == 0:
        return row, []
    vectors = np.asarray(rows.column("embedding").combine_chunks().flatten(), np.float32).reshape(rows.num_rows, -1)
    frames = pl.from_arrow(catalog.read("frames", ["frame_id", "time_s"],
                                        sql_in("frame_id", sorted(set(rows.column("frame_id").to_pylist())))))
    time_of = dict(zip(frames["frame_id"].to_list(), frames["time_s"].to_list()))
    members = [{"layer_id": lid, "frame_id": fid, "episode_id": ep, "time_s": time_of.get(fid),
                "distance": round(float(1.0 - v @ row["centroid"]), 4)}
               for lid, fid, ep, v in zip(rows.column("layer_id").to_pylist(), rows.column("frame_id").to_pylist(),
                                          rows.column("episode_id").to_pylist(), vectors)]
    members.sort(key=lambda m: (m["distance"], m["layer_id"]))
    return row, members[:limit] if limit else members


def identity_sheet(catalog: Catalog, ref: str, out, limit: int = 48, thumb: int = 128) -> dict:
    from celvault.media.contact_sheet import contact_sheet
    from celvault.media.codec import decode_png

    row, members = identity_members(catalog, ref, limit)
    if not members:
        raise CelvaultError(f"character {_label(row)} has no member layers")
    media = catalog.read("layer_media", ["layer_id", "data"], sql_in("layer_id", [m["layer_id"] for m in members]))
    data = dict(zip(media.column("layer_id").to_pylist(), media.column("data").to_pylist()))
    items = [(decode_png(data[m["layer_id"]]), m["layer_id"]) for m in members if m["layer_id"] in data]
    title = f"{_label(row)}: {row['members']} layers, closest to the centroid first"
    path = contact_sheet(items, out, thumb=thumb, title=title)
    return {"cluster_id": row["cluster_id"], "name": row["name"], "sheet": str(path), "shown": len(items)}
