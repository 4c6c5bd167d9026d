"""Running a Query: filters in Lance (scalar indexes), optional CLIP ranking, rows out."""

from __future__ import annotations

import contextlib
import dataclasses
import re

import pyarrow as pa

from celvault.catalog import Catalog
from celvault.catalog.decisions import NOT_JUNK
from celvault.catalog.fill import and_filters
from celvault.catalog.store import sql_in
from celvault.config import Config

from .layer_query import layer_page, layer_ranked
from .pages import page, row_address
from .ranked import after_point, ranked
from .search import (REPRESENTATIVES, Query, QueryError, QueryResult, _identity_ids, _require, _words_filter,
                     frame_conditions, where_parts)

FRAME_COLUMNS = ["frame_id", "episode_id", "shot_index", "time_s", "characters", "scene_tags", "caption", "tags"]
# track_id (track stage) and effect_overlap (effects stage) where those stages have run
LAYER_COLUMNS = ["layer_id", "frame_id", "episode_id", "bbox", "cluster_id", "caption", "tags", "track_id",
                 "effect_overlap"]
EFFECT_COLUMNS = ["layer_id", "frame_id", "effect", "prompt", "score", "bbox"]


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

    episodes = catalog.memo("episodes", "names", lambda ds: dict(zip(*(
        ds.to_table(columns=["episode_id", "name"]).column(c).to_pylist() for c in ("episode_id", "name")))))
    people = {k["cluster_id"]: k["name"] or f"#{k['cluster_id']}" for k in read_characters(catalog)}
    return episodes, people


def run_query(catalog: Catalog, config: Config, q: Query) -> QueryResult:
    """A page of results: filter-only in catalogue order (episodes as ingested, frames in time
    order), or ranked by `q.text` / `q.vector`; `next_after` continues it."""
    if q.limit < 1:
        raise QueryError("--limit must be at least 1")
    if q.after is not None:  # the first page said how many match: later pages do not count again
        q = dataclasses.replace(q, count=False)
    table = "layers" if q.layers else "frames"
    vector = q.vector if q.vector is not None else (text_vector(catalog, config, table, q.text) if q.text else None)
    parts = frame_conditions(catalog, config, q)
    where = and_filters(*parts)
    with _lance_refusals(q):
        if q.layers:
            found, matched, where = _layers(catalog, q, where, vector)
        else:
            bound = and_filters(*[p for p in parts if p != REPRESENTATIVES])  # the costly index left out
            found, matched = _frames(catalog.dataset("frames"), q, where, bound, vector)
    rows = _described(catalog, found.to_pylist(), q.layers)
    key = "layer_id" if q.layers else "frame_id"
    more = len(rows) == q.limit and (matched is None or matched > q.limit)
    return QueryResult(kind=table, rows=rows, filter=where, matched=matched,
                       next_after=rows[-1][key] if rows and more else None)


def _frames(ds, q: Query, where: str | None, bound_where: str | None, vector) -> tuple[pa.Table, int | None]:
    if vector is None:
        matched = ds.count_rows(where) if q.count else None  # the indexes answer
        return page(ds, FRAME_COLUMNS, where, q.limit, row_address(ds, "frame_id", q.after) if q.after else None), matched
    point = after_point(ds, "frame_id", q.after, vector) if q.after else None
    bound = ds.count_rows(bound_where)  # the cheap indexes' upper bound on the candidates
    return ranked(ds, FRAME_COLUMNS, where, vector, q.limit, "frame_id", bound, point, q.count)


def _layers(catalog: Catalog, q: Query, frame_where: str | None, vector) -> tuple[pa.Table, int | None, str]:
    frames, layers = catalog.dataset("frames"), catalog.dataset("layers")
    layer_where = _layer_filter(catalog, q)
    if q.characters and "characters" in frames.schema.names:  # frames list their identities: walk only those
        ids = sorted({i for group in _identity_ids(catalog, q.characters) for i in group})
        frame_where = and_filters(frame_where, f"array_has_any(characters, [{', '.join(map(str, ids))}])")
    matched = None
    if frame_where is None and q.count:
        matched = layers.count_rows(layer_where)
    if vector is None:
        found = layer_page(frames, layers, LAYER_COLUMNS, frame_where, layer_where, q.limit, q.after)
    else:
        found = layer_ranked(frames, layers, LAYER_COLUMNS, frame_where, layer_where, vector, q.limit, q.after)
    return found, matched, and_filters(layer_where, frame_where)  # the second on the layer's frame


def _described(catalog: Catalog, rows: list[dict], layers: bool) -> list[dict]:
    """Result rows with episode and character names (and, for layers, their frame's time)."""
    episodes, people = _names(catalog)
    effects = {} if layers else _frame_effects(catalog, [r["frame_id"] for r in rows])
    times = {}
    if layers and rows:
        frames = catalog.read("frames", ["frame_id", "time_s"], sql_in("frame_id", sorted({r["frame_id"] for r in rows})))
        times = dict(zip(frames.column("frame_id").to_pylist(), frames.column("time_s").to_pylist()))
    for r in rows:
        r["episode"] = episodes.get(r["episode_id"], r["episode_id"])
        if layers:
            r["time_s"] = times.get(r["frame_id"])
            cid = r.get("cluster_id")
            r["character"] = people.get(cid) if cid is not None and cid >= 0 else None
            if r.get("effect_overlap") is not None:
                r["effect_overlap"] = round(float(r["effect_overlap"]), 4)
        else:
            r["characters"] = [people.get(c, f"#{c}") for c in r.get("characters") or []]
            if effects is not None:
                r["effects"] = effects.get(r["frame_id"], [])
        if "_distance" in r:
            r["distance"] = round(float(r.pop("_distance")), 6)
    return rows


def _frame_effects(catalog: Catalog, frame_ids: list[str]) -> dict[str, list[dict]] | None:
    """The effect layers of these frames (sparkles, speed lines, ...: the effects stage), by
    frame, in layer id order; None when the catalogue has no effect layers' columns."""
    ds = catalog.dataset("layers")
    if "effect" not in ds.schema.names or not frame_ids:
        return None
    got = ds.to_table(columns=EFFECT_COLUMNS, filter=f"kind = 'effect' AND {sql_in('frame_id', sorted(set(frame_ids)))}")
    out: dict[str, list[dict]] = {}
    for e in sorted(got.to_pylist(), key=lambda e: e["layer_id"]):
        fid = e.pop("frame_id")
        e["score"] = round(float(e["score"]), 4) if e["score"] is not None else None
        out.setdefault(fid, []).append(e)
    return out


def _layer_filter(catalog: Catalog, q: Query) -> str:
    """The conditions on the layers' own columns."""
    columns = set(catalog.dataset("layers").schema.names)
    parts = ["kind = 'character'"]
    if "not_character" in columns:  # layers marked "not a character" by hand
        parts.append(NOT_JUNK)
    if q.characters:
        _require(columns, "cluster_id", "cluster", "character identities")
        ids = sorted({i for group in _identity_ids(catalog, q.characters) for i in group})
        parts.append(f"cluster_id IN ({', '.join(map(str, ids))})")
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
