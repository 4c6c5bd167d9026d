"""Stage progress from counts alone (the scalar indexes and single columns answer): what a page
can show at a million frames, where `catalog_status` reads every frame once per stage."""

from __future__ import annotations

from celvault.catalog import Catalog
from celvault.catalog.fill import and_filters
from celvault.catalog.store import sql_str
from celvault.config import Config


def stage_totals(catalog: Catalog, config: Config, episode_id: str | None = None) -> dict[str, dict]:
    """Per stage on frames: {backend, done, missing}, for the catalogue or one episode."""
    from celvault.stages.runner import available_stages, build_stage
    from celvault.stages.table_job import TableJob

    ds = catalog.dataset("frames")
    names = set(ds.schema.names)
    scope = f"episode_id = {sql_str(episode_id)}" if episode_id else None
    out = {}
    for name in available_stages():
        stage = build_stage(name, config)
        if stage is None or isinstance(stage, TableJob) or stage.table != "frames" or not set(stage.requires) <= names:
            continue
        where = and_filters(stage.where, scope)
        rows = ds.count_rows(where)
        markers = [stage.marker] + ([stage.link_marker] if getattr(stage, "link_marker", None) else [])
        done = ds.count_rows(and_filters(where, *[f"{m} IS NOT NULL" for m in markers])) \
            if set(markers) <= names else 0
        out[name] = {"backend": stage.backend, "done": done, "missing": rows - done}
    return out


def episodes_page(catalog: Catalog, offset: int, limit: int) -> tuple[list[dict], int]:
    """A page of episodes (series, name, id order) with the frames that are there."""
    columns = ["episode_id", "name", "series", "source_kind", "frames_kept", "shots", "duration_s"]
    ds = catalog.dataset("episodes")
    rows = ds.to_table(columns=[c for c in columns if c in ds.schema.names]).to_pylist()  # one row per episode
    rows.sort(key=lambda e: (e.get("series") or "", e.get("name") or "", e["episode_id"]))
    page = rows[offset:offset + limit]
    frames = catalog.dataset("frames")
    for ep in page:
        ep["frames_expected"] = ep.get("frames_kept")
        ep["frames_kept"] = frames.count_rows(f"episode_id = {sql_str(ep['episode_id'])}")
        ep["incomplete"] = ep["frames_kept"] != ep["frames_expected"]
    return page, len(rows)
