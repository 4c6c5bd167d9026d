"""`--layers`: character layers whose own columns pass the layer filter and whose frames pass
the frame filter, without ever listing every matching frame.

Filter-only: frames are walked in catalogue order a chunk at a time (the frame filter on the
frames table, its indexes answering), and each chunk's layers are read with the layer filter,
until a page is full: layers come in their frames' order, then by layer id. The page token is
the last layer's id: the walk goes on from its frame.
Ranked: the layer filter goes to the vector search (or the exact ranking of a few thousand
candidates); the nearest layers' frames are then checked against the frame filter, asking for
more nearest layers until the page is full or none is left.
"""

from __future__ import annotations

import lance
import pyarrow as pa
import pyarrow.compute as pc

from celvault.catalog.fill import and_filters
from celvault.catalog.store import sql_in, sql_str

from .pages import pages_from, row_address
from .ranked import EXACT_MAX, after_point, exact, ranked
from .search import QueryError

FIRST_CHUNK = 256  # frames per step of the walk


def layer_page(frames: lance.LanceDataset, layers: lance.LanceDataset, columns: list[str], frame_where: str | None,
               layer_where: str, limit: int, after: str | None = None) -> pa.Table:
    """The first `limit` layers in catalogue order (after layer `after`)."""
    start, skip_frame, skip_upto = None, None, None
    if after is not None:
        got = layers.to_table(columns=["frame_id"], filter=f"layer_id = {sql_str(after)}")
        if got.num_rows == 0:
            raise QueryError(f"--after {after!r}: no layer with that id in this catalogue")
        skip_frame, skip_upto = got.column("frame_id")[0].as_py(), after
        start = row_address(frames, "frame_id", skip_frame) - 1  # the walk starts at that frame
    out = []
    for part in pages_from(frames, ["frame_id"], frame_where, FIRST_CHUNK, start):
        ids = part.column("frame_id").to_pylist()
        found = layers.to_table(columns=[c for c in columns if c in layers.schema.names],
                                filter=and_filters(layer_where, sql_in("frame_id", ids)))
        position = pa.array([{f: i for i, f in enumerate(ids)}[f] for f in found.column("frame_id").to_pylist()],
                            pa.int64())
        found = found.append_column("_position", position)
        found = found.take(pc.sort_indices(found, sort_keys=[("_position", "ascending"), ("layer_id", "ascending")]))
        if skip_frame is not None:
            fid, lid = found.column("frame_id"), found.column("layer_id")
            found = found.filter(pc.invert(pc.and_(pc.equal(fid, skip_frame), pc.less_equal(lid, skip_upto))))
        out.append(found.drop_columns(["_position"]))
        if sum(t.num_rows for t in out) >= limit:
            break
    if not out:
        return layers.schema.empty_table().select([c for c in columns if c in layers.schema.names])
    return pa.concat_tables(out).slice(0, limit)


def layer_ranked(frames: lance.LanceDataset, layers: lance.LanceDataset, columns: list[str],
                 frame_where: str | None, layer_where: str, vector, limit: int, after: str | None = None) -> pa.Table:
    """The `limit` layers nearest to `vector` whose frames pass `frame_where`."""
    point = after_point(layers, "layer_id", after, vector) if after else None
    candidates = layers.count_rows(layer_where)
    cols = list(dict.fromkeys([*columns, "frame_id", "layer_id"]))
    if candidates <= EXACT_MAX:
        found = exact(layers, cols, layer_where, vector, candidates, "layer_id", point)
        return _frames_pass(frames, found, frame_where).slice(0, limit)
    k = limit
    while True:
        k *= 4
        found, _ = ranked(layers, cols, layer_where, vector, k, "layer_id", candidates, point, count=False)
        kept = _frames_pass(frames, found, frame_where)
        if kept.num_rows >= limit or found.num_rows < k or k >= candidates:
            return kept.slice(0, limit)


def _frames_pass(frames: lance.LanceDataset, found: pa.Table, frame_where: str | None) -> pa.Table:
    """The rows of `found` (in order) whose frame passes `frame_where`."""
    if not frame_where or found.num_rows == 0:
        return found
    ids = sorted(set(found.column("frame_id").to_pylist()))
    ok = frames.to_table(columns=["frame_id"], filter=and_filters(frame_where, sql_in("frame_id", ids)))
    return found.filter(pc.is_in(found.column("frame_id"), value_set=ok.column("frame_id")))
