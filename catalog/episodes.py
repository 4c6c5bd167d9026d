"""Looking episodes up by id or name."""

from __future__ import annotations

from celvault.errors import UnknownEpisode

from .store import Catalog


def resolve_episodes(catalog: Catalog, names: list[str]) -> list[str]:
    """Episode ids for ids, id prefixes or episode names (case-insensitive)."""
    rows = catalog.read("episodes", ["episode_id", "name"]).to_pylist()
    out = []
    for wanted in names:
        if not wanted.strip():
            raise UnknownEpisode(wanted, sorted(f"{r['name']} ({r['episode_id']})" for r in rows))
        w = wanted.lower()
        hits = [r["episode_id"] for r in rows if r["episode_id"] == wanted or (r["name"] or "").lower() == w]
        if not hits:
            hits = [r["episode_id"] for r in rows if r["episode_id"].startswith(wanted)]
        if len(hits) > 1:
            raise UnknownEpisode(wanted, sorted(hits), ambiguous=True)
        if not hits:
            known = sorted(f"{r['name']} ({r['episode_id']})" for r in rows)
            raise UnknownEpisode(wanted, known)
        out.append(hits[0])
    return sorted(set(out))
