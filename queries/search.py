"""`celvault query`: frames (or character layers) matching every filter given.

Filters combine with AND: characters (names or cluster ids; a frame must show each one),
scene tags (each one), episodes (any of them), words found in captions or booru tags (`%`
and `_` taken literally), a checked `--where` expression (on frame columns, or with layers on
layer and frame columns), and near-duplicates left out unless asked for. `text` then
ranks what passes by CLIP similarity (a prefiltered vector search); without it, results come
in episode and time order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from celvault.catalog import Catalog
from celvault.catalog.fill import and_filters
from celvault.catalog.store import sql_in, sql_str
from celvault.config import Config
from celvault.errors import CelvaultError

from .where import check_where, split_where

REPRESENTATIVES = "dup_group IS NOT NULL AND dup_of IS NULL"


class QueryError(CelvaultError):
    pass


@dataclass
class Query:
    characters: list[str] = field(default_factory=list)
    scenes: list[str] = field(default_factory=list)
    episodes: list[str] = field(default_factory=list)
    words: str | None = None  # found in captions or booru tags
    where: str | None = None
    text: str | None = None  # semantic ranking through the CLIP text embedding
    vector: list[float] | None = None  # or rank by this vector directly (same space as the stored ones)
    layers: bool = False  # character layers instead of frames
    include_duplicates: bool = False
    limit: int = 50
    after: str | None = None  # the id the previous page ended on (its `next_after`)
    count: bool = True  # count the rows passing the filters (from the indexes; first pages only)


@dataclass
class QueryResult:
    kind: str  # frames | layers
    rows: list[dict]
    filter: str | None
    matched: int | None  # rows passing the filters (counted on the indexes; None: not counted, as on later pages)
    next_after: str | None = None  # pass as `after` (--after) for the next page; None: no more


def _identity_ids(catalog: Catalog, names: list[str]) -> list[list[int]]:
    from celvault.catalog.characters import read_characters
    from celvault.catalog.identities import resolve

    known = read_characters(catalog)
    groups = []
    for name in names:
        row = resolve(known, name)
        same = [k["cluster_id"] for k in known if row["name"] and k["name"] == row["name"]]
        groups.append(sorted(set(same) | {row["cluster_id"]}))
    return groups


def _scene_filter(catalog: Catalog, config: Config, scenes: list[str]) -> str:
    from celvault.stages.scene_vocabulary import load_vocabulary

    tag = config.stage("tag")
    vocab = load_vocabulary(str(tag.get("vocabulary", "scenes")), tag.get("extra")).tags
    unknown = [s for s in scenes if s not in vocab]
    if unknown:
        raise QueryError(f"unknown scene tag {unknown[0]!r}; scene tags: {', '.join(vocab)}")
    return f"array_has_all(scene_tags, [{', '.join(sql_str(s) for s in scenes)}])"


def like_literal(text: str) -> str:
    """`text` for a LIKE pattern with its own `%`, `_` and `\\` taken literally (escape `\\`)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _words_filter(columns: set[str], words: str) -> str:
    parts = []
    for word in words.lower().split():
        like = sql_str(f"%{like_literal(word)}%") + " ESCAPE '\\'"
        alternatives = []
        if "caption" in columns:
            alternatives.append(f"lower(caption) LIKE {like}")
        if "tags" in columns:
            alternatives.append(f"lower(array_to_string(tags, ' ')) LIKE {like}")
        parts.append("(" + " OR ".join(alternatives) + ")")
    return " AND ".join(parts)


def _require(columns: set[str], needed: str, stage: str, what: str) -> None:
    if needed not in columns:
        raise QueryError(f"no {what} in this catalogue yet: run `celvault run {stage}` first")


def frame_filter(catalog: Catalog, config: Config, q: Query) -> str | None:
    """The Lance filter for frames matching every frame-level condition of `q`."""
    return and_filters(*frame_conditions(catalog, config, q))


def frame_conditions(catalog: Catalog, config: Config, q: Query) -> list[str]:
    """The frame-level conditions of `q`, each a Lance filter (AND-ed by frame_filter)."""
    columns = set(catalog.dataset("frames").schema.names)
    parts = []
    if not q.include_duplicates and "dup_of" in columns:
        parts.append(REPRESENTATIVES)
    if q.characters and not q.layers:
        _require(columns, "characters", "cluster", "character identities")
        for ids in _identity_ids(catalog, q.characters):
            parts.append(f"array_has_any(characters, [{', '.join(map(str, ids))}])")
    if q.scenes:
        _require(columns, "scene_tags", "tag", "scene tags")
        parts.append(_scene_filter(catalog, config, q.scenes))
    if q.episodes:
        from celvault.catalog.episodes import resolve_episodes

        parts.append(sql_in("episode_id", resolve_episodes(catalog, q.episodes)))
    if q.words and not q.layers:
        if not {"caption", "tags"} & columns:
            raise QueryError("no captions or tags in this catalogue yet: run `celvault run caption` first")
        parts.append(_words_filter(columns, q.words))
    parts.append(where_parts(catalog, q)["frames"])
    return [p for p in parts if p]


def where_parts(catalog: Catalog, q: Query) -> dict[str, str | None]:
    """The checked `--where` for each table: all of it on frames, or with --layers each AND-ed
    condition on the table whose columns it uses."""
    if not q.where:
        return {"frames": None, "layers": None}
    frames = catalog.dataset("frames").schema
    if q.layers:
        return split_where(q.where, catalog.dataset("layers").schema, frames)
    return {"frames": check_where(q.where, frames), "layers": None}
