"""/api/episodes, /api/episodes/{id}/shots (the timeline), /api/frames (one shot's frames, paged in
time order) and /api/frames/{id}: a frame with its layers, captions, tags, dup group, sharpness."""

from __future__ import annotations

import polars as pl
from fastapi import APIRouter, Depends

from celvault.catalog.store import sql_str
from celvault.queries.pages import page, row_address

from .deps import bound, colour, paged, present, state
from .state import AppState, check_id

router = APIRouter()

EPISODE_COLUMNS = ["episode_id", "name", "series", "frames_kept", "shots", "duration_s", "width", "height"]
FRAME_COLUMNS = ["frame_id", "episode_id", "shot_index", "frame_index", "time_s", "width", "height", "sharpness",
                 "dup_group", "dup_of", "caption", "tags", "scene_tags", "characters"]
# effect, prompt, score: effect layers (effects stage); track_id, effect_overlap: character layers
LAYER_COLUMNS = ["layer_id", "kind", "instance", "bbox", "area", "cluster_id", "method", "effect", "prompt", "score",
                 "track_id", "effect_overlap"]


def _not_found(what: str):
    from .app import NotFound

    return NotFound(what)


@router.get("/api/episodes")
def episodes(offset: int = 0, limit: int = 100, st: AppState = Depends(state)):
    ds = st.catalog.dataset("episodes")
    rows = ds.to_table(columns=present(st.catalog, "episodes", EPISODE_COLUMNS)).to_pylist()  # one row per episode
    return paged(rows, offset, limit, "episodes")


@router.get("/api/episodes/{episode_id}/shots")
def shots(episode_id: str, st: AppState = Depends(state)):
    """The episode's timeline: per shot, its first frame, frame count and time span."""
    check_id(episode_id, "episode")

    def make():
        tbl = pl.from_arrow(st.catalog.read("frames", ["frame_id", "shot_index", "time_s"],
                                            f"episode_id = {sql_str(episode_id)}"))
        if tbl.height == 0:
            return []
        per = (tbl.sort("time_s").group_by("shot_index", maintain_order=True)
               .agg(pl.col("frame_id").first().alias("first_frame"), pl.len().alias("frames"),
                    pl.col("time_s").min().alias("start_s"), pl.col("time_s").max().alias("end_s"))
               .sort("shot_index"))
        return per.to_dicts()

    found = st.cached(f"shots:{episode_id}", ("frames",), make)
    if not found:
        raise _not_found(f"no frames of episode {episode_id!r}")
    return {"episode_id": episode_id, "shots": found}


@router.get("/api/frames")
def frames(episode: str, shot: int | None = None, after: str | None = None, limit: int = 60,
           st: AppState = Depends(state)):
    """An episode's (or one shot's) frames in time order; `after` = the previous page's next_after."""
    check_id(episode, "episode")
    where = f"episode_id = {sql_str(episode)}" + (f" AND shot_index = {int(shot)}" if shot is not None else "")
    ds = st.catalog.dataset("frames")
    start = row_address(ds, "frame_id", check_id(after, "frame")) if after else None
    limit = bound(limit)
    cols = present(st.catalog, "frames", ["frame_id", "shot_index", "time_s", "sharpness", "dup_of"])
    rows = page(ds, cols, where, limit, start).to_pylist()
    return {"frames": rows, "next_after": rows[-1]["frame_id"] if len(rows) == limit else None}


@router.get("/api/frames/{frame_id}")
def frame(frame_id: str, st: AppState = Depends(state)):
    from celvault.catalog.characters import read_characters

    check_id(frame_id, "frame")
    cat = st.catalog
    got = cat.read("frames", present(cat, "frames", FRAME_COLUMNS), f"frame_id = {sql_str(frame_id)}").to_pylist()
    if not got:
        raise _not_found(f"no frame {frame_id!r} in this catalogue")
    row = got[0]
    layers = cat.read("layers", present(cat, "layers", LAYER_COLUMNS), f"frame_id = {sql_str(frame_id)}").to_pylist()
    names = {k["cluster_id"]: k["name"] for k in read_characters(cat)}
    for layer in sorted(layers, key=lambda r: (r["kind"], r.get("instance") or 0)):
        cid = layer.get("cluster_id")
        layer["identity"] = names.get(cid) if cid is not None else None
        layer["colour"] = colour(cid) if layer["kind"] == "character" else None
    row["layers"] = sorted(layers, key=lambda r: (r["kind"], r.get("instance") or 0))
    row["background"] = next((r["layer_id"] for r in layers if r["kind"] == "background"), None)
    row["character_names"] = [names.get(c) or f"#{c}" for c in row.get("characters") or []]
    group = row.get("dup_group")
    row["dup_members"] = cat.count("frames", f"dup_group = {sql_str(group)}") if group else None
    return row
