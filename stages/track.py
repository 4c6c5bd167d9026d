"""track: a shot's character layers linked into tracks, the same character frame after frame.

`layers.track_id` names each character layer's track (null until tracked): a track is named
after its first layer, so a rerun gives the same ids. The linker is a registered `tracker`
backend (`overlap`, weight-free: mask overlap, size, motion and embedding similarity, with
ambiguous links left open; stages/tracking.py). `cluster` then votes per track.

The unit is a shot: a link needs the shot's frames together, and a shot's layers can lie in
several fragments, so this is a table job that finds its own work: the shots that have a
character layer without a track (with `--redo`, made with other settings; `--force`: every
shot in scope). Each episode's shots are computed, then written (one commit per fragment
touched); a run stopped midway leaves some shot with layers lacking a track, and the next run
links that whole shot again, which gives the ids already written to its other layers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from celvault import registry
from celvault.catalog.fill import and_filters, write_by_fragment
from celvault.catalog.store import sql_str
from celvault.errors import CelvaultError
from celvault.media.codec import decode_png
from celvault.registry import register
from celvault.settings import StageSettings

from .base import CHARACTER_LAYERS, IndexSpec
from .table_job import TableJob, WholeTableResult
from .tracking import ShotLayer

TRACK_FIELDS = [pa.field("track_id", pa.string()), pa.field("track_config", pa.string())]


@dataclass(frozen=True)
class TrackSettings(StageSettings):
    pass


@register("stage", "track")
class TrackStage(TableJob):
    name = "track"
    version = 1
    order = 45  # after embed (its vectors help), before cluster (which votes per track)
    Settings = TrackSettings
    backend_kind = "tracker"
    default_backend = "overlap"
    table, key = "layers", "layer_id"
    where = CHARACTER_LAYERS

    @property
    def tracker(self):
        if not hasattr(self, "_tracker"):
            self._tracker = registry.load("tracker", self.backend)(self.settings, self.run_options)
        return self._tracker

    def check_settings(self) -> None:
        self.tracker

    def params(self):
        return {self.backend: self.tracker.params()}

    def declared_columns(self) -> list[pa.Field]:
        return list(TRACK_FIELDS)

    def apply(self, catalog, *, scope, progress, begin=None) -> WholeTableResult:
        begin = begin or (lambda rows: None)
        catalog.ensure_columns("layers", self.declared_columns())
        opts = self.run_options
        stale = "track_id IS NULL"
        if opts.redo:
            stale += f" OR track_config IS NULL OR track_config != {sql_str(self.config_id())}"
        pending = catalog.read("layers", ["episode_id", "shot_index"],
                               scope if opts.force else and_filters(scope, stale))
        shots: dict[str, set[int]] = {}
        for e, s in zip(pending.column("episode_id").to_pylist(), pending.column("shot_index").to_pylist()):
            shots.setdefault(e, set()).add(s)
        if not shots:
            return WholeTableResult()
        progress.start("track", sum(len(s) for s in shots.values()))
        rows = commits = tracks = linked = 0
        started = False
        for episode in sorted(shots):
            values = self._episode(catalog, episode, sorted(shots[episode], key=lambda s: (s is None, s)), progress)
            if not started:
                begin(sum(len(v) for v in shots.values()))
                started = True
            table = pa.table({"layer_id": pa.array(list(values), pa.string()),
                              "track_id": pa.array(list(values.values()), pa.string()),
                              "track_config": pa.array([self.config_id()] * len(values), pa.string())})
            commits += write_by_fragment(catalog, "layers", "layer_id", table)
            rows += len(values)
            sizes = np.unique(list(values.values()), return_counts=True)[1] if values else np.array([], int)
            tracks += len(sizes)
            linked += int(sizes[sizes > 1].sum())
        note = (f"{rows} character layers of {sum(len(s) for s in shots.values())} shots -> {tracks} tracks; "
                f"{linked} layers in tracks of 2 or more")
        return WholeTableResult(rows=rows, commits=commits, tables=("layers",), notes=[note])

    def _episode(self, catalog, episode: str, shot_list: list, progress) -> dict[str, str]:
        """layer_id -> track id for every character layer of these shots of one episode."""
        has_vectors = "embedding" in catalog.dataset("layers").schema.names
        known = ", ".join(str(int(s)) for s in shot_list if s is not None)
        shots = [f"shot_index IN ({known})" if known else None, "shot_index IS NULL" if None in shot_list else None]
        where = and_filters(CHARACTER_LAYERS, f"episode_id = {sql_str(episode)}", " OR ".join(filter(None, shots)))
        cols = ["layer_id", "frame_id", "shot_index", "bbox"] + (["embedding"] if has_vectors else [])
        layers = catalog.read("layers", cols, where).to_pylist()
        media = catalog.read("layer_media", ["layer_id", "mask"],
                             and_filters(CHARACTER_LAYERS, f"episode_id = {sql_str(episode)}"))
        wanted = {r["layer_id"] for r in layers}
        masks = {k: m for k, m in zip(media.column("layer_id").to_pylist(), media.column("mask").to_pylist())
                 if k in wanted}
        by_shot: dict = {}
        for r in layers:
            by_shot.setdefault(r["shot_index"], []).append(_shot_layer(r, masks.get(r["layer_id"])))
        out: dict[str, str] = {}
        for shot in shot_list:
            found = by_shot.get(shot, [])
            if shot is None:  # no shot known: each frame on its own
                for lay in found:
                    out.update(self.tracker.link([lay]))
            else:
                out.update(self.tracker.link(found))
            progress.advance(1)
        return out

    def indexes(self) -> list[IndexSpec]:
        return [IndexSpec("layers", "track_id", "BTREE")]


def _shot_layer(row: dict, mask_png: bytes | None) -> ShotLayer:
    x0, y0, x1, y1 = (int(v) for v in row["bbox"])
    mask = None
    if mask_png:
        try:
            mask = decode_png(mask_png) > 127
        except CelvaultError:
            mask = None
    if mask is None or mask.shape != (y1 - y0, x1 - x0):
        mask = np.ones((max(y1 - y0, 0), max(x1 - x0, 0)), bool)  # no usable mask: its box
    vec = row.get("embedding")
    vector = None
    if vec is not None:
        vector = np.asarray(vec, np.float32)
        norm = float(np.linalg.norm(vector))
        vector = vector / norm if norm > 0 else None
    return ShotLayer(row["layer_id"], row["frame_id"], (x0, y0, x1, y1), mask, vector)
