"""The manual decisions, through the same library as `celvault characters move|split|junk|undo`
and `celvault duplicates unlink|represent`: each a POST under the catalogue writer lock (409
while a pipeline holds it), and the log of decisions in force (GET /api/decisions, paged)."""

from __future__ import annotations

from fastapi import APIRouter, Body, Depends

from celvault.errors import CelvaultError

from .deps import paged, state
from .state import AppState, check_id

router = APIRouter()

MOST_LAYERS = 10_000


class StaleSelection(CelvaultError):
    """Layers chosen on an identity's page that are no longer its members (a 409: reload)."""


def _layer_ids(body: dict) -> list[str]:
    layers = body.get("layers")
    if not isinstance(layers, list) or not layers:
        raise CelvaultError('name the layers: {"layers": [LAYER_ID, ...]}')
    if len(layers) > MOST_LAYERS:
        raise CelvaultError(f"at most {MOST_LAYERS} layers at a time")
    return [check_id(x, "layer") for x in layers]


def _ref(value) -> str:
    """An identity named by cluster id (a whole number) or by name (a string)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)) or (isinstance(value, str) and not value.strip()):
        raise CelvaultError('name the identity: {"to": CLUSTER_ID or NAME}')
    return str(value)


def _members_of(st: AppState, cluster_id: int, ids: list[str]) -> None:
    """Every layer in `ids` is a member of `cluster_id` now (the page may be stale)."""
    from celvault.catalog.characters import read_characters
    from celvault.catalog.identities import resolve
    from celvault.catalog.store import sql_in

    resolve(read_characters(st.catalog), str(cluster_id))  # 404 for an unknown identity
    if "cluster_id" not in st.catalog.dataset("layers").schema.names:
        return
    rows = st.catalog.read("layers", ["layer_id", "cluster_id"], sql_in("layer_id", sorted(set(ids))))
    now = dict(zip(rows.column("layer_id").to_pylist(), rows.column("cluster_id").to_pylist()))
    moved = [i for i in ids if i in now and now[i] != cluster_id]
    if moved:
        shown = ", ".join(moved[:5]) + (" ..." if len(moved) > 5 else "")
        raise StaleSelection(f"layer {shown} is no longer in cluster {cluster_id}: reload the page")


@router.post("/api/identities/{cluster_id}/move")
def move(cluster_id: int, body: dict = Body(...), st: AppState = Depends(state)):
    """Members of this identity join identity `to`: `celvault characters move LAYER... --to TO`."""
    from celvault.catalog.identity_edits import move_layers

    ids, to = _layer_ids(body), _ref(body.get("to"))
    with st.writing("characters move"):
        _members_of(st, cluster_id, ids)
        return move_layers(st.catalog, ids, to)


@router.post("/api/identities/split")
def split(body: dict = Body(...), st: AppState = Depends(state)):
    """These layers become a new identity: `celvault characters split LAYER... [--name NAME]`."""
    from celvault.catalog.identity_edits import split_layers

    ids, name = _layer_ids(body), body.get("name")
    if isinstance(name, str) and not name.strip():
        name = None
    if name is not None and not isinstance(name, str):
        raise CelvaultError('"name" is a string (or left out)')
    with st.writing("characters split"):
        return split_layers(st.catalog, ids, name)


@router.post("/api/identities/{cluster_id}/not-character")
def junk_identity(cluster_id: int, st: AppState = Depends(state)):
    """Every member of this identity is "not a character": `celvault characters junk CLUSTER`."""
    from celvault.catalog.identity_edits import mark_not_character

    with st.writing("characters junk"):
        return mark_not_character(st.catalog, identity_ref=str(cluster_id))


@router.post("/api/layers/not-character")
def junk_layers(body: dict = Body(...), st: AppState = Depends(state)):
    """Mark layers "not a character" (value false: unmark): `celvault characters junk --layer ID
    [--undo]`."""
    from celvault.catalog.identity_edits import mark_not_character

    ids, value = _layer_ids(body), body.get("value", True)
    if not isinstance(value, bool):
        raise CelvaultError('"value" is true or false')
    with st.writing("characters junk"):
        return mark_not_character(st.catalog, layer_ids=ids, value=value)


@router.post("/api/undo")
def undo(st: AppState = Depends(state)):
    """Undo the last identity decision still in force: `celvault characters undo`."""
    from celvault.catalog.decisions import undo_last

    with st.writing("characters undo"):
        return undo_last(st.catalog)


@router.get("/api/decisions")
def decisions(offset: int = 0, limit: int = 50, st: AppState = Depends(state)):
    """The decisions in force, newest first (undone ones and undo rows left out)."""
    from celvault.catalog.decisions import history

    rows = st.cached("decisions", ("decisions",), lambda: history(st.catalog)[::-1])
    return paged(rows, offset, limit, "decisions")


@router.post("/api/duplicates/{frame_id}/unlink")
def unlink(frame_id: str, st: AppState = Depends(state)):
    """The frame leaves its group: `celvault duplicates unlink FRAME`."""
    from celvault.catalog.duplicates import unlink_duplicate

    check_id(frame_id, "frame")
    with st.writing("duplicates unlink"):
        return unlink_duplicate(st.catalog, frame_id)


@router.post("/api/duplicates/{frame_id}/represent")
def represent(frame_id: str, st: AppState = Depends(state)):
    """The frame becomes its group's representative: `celvault duplicates represent FRAME`."""
    from celvault.catalog.duplicates import choose_representative

    check_id(frame_id, "frame")
    with st.writing("duplicates represent"):
        return choose_representative(st.catalog, frame_id)
