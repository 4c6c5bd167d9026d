"""/api/overview: episodes with frames kept, per-stage progress (as `celvault status`), identities,
latest runs. Made once per catalogue version; episodes and runs paged."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from .deps import bound, state
from .state import AppState

router = APIRouter()

STATUS_TABLES = ("episodes", "frames", "layers", "characters", "runs")
RUN_COLUMNS = ["run_id", "stage", "stage_version", "backend", "params", "rows_done", "started", "finished", "status"]


def _status(st: AppState) -> dict:
    from celvault.reports.status import catalog_status

    return st.cached("status", STATUS_TABLES, lambda: catalog_status(st.catalog, st.config))


def latest_runs(st: AppState, limit: int) -> list[dict]:
    ds = st.catalog.dataset("runs")
    cols = [c for c in RUN_COLUMNS if c in ds.schema.names]

    def make():
        rows = ds.to_table(columns=cols).to_pylist()  # one row per stage run: small
        return sorted(rows, key=lambda r: r.get("started") or "", reverse=True)

    return st.cached("runs", ("runs",), make)[:limit]


@router.get("/api/overview")
def overview(offset: int = 0, limit: int = 50, runs: int = 20, st: AppState = Depends(state)):
    info = _status(st)
    limit, offset = bound(limit), max(0, offset)
    episodes = info["episodes"]
    return {
        "catalog": info["catalog"], "frames": info["frames"], "layers": info["layers"],
        "episodes_total": len(episodes), "episodes": episodes[offset:offset + limit],
        "next_offset": offset + limit if offset + limit < len(episodes) else None,
        "stages": info["stages"], "characters": info["characters"], "incomplete": info["incomplete"],
        "errors": info["errors"], "check": info["check"],
        "runs": latest_runs(st, bound(runs, 200)),
    }
