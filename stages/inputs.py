"""What a row stage declared it needs, fetched by the runner: the media of its rows (as an
`image` column), its frames' layer masks (a `layer_masks` column), and a reader of whole
shots (`shot_frames`). Stages never read the catalogue themselves."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from celvault.catalog import Catalog
from celvault.catalog.fill import and_filters
from celvault.catalog.store import sql_in, sql_str
from celvault.media.codec import decode_frame
from celvault.timing import phase

LAYER_MASK = pa.struct([("layer_id", pa.string()), ("kind", pa.string()), ("bbox", pa.list_(pa.int32())),
                        ("mask", pa.large_binary())])


def with_inputs(catalog: Catalog, stage, rows: pa.Table) -> pa.Table:
    """`rows` (key + declared input columns) with the declared media and layers joined."""
    with phase("fetch"):
        return _with_inputs(catalog, stage, rows)


def _with_inputs(catalog: Catalog, stage, rows: pa.Table) -> pa.Table:
    keys = rows.column(stage.key).to_pylist()
    if stage.media:
        media = catalog.read(stage.media, [stage.key, "data"], sql_in(stage.key, keys))
        by_key = dict(zip(media.column(stage.key).to_pylist(), media.column("data").to_pylist()))
        rows = rows.append_column("image", pa.array([by_key.get(k) for k in keys], pa.large_binary()))
    if stage.frame_layers:  # rows of frames, or of layers (their frame's other layers)
        frame_ids = keys if stage.key == "frame_id" else rows.column("frame_id").to_pylist()
        rows = rows.append_column("layer_masks", _layer_masks(catalog, frame_ids, stage.frame_layers))
    return rows


def _layer_masks(catalog: Catalog, frame_ids: list[str], which: str) -> pa.Array:
    where = and_filters(sql_in("frame_id", frame_ids), which)
    layers = catalog.read("layers", ["layer_id", "frame_id", "kind", "bbox"], where)
    media = catalog.read("layer_media", ["layer_id", "mask"], where)
    mask_of = dict(zip(media.column("layer_id").to_pylist(), media.column("mask").to_pylist()))
    by_frame: dict[str, list] = {}
    for lid, fid, kind, bbox in sorted(zip(*(layers.column(c).to_pylist()
                                             for c in ("layer_id", "frame_id", "kind", "bbox")))):
        by_frame.setdefault(fid, []).append({"layer_id": lid, "kind": kind, "bbox": list(bbox), "mask": mask_of[lid]})
    return pa.array([by_frame.get(f, []) for f in frame_ids], pa.list_(LAYER_MASK))


class ShotFrames:
    """`reader(episode_id, shot_index, limit)`: the shot's kept frames, decoded, in frame id
    order; over `limit` of them, evenly spaced ones."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog

    def __call__(self, episode_id: str, shot_index: int, limit: int) -> list[tuple[str, np.ndarray]]:
        where = f"episode_id = {sql_str(episode_id)} AND shot_index = {int(shot_index)}"
        with phase("fetch"):
            ids = sorted(self.catalog.read("frames", ["frame_id"], where).column("frame_id").to_pylist())
            if len(ids) > limit:
                ids = [ids[i] for i in np.linspace(0, len(ids) - 1, limit).round().astype(int)]
            if not ids:
                return []
            media = self.catalog.read("frame_media", ["frame_id", "data"], sql_in("frame_id", ids))
            data = dict(zip(media.column("frame_id").to_pylist(), media.column("data").to_pylist()))
        return [(fid, decode_frame(data.get(fid), fid)) for fid in ids]


class ReadOnlyView:
    """What a cross-row pass may do with the catalogue: read."""

    def __init__(self, catalog: Catalog):
        self._catalog = catalog

    def read(self, table: str, columns: list[str] | None = None, where: str | None = None) -> pa.Table:
        return self._catalog.read(table, columns, where)
