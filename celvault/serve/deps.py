"""Small helpers the API modules share: the app state, paging bounds, existing columns."""

from __future__ import annotations

from fastapi import Request

from .state import AppState

MAX_PAGE = 500


def state(request: Request) -> AppState:
    return request.app.state.cv


def bound(limit: int, most: int = MAX_PAGE) -> int:
    return max(1, min(int(limit), most))


def paged(rows: list, offset: int, limit: int, key: str, shape=None, most: int = MAX_PAGE) -> dict:
    """{"total", key: one page of `rows` (each through `shape`), "next_offset"} of a list in memory."""
    limit, offset = bound(limit, most), max(0, int(offset))
    part = rows[offset:offset + limit]
    return {"total": len(rows), key: [shape(r) for r in part] if shape else part,
            "next_offset": offset + limit if offset + limit < len(rows) else None}


def present(catalog, table: str, columns: list[str]) -> list[str]:
    """The columns of `columns` the table has now (stage outputs appear as stages run)."""
    names = set(catalog.dataset(table).schema.names)
    return [c for c in columns if c in names]


def colour(cluster_id) -> str | None:
    """An identity's colour (stable per cluster id), for outlines and chips."""
    if cluster_id is None or cluster_id < 0:
        return None
    return f"hsl({(int(cluster_id) * 137) % 360}, 75%, 50%)"
