"""Running a Query: filters in Lance (scalar indexes), optional CLIP ranking, rows out."""

from __future__ import annotations

import contextlib
import re

import pyarrow as pa

from celvault.catalog import Catalog
from celvault.catalog.fill import and_filters
from celvault.catalog.store import sql_in
from celvault.config import Config

from .search import Query, QueryError, QueryResult, _identity_ids, _require, _words_filter, frame_filter, where_parts

FRAME_COLUMNS = ["frame_id", "episode_id", "shot_index", "time_s", "characters", "scene_tags", "caption", "tags"]
LAYER_COLUMNS = ["layer_id", "frame_id", "episode_id", "bbox", "cluster_id", "caption", "tags"]


def text_vector(catalog: Catalog, config: Config, table: str, text: str):
    """The query text in the space of the stored vectors (the embed stage's model)."""
    from celvault import registry
    from celvault.stages.backends.device import resolve

    columns = catalog.dataset(table).schema.names
    _require(set(columns), "embedding", "embed", "embeddings")
    from celvault.run_options import RunOptions
    from celvault.stages.runner import download_allowed
    from celvault.stages.stage_settings import stage_settings

    settings = stage_settings("embed", config)
    run = RunOptions(device=resolve("auto"), download=download_allowed(config))
    embedder = registry.load("embedder", str(settings.backend or "open_clip"))(settings, run)
    stored = catalog.read(table, ["embed_model"], "embed_model IS NOT NULL").column("embed_model").unique().to_pylist()
    if stored and embedder.model_id not in stored:
        raise QueryError(f"{table} hold vectors of {stored[0]}, the embed settings name {embedder.model_id}: "
                         "query with the settings that embedded them (--config/--profile)")
    return embedder.embed_text([text])[0]


def _names(catalog: Catalog) -> tuple[dict, dict]:
    from celvault.catalog.characters import read_characters

    episodes = dict(zip(*(catalog.read("episodes", ["episode_id", "name"]).column(c).to_pylist()
                          for c in ("episode_id", "name"))))
    people = {k["cluster_id"]: k["name"] or f"#{k['cluster_id']}" for k in read_characters(catalog)}
    return episodes, people


# IVF partitions searched, and how many candidates per result are re-ranked on exact vectors:
# on 1M frames, 48 of the exact top 50 for ~10 ms more than Lance's defaults (34 of 50)
NPROBES, REFINE_FACTOR = 32, 20


def _search(ds, columns, where, vector, limit) -> pa.Table:
    cols = [c for c in columns if c in ds.schema.names]
    if vector is None:
        return ds.to_table(columns=cols, filter=where)
    nearest = {"column": "embedding", "q": vector, "k": limit, "nprobes": NPROBES, "refine_factor": REFINE_FACTOR}
    return ds.to_table(columns=cols + ["_distance"], filter=where, nearest=nearest, prefilter=True)


def _first(found: pa.Table, episodes: dict, limit: int, key: str) -> pa.Table:
    """The first `limit` rows in episode-name, time, key order (sorted in Arrow, not Python)."""
    import pyarrow.compute as pc

    order = {e: i for i, e in enumerate(sorted(episodes, key=lambda e: (episodes[e] or "", e)))}
    ids = found.column("episode_id").to_pylist()
    rank = pa.array([order.get(e, len(order)) for e in ids], pa.int64())
    keyed = found.append_column("_episode_rank", rank)
    sort = [("_episode_rank", "ascending")] + ([("time_s", "ascending")] if "time_s" in found.column_names else [])
    idx = pc.sort_indices(keyed, sort_keys=sort + [(key, "ascending")])
    return found.take(idx[:limit])


def run_query(catalog: Catalog, config: Config, q: Query) -> QueryResult:
    if q.limit < 1:
        raise QueryError("--limit must be at least 1")
    table = "layers" if q.layers else "frames"
    ds = catalog.dataset(table)
    vector = q.vector if q.vector is not None else (text_vector(catalog, config, table, q.text) if q.text else None)
    where = frame_filter(catalog, config, q)
    if q.layers:
        where = _layer_filter(catalog, q, where)
    with _lance_refusals(q):
        found = _search(ds, LAYER_COLUMNS if q.layers else FRAME_COLUMNS, where, vector, q.limit)
    episodes, people = _names(catalog)
    key = "layer_id" if q.layers else "frame_id"
    matched = None if vector is not None else found.num_rows
    if vector is None and not q.layers:
        found = _first(found, episodes, q.limit, key)
    rows = found.to_pylist()
    times = {}
    if q.layers and rows:
        frames = catalog.read("frames", ["frame_id", "time_s"], sql_in("frame_id", sorted({r["frame_id"] for r in rows})))
        times = dict(zip(frames.column("frame_id").to_pylist(), frames.column("time_s").to_pylist()))
    for r in rows:
        r["episode"] = episodes.get(r["episode_id"], r["episode_id"])
        if q.layers:
            r["time_s"] = times.get(r["frame_id"])
            cid = r.get("cluster_id")
            r["character"] = people.get(cid) if cid is not None and cid >= 0 else None
        else:
            r["characters"] = [people.get(c, f"#{c}") for c in r.get("characters") or []]
        if "_distance" in r:
            r["distance"] = round(float(r.pop("_distance")), 6)
    if vector is None:
        rows.sort(key=lambda r: (r["episode"] or "", r.get("time_s") or 0.0, r[key]))
    else:
        rows.sort(key=lambda r: (r["distance"], r[key]))
    return QueryResult(kind=table, rows=rows[:q.limit], filter=where, matched=matched)


def _layer_filter(catalog: Catalog, q: Query, frame_where: str | None) -> str:
    columns = set(catalog.dataset("layers").schema.names)
    parts = ["kind = 'character'"]
    if q.characters:
        _require(columns, "cluster_id", "cluster", "character identities")
        ids = sorted({i for group in _identity_ids(catalog, q.characters) for i in group})
        parts.append(f"cluster_id IN ({', '.join(map(str, ids))})")
    if frame_where:
        with _lance_refusals(q):
            frame_ids = catalog.read("frames", ["frame_id"], frame_where).column("frame_id").to_pylist()
        parts.append(sql_in("frame_id", frame_ids) if frame_ids else "false")
    if q.words:
        if not {"caption", "tags"} & columns:
            raise QueryError("no captions or tags on layers yet: run `celvault run caption` first")
        parts.append(_words_filter(columns, q.words))
    parts.append(where_parts(catalog, q)["layers"])
    return and_filters(*parts)


@contextlib.contextmanager
def _lance_refusals(q: Query):
    """A filter built from a checked --where that Lance still refuses (a cast that fails on a
    value, ...) is one QueryError line, not a Lance traceback."""
    try:
        yield
    except (ValueError, OSError) as exc:
        if not q.where:
            raise
        reason = re.sub(r",\s*/\S+\.rs:\d+:\d+", "", str(exc)).replace("Invalid user input: ", "")
        reason = " ".join(reason.split())
        raise QueryError(f"--where {q.where[:80]!r}: Lance could not run it: "
                         f"{reason[:240]}{'...' if len(reason) > 240 else ''}") from None
