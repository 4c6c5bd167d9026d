"""Filter-only results, a page at a time, in catalogue order.

Catalogue order is the order rows were written: episodes in the order they were ingested,
each episode's frames in time order (ingest appends them so, stages rewrite columns in place
and compaction keeps the order). A page is a filtered scan in that order that stops after
`limit` matches, so the first page costs the same whether 50 or 500,000 rows match. The page
token is the key of the last row shown (`--after ID`): its row address is found through the
key's BTree index and the next page scans only the fragments from there on, so every page
costs what the first did.
"""

from __future__ import annotations

import lance
import pyarrow as pa

from celvault.catalog.fill import and_filters
from celvault.catalog.store import sql_str

from .search import QueryError


def row_address(ds: lance.LanceDataset, key: str, value: str) -> int:
    """Where the row `key = value` is now (an unknown key is one QueryError)."""
    found = ds.to_table(columns=[key], filter=f"{key} = {sql_str(value)}", with_row_address=True)
    if found.num_rows == 0:
        raise QueryError(f"--after {value!r}: no {key.split('_')[0]} with that id in this catalogue")
    return int(found.column("_rowaddr")[0].as_py())


def page(ds: lance.LanceDataset, columns: list[str], where: str | None, limit: int,
         after: int | None = None, with_address: bool = False) -> pa.Table:
    """The first `limit` rows matching `where` in catalogue order, after row address `after`."""
    kw = dict(columns=[c for c in columns if c in ds.schema.names], limit=limit, scan_in_order=True,
              with_row_address=with_address)
    if after is None:
        return ds.scanner(filter=where, **kw).to_table()
    rest = [f for f in ds.get_fragments() if f.fragment_id >= after >> 32]  # none before the token's
    if not rest:
        return ds.scanner(filter="false", **kw).to_table()
    return ds.scanner(filter=and_filters(where, f"_rowaddr > {after}"), fragments=rest, **kw).to_table()


def pages_from(ds: lance.LanceDataset, columns: list[str], where: str | None, chunk: int,
               after: int | None = None, most: int = 65536):
    """Pages (with `_rowaddr`) in catalogue order until none is left: the first of `chunk` rows,
    each next one 4x larger up to `most` (a short page is cheap, a long walk takes few steps)."""
    while True:
        got = page(ds, columns, where, chunk, after, with_address=True)
        if got.num_rows == 0:
            return
        yield got
        if got.num_rows < chunk:
            return
        after = int(got.column("_rowaddr")[-1].as_py())
        chunk = min(chunk * 4, max(most, chunk))
