"""/api/overview: episodes with frames kept, per-stage progress (as `celvault status`), identities,
latest runs. Made once per catalogue version; episodes and runs paged."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from .deps import bound, state
from .state import AppState

router = APIRouter()

STATUS_TABLES = ("episodes", "frames", "layers", "characters", "runs")
RUN_COLUMNS = ["run_id", "stage", "stage_version", "backend", "params", "rows_done", "started", "finished", "status"]


def _totals(st: AppState) -> dict:
    """Counts only (indexes and single columns): no whole-table read, cached per version."""
    from celvault.catalog.characters import read_characters
    from celvault.reports.progress import stage_totals

    def make():
        known = read_characters(st.catalog)
        layers = st.catalog.dataset("layers")
        unassigned = layers.count_rows("kind = 'character' AND cluster_id = -1") \
            if "cluster_id" in layers.schema.names else 0
        return {"catalog": str(st.catalog.path), "frames": st.catalog.dataset("frames").count_rows(),
                "layers": layers.count_rows(), "stages": stage_totals(st.catalog, st.config),
                "characters": {"identities": len(known), "named": sum(1 for k in known if k["name"]),
                               "unassigned": unassigned}}

    return st.cached("totals", STATUS_TABLES, make)


def latest_runs(st: AppState, limit: int) -> list[dict]:
    ds = st.catalog.dataset("runs")
    cols = [c for c in RUN_COLUMNS if c in ds.schema.names]

    def make():
        rows = ds.to_table(columns=cols).to_pylist()  # one row per stage run: small
        return sorted(rows, key=lambda r: r.get("started") or "", reverse=True)

    return st.cached("runs", ("runs",), make)[:limit]


@router.get("/api/overview")
def overview(offset: int = 0, limit: int = 50, runs: int = 20, st: AppState = Depends(state)):
    """Totals, a page of episodes and the latest runs; an episode's stages: /api/episodes/{id}/progress."""
    from celvault.reports.progress import episodes_page

    info = _totals(st)
    limit, offset = bound(limit), max(0, offset)
    episodes, total = episodes_page(st.catalog, offset, limit)
    return {
        **info, "episodes_total": total, "episodes": episodes,
        "next_offset": offset + limit if offset + limit < total else None,
        "incomplete": [e["episode_id"] for e in episodes if e["incomplete"]],
        "runs": latest_runs(st, bound(runs, 200)),
    }


@router.get("/api/episodes/{episode_id}/progress")
def episode_progress(episode_id: str, st: AppState = Depends(state)):
    from celvault.reports.progress import stage_totals

    return {"episode_id": episode_id, "stages": stage_totals(st.catalog, st.config, episode_id)}
