"""Ranked results: the rows passing the filters nearest to a vector, a page at a time.

When few rows pass the filters (at most EXACT_MAX: 4,096 vectors of 512 floats is an 8 MB
dot product), they are all read and ranked exactly. Otherwise the IVF index searches with
the filters applied first (prefilter), NPROBES partitions, and re-ranks REFINE_FACTOR x the
page on the stored vectors. Ties are broken by key, so the order is total; the page token
is the key of the last row shown, and the next page asks the index for rows from that row's
distance on (`distance_range`).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import lance
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from celvault.catalog.store import sql_str

from .search import QueryError

EXACT_MAX = 4096
NPROBES, REFINE_FACTOR = 32, 20
TIE = 1e-6  # distances closer than this are one distance (Lance and NumPy round differently)


def vectors_of(table: pa.Table) -> np.ndarray:
    col = table.column("embedding").combine_chunks()
    return np.asarray(col.flatten(), np.float32).reshape(len(col), -1)


def cosine_distance(vectors: np.ndarray, q: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1) * max(float(np.linalg.norm(q)), 1e-12)
    return (1.0 - (vectors @ q) / np.maximum(norms, 1e-12)).astype(np.float32)


def after_point(ds: lance.LanceDataset, key: str, value: str, vector) -> tuple[float, str]:
    """(distance, key) of the row a ranked page ended on."""
    found = ds.to_table(columns=[key, "embedding"], filter=f"{key} = {sql_str(value)}")
    if found.num_rows == 0:
        raise QueryError(f"--after {value!r}: no {key.split('_')[0]} with that id in this catalogue")
    return float(cosine_distance(vectors_of(found), np.asarray(vector, np.float32))[0]), value


def _order(found: pa.Table, key: str, limit: int, after: tuple[float, str] | None) -> pa.Table:
    """`found` (with `_distance`) sorted by distance then key, after `after`, first `limit`."""
    if after is not None:
        d, k = after
        dist, keys = found.column("_distance"), found.column(key)
        later = pc.or_(pc.greater(dist, d + TIE),
                       pc.and_(pc.greater_equal(dist, d - TIE), pc.greater(keys, k)))
        found = found.filter(later)
    idx = pc.sort_indices(found, sort_keys=[("_distance", "ascending"), (key, "ascending")])
    return found.take(idx[:limit])


def exact(ds: lance.LanceDataset, columns: list[str], where: str | None, vector, limit: int, key: str,
          after: tuple[float, str] | None = None) -> pa.Table:
    """Every row passing `where`, ranked exactly."""
    cols = [c for c in columns if c in ds.schema.names]
    return _ranked_exactly(ds.to_table(columns=cols + ["embedding"], filter=where), vector, limit, key, after)


def _ranked_exactly(got: pa.Table, vector, limit: int, key: str, after) -> pa.Table:
    dist = cosine_distance(vectors_of(got), np.asarray(vector, np.float32))
    found = got.drop_columns(["embedding"]).append_column("_distance", pa.array(dist, pa.float32()))
    return _order(found, key, limit, after)


def approximate(ds: lance.LanceDataset, columns: list[str], where: str | None, vector, limit: int, key: str,
                after: tuple[float, str] | None = None) -> pa.Table:
    """The IVF index's nearest rows passing `where` (prefiltered), re-ranked on stored vectors."""
    cols = [c for c in columns if c in ds.schema.names]
    nearest = {"column": "embedding", "q": np.asarray(vector, np.float32), "k": limit + (16 if after else 0),
               "nprobes": NPROBES, "refine_factor": REFINE_FACTOR}
    if after is not None:
        nearest["distance_range"] = (after[0] - TIE, None)
    found = ds.to_table(columns=cols + ["_distance"], filter=where, nearest=nearest, prefilter=True)
    return _order(found, key, limit, after)


def ranked(ds: lance.LanceDataset, columns: list[str], where: str | None, vector, limit: int, key: str,
           bound: int, after: tuple[float, str] | None = None, count: bool = True) -> tuple[pa.Table, int | None]:
    """(the page, how many rows pass `where`): exact when at most EXACT_MAX may pass (`bound`, an
    upper bound from the cheapest indexes), else the index, with the count taken meanwhile."""
    if bound <= EXACT_MAX or not _has_vector_index(ds):
        cols = [c for c in columns if c in ds.schema.names]
        got = ds.to_table(columns=cols + ["embedding"], filter=where)
        return _ranked_exactly(got, vector, limit, key, after), got.num_rows
    if not count:
        return approximate(ds, columns, where, vector, limit, key, after), None
    with ThreadPoolExecutor(1) as pool:  # Lance releases the GIL: the count costs no wall time
        counting = pool.submit(ds.count_rows, where)
        found = approximate(ds, columns, where, vector, limit, key, after)
        return found, counting.result()


def _has_vector_index(ds: lance.LanceDataset) -> bool:
    return any(list(i.field_names) == ["embedding"] and i.index_type.startswith("IVF")
               for i in ds.describe_indices())
