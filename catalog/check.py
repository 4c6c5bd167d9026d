"""Consistency of a catalogue: find what two writers at once, or a crash in the wrong place,
can leave behind, and repair it.

What is looked for:
- duplicate ids: a key present more than once in any table;
- orphan media: frame_media rows without a frames row, layer_media rows without a layers row
  (an interrupted or running ingest leaves the first kind until it is finished);
- layers of frames that are no longer the representative of their near-duplicate group;
- stale member counts in the characters table.

`find_problems` only reads. `repair` (the caller holds the writer lock) keeps one row per key
(the most filled one, then the earliest written), deletes orphans and layers of
non-representatives (layers first, then their media, so a crash midway leaves only orphan
media, which the next repair removes), then recounts members.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import polars as pl
import pyarrow as pa

from .schema import KEYS
from .store import Catalog, sql_in

CHUNK = 1000
MEDIA_OF = {"frame_media": ("frames", "frame_id"), "layer_media": ("layers", "layer_id")}


@dataclass
class Problem:
    kind: str  # duplicate-ids | orphan-media | non-representative-layers | stale-members
    table: str
    count: int  # rows (or identities) concerned
    detail: str
    keys: list = field(default_factory=list)  # every key concerned

    def to_dict(self, sample: int = 5) -> dict:
        d = asdict(self)
        d["keys"] = self.keys[:sample]
        return d


def _keys(catalog: Catalog, table: str, key: str, where: str | None = None) -> pl.Series:
    return pl.from_arrow(catalog.read(table, [key], where).column(key).combine_chunks()).alias(key)


def _tables(catalog: Catalog) -> list[str]:
    return [t for t in KEYS if catalog.exists(t)]


def duplicate_ids(catalog: Catalog, tables: list[str] | None = None) -> list[Problem]:
    found = []
    for table in tables or _tables(catalog):
        key = KEYS[table]
        counts = _keys(catalog, table, key).value_counts(name="n").filter(pl.col("n") > 1).sort(key)
        if counts.height:
            extra = int(counts["n"].sum() - counts.height)
            found.append(Problem("duplicate-ids", table, extra,
                                 f"{counts.height} {key}s present more than once ({extra} extra rows)",
                                 counts[key].to_list()))
    return found


def orphan_media(catalog: Catalog) -> list[Problem]:
    found = []
    for media, (rows_table, key) in MEDIA_OF.items():
        if not (catalog.exists(media) and catalog.exists(rows_table)):
            continue
        media_keys = _keys(catalog, media, key).unique()
        orphans = media_keys.filter(~media_keys.is_in(_keys(catalog, rows_table, key).implode())).sort()
        if orphans.len():
            why = " (an ingest still running or interrupted leaves these: ingest its source again)" \
                if media == "frame_media" else ""
            found.append(Problem("orphan-media", media, orphans.len(),
                                 f"{orphans.len()} rows without a {rows_table} row{why}", orphans.to_list()))
    return found


def non_representative_layers(catalog: Catalog) -> list[Problem]:
    if "dup_of" not in catalog.dataset("frames").schema.names or catalog.count("layers") == 0:
        return []
    dups = _keys(catalog, "frames", "frame_id", "dup_of IS NOT NULL")
    if dups.len() == 0:
        return []
    layers = pl.from_arrow(catalog.read("layers", ["layer_id", "frame_id"]))
    bad = layers.filter(pl.col("frame_id").is_in(dups.implode())).sort("layer_id")
    if bad.height == 0:
        return []
    frames = bad["frame_id"].n_unique()
    return [Problem("non-representative-layers", "layers", bad.height,
                    f"{bad.height} layers of {frames} frames that are duplicates of another frame",
                    bad["layer_id"].to_list())]


def stale_members(catalog: Catalog) -> list[Problem]:
    from .characters import member_counts

    if not catalog.exists("characters"):
        return []
    rows = catalog.read("characters", ["cluster_id", "members"]).to_pylist()
    if not rows:
        return []
    counts = member_counts(catalog)
    stale = sorted({r["cluster_id"] for r in rows if (r["members"] or 0) != counts.get(r["cluster_id"], 0)})
    if not stale:
        return []
    return [Problem("stale-members", "characters", len(stale),
                    f"{len(stale)} identities whose member count differs from their layers", stale)]


def find_problems(catalog: Catalog) -> list[Problem]:
    """Every inconsistency (reads only)."""
    return duplicate_ids(catalog) + orphan_media(catalog) + non_representative_layers(catalog) \
        + stale_members(catalog)


def quick_problems(catalog: Catalog) -> list[str]:
    """Cheap signs that `find_problems` would report something (for `celvault status`): key
    columns of the small and row tables, metadata row counts of the media tables, members."""
    notes = [f"{p.table}: {p.detail}" for p in duplicate_ids(catalog, [t for t in ("episodes", "frames", "layers",
                                                                                    "characters")
                                                                       if catalog.exists(t)])]
    for media, (rows_table, _key) in MEDIA_OF.items():
        if catalog.exists(media) and catalog.count(media) > catalog.count(rows_table):
            notes.append(f"{media}: {catalog.count(media)} rows for {catalog.count(rows_table)} {rows_table} rows")
    notes += [f"{p.table}: {p.detail}" for p in stale_members(catalog)]
    return notes


# -- repair ---------------------------------------------------------------------------------

def _delete_keys(catalog: Catalog, table: str, key: str, keys: list) -> None:
    for start in range(0, len(keys), CHUNK):
        catalog.delete(table, sql_in(key, keys[start:start + CHUNK]))


def _keep_one_per_key(catalog: Catalog, table: str, keys: list) -> int:
    """Delete all but one row of each key (the row with the most values, then the earliest):
    one commit per chunk of keys, deleting by row address."""
    key = KEYS[table]
    removed = 0
    for start in range(0, len(keys), CHUNK):
        ds = catalog.dataset(table)
        where = sql_in(key, keys[start:start + CHUNK]) if ds.schema.field(key).type == pa.string() \
            else f"{key} IN ({', '.join(str(int(k)) for k in keys[start:start + CHUNK])})"
        rows = ds.to_table(filter=where, with_row_address=True)
        filled = [sum(1 for name in rows.column_names if name != "_rowaddr" and rows.column(name)[i].is_valid)
                  for i in range(rows.num_rows)]
        table_rows = pl.DataFrame({"key": rows.column(key).to_pylist(), "filled": filled,
                                   "addr": rows.column("_rowaddr").to_pylist()}, schema_overrides={"addr": pl.UInt64})
        ranked = table_rows.sort(["key", "filled", "addr"], descending=[False, True, False])
        drop = ranked.filter(pl.col("key").is_first_distinct().not_())["addr"].to_list()
        if drop:
            ds.delete(f"_rowaddr IN ({', '.join(str(a) for a in drop)})")
            removed += len(drop)
    return removed


def _recount(catalog: Catalog) -> None:
    from .characters import member_counts, read_characters, write_characters

    rows = read_characters(catalog)
    counts = member_counts(catalog)
    for r in rows:
        r["members"] = counts.get(r["cluster_id"], 0)
    if rows:
        write_characters(catalog, rows, len(rows[0]["centroid"]))


def repair(catalog: Catalog) -> list[str]:
    """Fix every problem `find_problems` reports; one line per fix. Hold the writer lock."""
    done = []
    for p in duplicate_ids(catalog):
        n = _keep_one_per_key(catalog, p.table, p.keys)
        done.append(f"{p.table}: removed {n} duplicate rows ({len(p.keys)} {KEYS[p.table]}s kept once)")
    for p in non_representative_layers(catalog):
        _delete_keys(catalog, "layers", "layer_id", p.keys)  # pointers first, then media
        _delete_keys(catalog, "layer_media", "layer_id", p.keys)
        done.append(f"layers: deleted {p.count} layers of non-representative frames (and their media)")
    for p in orphan_media(catalog):
        _delete_keys(catalog, p.table, MEDIA_OF[p.table][1], p.keys)
        done.append(f"{p.table}: deleted {p.count} orphan rows")
    for p in stale_members(catalog):
        _recount(catalog)
        done.append(f"characters: recounted the members of {p.count} identities")
    return done
