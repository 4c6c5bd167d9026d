"""/api/search: `celvault query` over HTTP (celvault.queries.run.run_query, the same filters),
paged with next_after, with the equivalent command line."""

from __future__ import annotations

import shlex

from fastapi import APIRouter, Depends, Query as Param

from .deps import bound, state
from .state import AppState, check_id

router = APIRouter()


def command_line(q) -> str:
    """The `celvault query` command that gives the same page."""
    words = ["celvault", "query"]
    for flag, values in (("--character", q.characters), ("--scene", q.scenes), ("--episode", q.episodes)):
        for v in values:
            words += [flag, v]
    for flag, value in (("--search", q.words), ("--where", q.where), ("--text", q.text)):
        if value:
            words += [flag, value]
    words += ["--layers"] if q.layers else []
    words += ["--include-duplicates"] if q.include_duplicates else []
    words += ["--limit", str(q.limit)]
    words += ["--after", q.after] if q.after else []
    return shlex.join(words)


@router.get("/api/search")
def search(character: list[str] = Param([]), scene: list[str] = Param([]), episode: list[str] = Param([]),
           words: str | None = None, where: str | None = None, text: str | None = None, layers: bool = False,
           include_duplicates: bool = False, limit: int = 50, after: str | None = None,
           st: AppState = Depends(state)):
    from celvault.queries.run import run_query
    from celvault.queries.search import Query

    q = Query(characters=[c for c in character if c], scenes=[s for s in scene if s],
              episodes=[e for e in episode if e], words=words or None, where=where or None, text=text or None,
              layers=layers, include_duplicates=include_duplicates, limit=bound(limit, 200),
              after=check_id(after, "after") if after else None)
    result = run_query(st.catalog, st.config, q)
    return {"kind": result.kind, "matched": result.matched, "rows": result.rows, "next_after": result.next_after,
            "command": command_line(q)}
