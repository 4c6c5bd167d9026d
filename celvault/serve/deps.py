"""Small helpers the API modules share: the app state, paging bounds, existing columns."""

from __future__ import annotations

from fastapi import Request

from .state import AppState

MAX_PAGE = 500


def state(request: Request) -> AppState:
    return request.app.state.cv


def bound(limit: int, most: int = MAX_PAGE) -> int:
    return max(1, min(int(limit), most))


def present(catalog, table: str, columns: list[str]) -> list[str]:
    """The columns of `columns` the table has now (stage outputs appear as stages run)."""
    names = set(catalog.dataset(table).schema.names)
    return [c for c in columns if c in names]


def colour(cluster_id) -> str | None:
    """An identity's colour (stable per cluster id), for outlines and chips."""
    if cluster_id is None or cluster_id < 0:
        return None
    return f"hsl({(int(cluster_id) * 137) % 360}, 75%, 50%)"
