"""/api/duplicates: near-duplicate groups (a representative and the frames that are dups of it),
found by a paged scan of `dup_of IS NOT NULL` in catalogue order; /api/duplicates/{group}: one."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from celvault.catalog.store import sql_str
from celvault.queries.pages import pages_from, row_address

from .deps import bound, present, state
from .state import AppState, check_id

router = APIRouter()

MEMBER_COLUMNS = ["frame_id", "episode_id", "shot_index", "time_s", "sharpness", "dup_group", "dup_of"]
MOST_MEMBERS = 200


@router.get("/api/duplicates")
def duplicates(after: str | None = None, limit: int = 20, st: AppState = Depends(state)):
    """Groups with members, `limit` at a time. A group whose members are far apart (an opening in
    every episode) can show up on a later page again: the client keeps one card per group."""
    ds = st.catalog.dataset("frames")
    if "dup_of" not in ds.schema.names:
        return {"groups": [], "next_after": None, "note": "no dedup yet: run `celvault run dedup`"}
    limit = bound(limit, 100)
    start = row_address(ds, "frame_id", check_id(after, "frame")) if after else None
    groups: dict[str, int] = {}
    last = None
    for chunk in pages_from(ds, ["frame_id", "dup_of"], "dup_of IS NOT NULL", 256, start, most=4096):
        for fid, rep in zip(chunk.column("frame_id").to_pylist(), chunk.column("dup_of").to_pylist()):
            if rep not in groups and len(groups) == limit:
                return {"groups": [_group(st, g, n) for g, n in groups.items()], "next_after": last}
            groups[rep] = groups.get(rep, 0) + 1
            last = fid
    return {"groups": [_group(st, g, n) for g, n in groups.items()], "next_after": None}


def _group(st: AppState, rep: str, seen: int) -> dict:
    return {"representative": rep, "members_seen": seen}


@router.get("/api/duplicates/{group}")
def group(group: str, st: AppState = Depends(state)):
    """The representative and (up to 200) members of one group, side by side."""
    check_id(group, "group")
    cols = present(st.catalog, "frames", MEMBER_COLUMNS)
    rows = st.catalog.dataset("frames").to_table(columns=cols, filter=f"dup_group = {sql_str(group)}",
                                                 limit=MOST_MEMBERS + 1).to_pylist()
    rep = next((r for r in rows if r["frame_id"] == group), None)
    if rep is None:
        from .app import NotFound

        raise NotFound(f"no duplicate group {group!r}")
    members = [r for r in rows if r["frame_id"] != group]
    return {"representative": rep, "members": members[:MOST_MEMBERS],
            "total": st.catalog.count("frames", f"dup_group = {sql_str(group)}") - 1}
