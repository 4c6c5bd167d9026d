"""Manual changes to identities' members: move layers, split them off, mark them "not a
character". Each is logged in `decisions` (catalog/decisions.py) with what it changed, so
`undo_last` puts it back, and each marks its layers so `run cluster` keeps the choice:
moved and split layers carry `cluster_manual`, junk layers `not_character` (and no identity).

Identities touched get their centroid, radius, member count and reference layers again from
their members; an identity left without members is removed (undo brings it back).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from celvault.errors import CelvaultError

from .characters import read_characters, refresh_frame_characters, write_characters
from .decisions import ensure_layer_columns, identity_state, layer_state, record
from .fill import write_by_fragment
from .identities import _label, normal_name, resolve
from .store import Catalog, sql_in
from .tracks import track_members

REFERENCES = 8


class UnknownLayer(CelvaultError):
    def __init__(self, missing: list[str]):
        shown = ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else "")
        super().__init__(f"no character layer with id {shown} in this catalogue")
        self.missing = missing


def _layers(catalog: Catalog, layer_ids) -> list[dict]:
    """The character layers named (each once, sorted), or UnknownLayer."""
    ids = sorted(set(str(i) for i in layer_ids))
    if not ids:
        raise CelvaultError("name at least one layer id")
    ensure_layer_columns(catalog)
    state = layer_state(catalog, ids)
    kinds = dict(zip(*[catalog.read("layers", ["layer_id", "kind"], sql_in("layer_id", ids)).column(c).to_pylist()
                       for c in ("layer_id", "kind")]))
    missing = [i for i in ids if kinds.get(i) != "character"]
    if missing:
        raise UnknownLayer(missing)
    return state


def _write(catalog: Catalog, ids: list[str], cluster_id: int, manual: bool | None, junk: bool | None) -> None:
    n = len(ids)
    write_by_fragment(catalog, "layers", "layer_id", pa.table({
        "layer_id": pa.array(ids, pa.string()), "cluster_id": pa.array([cluster_id] * n, pa.int64()),
        "cluster_manual": pa.array([manual] * n, pa.bool_()), "not_character": pa.array([junk] * n, pa.bool_())}))
    frames = catalog.read("layers", ["frame_id"], sql_in("layer_id", ids)).column("frame_id").to_pylist()
    refresh_frame_characters(catalog, frames)


def rebuild_identities(catalog: Catalog, known: list[dict], cluster_ids, template: dict | None = None) -> list[dict]:
    """Recompute these identities from their member layers (a new id takes `template`'s model,
    generation and config); those left without members are dropped. Writes the table."""
    from celvault.stages.clustering import identities

    by_id = {k["cluster_id"]: k for k in known}
    for cid in sorted(set(int(c) for c in cluster_ids) - {-1}):
        rows = catalog.read("layers", ["layer_id", "embedding"], f"kind = 'character' AND cluster_id = {cid}")
        if rows.num_rows == 0:
            by_id.pop(cid, None)
            continue
        rows = rows.sort_by("layer_id")
        vectors = np.asarray(rows.column("embedding").combine_chunks().flatten(), np.float32).reshape(rows.num_rows, -1)
        ident = identities(vectors, np.zeros(len(vectors), int))[0]
        order = np.argsort(1.0 - vectors @ ident.centroid, kind="stable")[:REFERENCES]
        row = by_id.get(cid) or {"cluster_id": cid, "name": None, **{k: (template or {}).get(k) for k in
                                                                   ("embed_model", "generation", "config")}}
        row.update(centroid=ident.centroid, radius=ident.radius, members=ident.count,
                   references=[rows.column("layer_id")[int(i)].as_py() for i in order])
        by_id[cid] = row
    rows = [by_id[c] for c in sorted(by_id)]
    dim = len(rows[0]["centroid"]) if rows else len(known[0]["centroid"]) if known else 0
    write_characters(catalog, rows, dim)
    return rows


def move_layers(catalog: Catalog, layer_ids, to_ref, tracks: bool = False) -> dict:
    """Move character layers (with `tracks`, their whole tracks) to identity `to_ref` (an id
    or a name); they stay there through later `run cluster`s. Returns {cluster_id, name,
    moved, from: {id: n}, removed: [ids]}."""
    known = read_characters(catalog)
    target = resolve(known, to_ref)
    if tracks:
        layer_ids = track_members(catalog, layer_ids)
    state = _layers(catalog, layer_ids)
    ids = [r["layer_id"] for r in state]
    sources = sorted({r["cluster_id"] for r in state if r["cluster_id"] is not None and r["cluster_id"] >= 0})
    before = {"layers": state, "identities": identity_state(known, sources + [target["cluster_id"]])}
    _write(catalog, ids, target["cluster_id"], True, False)
    rows = rebuild_identities(catalog, known, sources + [target["cluster_id"]])
    left = {r["cluster_id"] for r in rows}
    result = {"cluster_id": target["cluster_id"], "name": target["name"], "moved": len(ids),
              "from": {str(c): sum(r["cluster_id"] == c for r in state) for c in sources},
              "removed": [c for c in sources if c not in left]}
    record(catalog, "move", {"layer_ids": ids, "to": target["cluster_id"]}, before, result)
    return result


def split_layers(catalog: Catalog, layer_ids, name: str | None = None, tracks: bool = False) -> dict:
    """Make these character layers (with `tracks`, their whole tracks) a new identity (id: the
    largest known + 1), named `name`. Returns {cluster_id, name, members, from: {id: n}, removed: [ids]}."""
    known = read_characters(catalog)
    if tracks:
        layer_ids = track_members(catalog, layer_ids)
    if name is not None:
        name = normal_name(name)
        if not name or name.lstrip("-").isdigit():
            raise CelvaultError(f"{name!r} cannot be a character name (empty, or a number)")
    state = _layers(catalog, layer_ids)
    ids = [r["layer_id"] for r in state]
    top = catalog.read("layers", ["cluster_id"], "cluster_id IS NOT NULL").column("cluster_id")
    new_id = max([k["cluster_id"] for k in known] + [int(top.to_numpy().max()) if len(top) else -1, -1]) + 1
    sources = sorted({r["cluster_id"] for r in state if r["cluster_id"] is not None and r["cluster_id"] >= 0})
    before = {"layers": state, "identities": identity_state(known, sources + [new_id])}
    _write(catalog, ids, new_id, True, False)
    template = known[0] if known else {}
    if name:
        known = known + [{"cluster_id": new_id, "name": name, **{k: template.get(k) for k in
                                                                ("embed_model", "generation", "config")}}]
    rows = rebuild_identities(catalog, known, sources + [new_id], template)
    left = {r["cluster_id"] for r in rows}
    result = {"cluster_id": new_id, "name": name, "members": len(ids),
              "from": {str(c): sum(r["cluster_id"] == c for r in state) for c in sources},
              "removed": [c for c in sources if c not in left]}
    record(catalog, "split", {"layer_ids": ids, "name": name}, before, result)
    return result


def mark_not_character(catalog: Catalog, layer_ids=None, identity_ref=None, value: bool = True) -> dict:
    """Mark layers, or every member of an identity, "not a character" (value False: unmark;
    unmarked layers stay unassigned until `characters move` or `run cluster --recluster`).
    Marked layers leave their identity (an identity left empty is removed), queries,
    frames' character lists and exports. Returns {marked | unmarked: n, layer_ids, identities}."""
    if (layer_ids is None) == (identity_ref is None) or (layer_ids is not None and not list(layer_ids)):
        raise CelvaultError("name either layers or one character")
    known = read_characters(catalog)
    if identity_ref is not None:
        if not value:
            raise CelvaultError("a character marked as junk is gone; `celvault characters undo` brings it back, "
                                "or unmark its layers by id")
        who = resolve(known, identity_ref)
        ensure_layer_columns(catalog)
        layer_ids = catalog.read("layers", ["layer_id"], f"kind = 'character' AND cluster_id = {who['cluster_id']}") \
            .column("layer_id").to_pylist()
        if not layer_ids:
            raise CelvaultError(f"character {_label(who)} has no member layers")
    state = _layers(catalog, layer_ids)
    ids = [r["layer_id"] for r in state]
    sources = sorted({r["cluster_id"] for r in state if r["cluster_id"] is not None and r["cluster_id"] >= 0})
    before = {"layers": state, "identities": identity_state(known, sources)}
    _write(catalog, ids, -1, False, True if value else False)
    rows = rebuild_identities(catalog, known, sources)
    left = {r["cluster_id"] for r in rows}
    result = {"marked" if value else "unmarked": len(ids), "layer_ids": ids, "identities": sources,
              "removed": [c for c in sources if c not in left]}
    params = {"layer_ids": ids, "value": bool(value)}
    if identity_ref is not None:
        params["identity"] = sources[0] if sources else None
    record(catalog, "mark", params, before, result)
    return result
