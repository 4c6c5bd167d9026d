"""Indexes the catalogue keeps current after a stage writes: vector and scalar.

Vector columns get a cosine IVF_PQ (or IVF_HNSW_SQ) index once they hold `min_rows` vectors
(below that a flat scan is as fast and needs no training; PQ needs 256 vectors to train); afterwards new rows are folded in with
`optimize_indices`, and the index is retrained when the table has grown fourfold since it
was trained (its partitions no longer fit the data). Scalar indexes (LabelList on list
columns, BTree on keys and ids) are cheap at any size and are made on first use.
"""

from __future__ import annotations

import math

from .store import Catalog


def _index_on(ds, column: str) -> str | None:
    for idx in ds.describe_indices():
        if list(idx.field_names) == [column]:
            return idx.name
    return None


def _sub_vectors(dim: int) -> int:
    """PQ sub-vector count: sub-vectors of 8 (or the nearest size that divides `dim`)."""
    for width in (8, 4, 16, 2, 6, 12, 3, 1):
        if dim % width == 0:
            return dim // width
    return 1


INDEX_TYPES = ("IVF_PQ", "IVF_HNSW_SQ")
PQ_MIN_ROWS = 256  # PQ codebooks have 256 centroids: fewer training vectors make an empty index


def ensure_vector_index(catalog: Catalog, table: str, column: str, min_rows: int,
                        index_type: str = "IVF_PQ") -> str | None:
    """Create, extend or retrain the cosine vector index on `table.column`; a report line."""
    index_type = index_type.upper()
    if index_type not in INDEX_TYPES:
        from celvault.errors import ConfigError

        raise ConfigError(f"vector index type {index_type!r}: use one of {', '.join(INDEX_TYPES)}")
    if index_type == "IVF_PQ":
        min_rows = max(min_rows, PQ_MIN_ROWS)
    ds = catalog.dataset(table)
    if column not in ds.schema.names:
        return None
    vectors = ds.count_rows(f"{column} IS NOT NULL")
    existing = _index_on(ds, column)
    if existing is not None:
        stats = ds.stats.index_stats(existing)
        unindexed = int(stats["num_unindexed_rows"])
        # the index is named after the vectors it was trained on (folded-in rows count as
        # indexed but did not shape its partitions)
        trained = int(existing.rsplit("_", 1)[-1]) if existing.rsplit("_", 1)[-1].isdigit() else 1
        if vectors <= 4 * trained:
            if unindexed:
                ds.optimize.optimize_indices(index_names=[existing])
                return f"vector index on {table}.{column}: {unindexed} new rows added"
            return None
    if vectors < min_rows:
        return None
    dim = ds.schema.field(column).type.list_size
    partitions = max(1, min(4096, int(math.sqrt(vectors))))
    extra = {"num_sub_vectors": _sub_vectors(dim)} if index_type == "IVF_PQ" else {}
    if existing is not None:
        ds.drop_index(existing)
    ds.create_index(column, index_type, name=f"{column}_idx_{vectors}", metric="cosine", num_partitions=partitions,
                    **extra)
    what = "retrained" if existing is not None else "created"
    return f"vector index on {table}.{column} {what} ({index_type}, cosine, {partitions} partitions, {vectors} vectors)"


def ensure_scalar_index(catalog: Catalog, table: str, column: str, kind: str) -> None:
    """`kind`: LABEL_LIST (list columns), BTREE (keys), BITMAP (small enums)."""
    ds = catalog.dataset(table)
    if column not in ds.schema.names or ds.count_rows() == 0:
        return
    existing = _index_on(ds, column)
    if existing is None:
        ds.create_scalar_index(column, kind)
    else:
        ds.optimize.optimize_indices(index_names=[existing])
