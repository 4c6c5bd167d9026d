"""/api/identities: the grid (name, size, reference cut-outs), one identity's members by distance
to its centroid (paged), and the changes: name, merge (celvault.catalog.identities, as the CLI)."""

from __future__ import annotations

from fastapi import APIRouter, Body, Depends

from .deps import colour, paged, state
from .state import AppState

router = APIRouter()


def _public(row: dict, refs: int = 8) -> dict:
    return {"cluster_id": row["cluster_id"], "name": row["name"], "members": row["members"],
            "references": list(row["references"] or [])[:refs], "colour": colour(row["cluster_id"])}


@router.get("/api/identities")
def identities(offset: int = 0, limit: int = 60, st: AppState = Depends(state)):
    from celvault.catalog.identities import list_identities

    found = st.cached("identities", ("characters", "layers"), lambda: list_identities(st.catalog))
    return {"unassigned": found["unassigned"],
            **paged(found["characters"], offset, limit, "identities", lambda r: _public(r, 4))}


def _members(st: AppState, cluster_id: int) -> tuple[dict, list[dict]]:
    from celvault.catalog.identities import identity_members

    return st.cached(f"members:{cluster_id}", ("characters", "layers"),
                     lambda: identity_members(st.catalog, str(cluster_id)))


@router.get("/api/identities/{cluster_id}")
def identity(cluster_id: int, st: AppState = Depends(state)):
    from celvault.catalog.characters import read_characters
    from celvault.catalog.identities import resolve

    return _public(resolve(read_characters(st.catalog), str(cluster_id)))


@router.get("/api/identities/{cluster_id}/members")
def members(cluster_id: int, offset: int = 0, limit: int = 60, st: AppState = Depends(state)):
    """Member layers closest to the centroid first (cosine distance of layers.embedding)."""
    row, found = _members(st, cluster_id)
    return {"cluster_id": row["cluster_id"], "name": row["name"], **paged(found, offset, limit, "members")}


@router.post("/api/identities/{cluster_id}/name")
def name(cluster_id: int, body: dict = Body(...), st: AppState = Depends(state)):
    """Same as `celvault characters name CLUSTER NAME`."""
    from celvault.catalog.identities import name_identity

    with st.writing("characters name"):
        return name_identity(st.catalog, str(cluster_id), str(body.get("name", "")))


@router.post("/api/identities/{cluster_id}/merge")
def merge(cluster_id: int, body: dict = Body(...), st: AppState = Depends(state)):
    """Fold identity `other` into this one: `celvault characters merge CLUSTER OTHER`."""
    from celvault.catalog.identities import merge_identities

    other = body.get("other")
    if isinstance(other, bool) or not isinstance(other, int):
        from celvault.errors import CelvaultError

        raise CelvaultError("merge needs {\"other\": CLUSTER_ID} (a whole number)")
    with st.writing("characters merge"):
        return merge_identities(st.catalog, str(cluster_id), str(other))
