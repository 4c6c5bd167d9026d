"""The fill-missing primitive.

Outputs are declared as all-null columns; rows whose marker column is null are read fragment
by fragment, computed, and written back with a `rewrite_columns` merge keyed on the table's
key: one commit per fragment, so a crash loses at most one fragment's work and a rerun picks
up exactly the rows still missing. Nothing missing means no work and no commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

import lance
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .store import Catalog

Compute = Callable[[pa.Table], pa.Table]


@dataclass
class FillResult:
    rows: int = 0
    fragments: int = 0


def and_filters(*parts: str | None) -> str | None:
    kept = [f"({p})" for p in parts if p]
    return " AND ".join(kept) if kept else None


def pending_by_fragment(ds: lance.LanceDataset, columns: list[str], where: str | None) -> Iterator[tuple[int, pa.Table]]:
    """(fragment id, rows matching `where`) for every fragment that has any, in fragment order.

    One filtered scan of the table with row addresses (fragment id in the high 32 bits), so a
    table of thousands of fragments costs one scan, not one per fragment.
    """
    rows = ds.to_table(columns=columns, filter=where, with_row_address=True)
    if rows.num_rows == 0:
        return
    frag = pc.shift_right(rows.column("_rowaddr"), 32)
    rows = rows.drop_columns(["_rowaddr"]).append_column("_frag", frag)
    rows = rows.sort_by([("_frag", "ascending")])
    frag_ids = rows.column("_frag").to_numpy()
    cuts = np.flatnonzero(np.diff(frag_ids)) + 1
    for start, stop in zip(np.r_[0, cuts], np.r_[cuts, len(frag_ids)]):
        yield int(frag_ids[start]), rows.slice(start, stop - start).drop_columns(["_frag"])


def write_columns(ds: lance.LanceDataset, key: str, columns: pa.Table) -> None:
    """Patch the given columns of existing rows (matched on key) in place: one commit."""
    (ds.merge_insert(key).when_matched_update_all().write_mode("rewrite_columns").execute(columns))


def fill_missing(
    catalog: Catalog,
    table: str,
    key: str,
    read_columns: list[str],
    where: str | None,
    compute: Compute,
    on_rows: Callable[[int], None] | None = None,
) -> FillResult:
    """Fill, fragment by fragment, the rows selected by `where` with `compute(rows)`.

    `compute` returns a table holding `key` and the output columns for the rows it got.
    """
    result = FillResult()
    ds = catalog.dataset(table)
    cols = [key] + [c for c in read_columns if c != key]
    for _frag_id, rows in pending_by_fragment(ds, cols, where):
        out = compute(rows)
        if out.num_rows:
            write_columns(catalog.dataset(table), key, out)
        result.rows += rows.num_rows
        result.fragments += 1
        if on_rows:
            on_rows(rows.num_rows)
    return result


def write_by_fragment(catalog: Catalog, table: str, key: str, values: pa.Table) -> int:
    """Patch `values` (key + columns) into `table`, one commit per fragment they touch.
    Keys not in the table are ignored. Returns the number of commits."""
    if values.num_rows == 0:
        return 0
    ds = catalog.dataset(table)
    where = None
    if values.num_rows <= 1000:
        from .store import sql_in

        where = sql_in(key, values.column(key).to_pylist())
    index = {k: i for i, k in enumerate(values.column(key).to_pylist())}
    commits = 0
    for _, rows in pending_by_fragment(ds, [key], where):
        take = [index[k] for k in rows.column(key).to_pylist() if k in index]
        if take:
            write_columns(catalog.dataset(table), key, values.take(pa.array(take)))
            commits += 1
    return commits
