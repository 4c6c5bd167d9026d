"""The `characters` table: one row per identity (cluster) of character layers.

Small and rewritten whole: cluster_id, name, member count, centroid (the embedding model's
vector size), radius (cosine distance that holds 95% of the members), reference layers
(closest to the centroid), the embedding model, the clustering generation and config.
Layers point at it with `layers.cluster_id` (-1: no identity); frames carry the identities
they show in `frames.characters`.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa

from .fill import write_by_fragment
from .store import Catalog

TABLE = "characters"


def schema(dim: int) -> pa.Schema:
    return pa.schema([
        pa.field("cluster_id", pa.int64(), nullable=False),
        pa.field("name", pa.string()),
        pa.field("members", pa.int64()),
        pa.field("centroid", pa.list_(pa.float32(), dim)),
        pa.field("radius", pa.float32()),
        pa.field("references", pa.list_(pa.string())),
        pa.field("embed_model", pa.string()),
        pa.field("generation", pa.string()),  # the clustering the layers' cluster_config names
        pa.field("config", pa.string()),  # cluster stage config id that made it
    ])


def read_characters(catalog: Catalog) -> list[dict]:
    """The identities in cluster id order (read once per table version; each call gets its own
    dicts)."""
    if not catalog.exists(TABLE):
        return []
    return [dict(r) for r in catalog.memo(TABLE, "rows", _rows)]


def _rows(ds) -> list[dict]:
    rows = ds.to_table().to_pylist()
    for r in rows:
        r["centroid"] = np.asarray(r["centroid"], np.float32)
    return sorted(rows, key=lambda r: r["cluster_id"])


def write_characters(catalog: Catalog, rows: list[dict], dim: int) -> None:
    """Replace the table (an empty clustering keeps an empty table)."""
    import lance

    data = {f.name: [r.get(f.name) for r in rows] for f in schema(dim)}
    data["centroid"] = [np.asarray(c, np.float32).tolist() for c in data["centroid"]]
    table = pa.table(data, schema=schema(dim))
    lance.write_dataset(table, catalog.uri(TABLE), mode="overwrite" if catalog.exists(TABLE) else "create")


def member_counts(catalog: Catalog) -> dict[int, int]:
    ds = catalog.dataset("layers")
    if "cluster_id" not in ds.schema.names:
        return {}
    ids = pl.from_arrow(ds.to_table(columns=["cluster_id"], filter="cluster_id >= 0"))
    return {int(k): int(n) for k, n in ids.group_by("cluster_id").len().iter_rows()}


def refresh_frame_characters(catalog: Catalog, frame_ids: list[str] | None = None,
                             pending: dict[str, int] | None = None) -> int:
    """Recompute `frames.characters` (sorted identity ids of the frame's character layers)
    for these frames (all frames with character layers when None), with `pending`
    (layer_id -> cluster id about to be written) taking precedence. Returns commits."""
    where = "kind = 'character'"
    if frame_ids is not None:
        if not frame_ids:
            return 0
        from .store import sql_in

        where += " AND " + sql_in("frame_id", sorted(set(frame_ids)))
    layers = pl.from_arrow(catalog.read("layers", ["layer_id", "frame_id", "cluster_id"], where))
    if layers.height == 0:
        return 0
    if pending:
        ids = layers["layer_id"].to_list()
        old = layers["cluster_id"].to_list()
        layers = layers.with_columns(pl.Series("cluster_id", [pending.get(i, c) for i, c in zip(ids, old)],
                                               dtype=pl.Int64))
    layers = layers.with_columns(pl.col("cluster_id").fill_null(-1))
    per_frame = (layers.group_by("frame_id")
                 .agg(pl.col("cluster_id").filter(pl.col("cluster_id") >= 0).unique().sort().alias("characters"))
                 .sort("frame_id"))
    values = pa.table({"frame_id": per_frame["frame_id"].to_arrow().cast(pa.string()),
                       "characters": per_frame["characters"].to_arrow().cast(pa.list_(pa.int64()))})
    return write_by_fragment(catalog, "frames", "frame_id", values)
