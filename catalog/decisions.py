"""Manual decisions: an append-only log in the catalogue, and undo.

Every manual action (name, merge, move, split, mark "not a character", unlink a duplicate,
choose a representative) appends one row to the `decisions` table: the action, its
parameters, what it changed as it was before (the layers' identity columns, the identity
rows it touched, the frames' duplicate columns), and what it did. Ids form a hash chain over
the previous id and the row's content, never time or counters, so the log's order is its
chain: the head is the one id no other row names as its parent.

`undo_last` restores the state saved by the last action not undone yet (identities and
layers; duplicate decisions delete stale layers, so they are not undone) and appends an
`undo` row naming it; calling it again goes one action further back.

Layer columns the decisions own: `cluster_manual` (the identity was set by hand: `run
cluster` keeps it) and `not_character` (left out of identities, queries and exports).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

import numpy as np
import pyarrow as pa

from celvault.errors import CelvaultError

from .characters import read_characters, refresh_frame_characters, write_characters
from .fill import write_by_fragment
from .store import Catalog, sql_in

TABLE = "decisions"
UNDOABLE = ("name", "merge", "move", "split", "mark")
LAYER_FIELDS = [pa.field("cluster_manual", pa.bool_()), pa.field("not_character", pa.bool_())]
LAYER_STATE = ["layer_id", "cluster_id", "cluster_manual", "not_character"]
FREE = "(cluster_manual IS NULL OR cluster_manual = false) AND (not_character IS NULL OR not_character = false)"
NOT_JUNK = "(not_character IS NULL OR not_character = false)"

SCHEMA = pa.schema([
    pa.field("decision_id", pa.string(), nullable=False),
    pa.field("parent", pa.string()),  # the previous decision (null for the first)
    pa.field("action", pa.string()),  # name | merge | move | split | mark | unlink | represent | undo
    pa.field("params", pa.string()),  # JSON
    pa.field("before", pa.string()),  # JSON: the state the action changed, as it was
    pa.field("result", pa.string()),  # JSON: what the action returned
    pa.field("undoes", pa.string()),  # for `undo`: the decision undone
    pa.field("made_at", pa.string()),  # ISO time: data, never part of the id
])


class NothingToUndo(CelvaultError):
    def __init__(self):
        super().__init__("no manual decision left to undo")


def not_junk(catalog: Catalog) -> str | None:
    """The layer filter that leaves out "not a character" layers (None when none can exist)."""
    return NOT_JUNK if "not_character" in catalog.dataset("layers").schema.names else None


def ensure_layer_columns(catalog: Catalog) -> None:
    if "cluster_id" not in catalog.dataset("layers").schema.names:
        raise CelvaultError("no character identities yet: run `celvault run cluster` first")
    catalog.ensure_columns("layers", LAYER_FIELDS)


def _rows(catalog: Catalog) -> list[dict]:
    if not catalog.exists(TABLE):
        return []
    return catalog.read(TABLE).to_pylist()


def chain(catalog: Catalog) -> list[dict]:
    """The log, first decision first."""
    rows = _rows(catalog)
    by_parent = {r["parent"]: r for r in rows}
    out, at = [], None
    while at in by_parent:
        out.append(by_parent[at])
        at = out[-1]["decision_id"]
    return out


def history(catalog: Catalog) -> list[dict]:
    """The decisions in force (undone ones and undo rows left out), first first."""
    stack: list[dict] = []
    for r in chain(catalog):
        if r["action"] == "undo":
            stack = [s for s in stack if s["decision_id"] != r["undoes"]]
        else:
            stack.append(r)
    return [{"decision_id": r["decision_id"], "action": r["action"], "params": json.loads(r["params"]),
             "result": json.loads(r["result"] or "null"), "made_at": r["made_at"]} for r in stack]


def _json(value) -> str:
    def default(o):
        if isinstance(o, np.ndarray):
            return [float(x) for x in o.tolist()]
        if isinstance(o, (np.floating, np.integer)):
            return o.item()
        raise TypeError(type(o).__name__)

    return json.dumps(value, sort_keys=True, default=default)


def record(catalog: Catalog, action: str, params: dict, before: dict, result: dict | None = None,
           undoes: str | None = None) -> str:
    """Append a decision to the log (the caller holds the writer lock); returns its id."""
    import lance

    rows = chain(catalog)
    parent = rows[-1]["decision_id"] if rows else None
    p, b, r = _json(params), _json(before), _json(result)
    did = hashlib.sha256("\n".join([parent or "", action, p, b, undoes or ""]).encode()).hexdigest()[:20]
    row = pa.table({"decision_id": [did], "parent": [parent], "action": [action], "params": [p], "before": [b],
                    "result": [r], "undoes": [undoes],
                    "made_at": [datetime.now(timezone.utc).isoformat(timespec="seconds")]}, schema=SCHEMA)
    lance.write_dataset(row, catalog.uri(TABLE), mode="append" if catalog.exists(TABLE) else "create")
    return did


# -- what an action changes, as it was ---------------------------------------------------

def layer_state(catalog: Catalog, layer_ids: list[str]) -> list[dict]:
    names = catalog.dataset("layers").schema.names
    cols = [c for c in LAYER_STATE if c in names]
    rows = catalog.read("layers", cols, sql_in("layer_id", sorted(set(layer_ids)))).to_pylist() if layer_ids else []
    return sorted(({c: r.get(c) for c in LAYER_STATE} for r in rows), key=lambda r: r["layer_id"])


def identity_state(known: list[dict], cluster_ids) -> dict:
    by_id = {k["cluster_id"]: k for k in known}
    return {str(c): (dict(by_id[int(c)], references=list(by_id[int(c)]["references"] or []))
                     if int(c) in by_id else None) for c in sorted(set(int(c) for c in cluster_ids))}


def restore(catalog: Catalog, before: dict) -> dict:
    """Put back layers and identities as `before` saved them; frames' lists follow."""
    layers = before.get("layers") or []
    if layers:
        values = pa.table({"layer_id": pa.array([r["layer_id"] for r in layers], pa.string()),
                           "cluster_id": pa.array([r["cluster_id"] for r in layers], pa.int64()),
                           "cluster_manual": pa.array([r["cluster_manual"] for r in layers], pa.bool_()),
                           "not_character": pa.array([r["not_character"] for r in layers], pa.bool_())})
        write_by_fragment(catalog, "layers", "layer_id", values)
        frames = catalog.read("layers", ["frame_id"], sql_in("layer_id", [r["layer_id"] for r in layers]))
        refresh_frame_characters(catalog, frames.column("frame_id").to_pylist())
    saved = before.get("identities") or {}
    if saved:
        known = {k["cluster_id"]: k for k in read_characters(catalog)}
        for cid, row in saved.items():
            known.pop(int(cid), None)
            if row is not None:
                known[int(cid)] = dict(row, centroid=np.asarray(row["centroid"], np.float32))
        rows = [known[c] for c in sorted(known)]
        dim = len(rows[0]["centroid"]) if rows else len(next(r for r in saved.values() if r)["centroid"])
        write_characters(catalog, rows, dim)
    return {"layers": len(layers), "identities": sorted(int(c) for c in saved)}


def undo_last(catalog: Catalog) -> dict:
    """Undo the last identity decision still in force (name, merge, move, split, mark)."""
    live = [r for r in history(catalog) if r["action"] in UNDOABLE]
    if not live:
        raise NothingToUndo()
    last = live[-1]
    row = next(r for r in _rows(catalog) if r["decision_id"] == last["decision_id"])
    done = restore(catalog, json.loads(row["before"]))
    result = {"undone": last["action"], "decision_id": last["decision_id"], "params": last["params"], **done}
    record(catalog, "undo", {"decision_id": last["decision_id"]}, {}, result, undoes=last["decision_id"])
    return result
