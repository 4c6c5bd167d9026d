"""Per-row stages: a pure `run(rows) -> columns` over the rows whose outputs are missing.

A row stage declares the table it fills, the columns it reads (`inputs`), the media its rows
arrive with (`media`: its `data` column arrives as `image`), and what else it needs:
- `frame_layers`: a filter of the frame's layers whose bbox and mask arrive, per frame, in
  the `layer_masks` column (inpaint: the character layers it fills under);
- `shot_frames`: the runner hands it `shot_frames(episode_id, shot_index, limit)`, the
  decoded frames of a shot (plates are medians over a shot).
Stages that make rows of other tables (segment and inpaint make layers) declare `owns`: for
each such table, the filter of the rows the stage makes per key. `run` returns those new rows
under the table's name beside the output columns; the runner commits them once per unit of
work, and on every (re)computation of a row first deletes what the stage made for that key
before, so reruns and crash leftovers never duplicate anything. `resets` names columns of
later stages that become stale when this stage recomputes a row (they are set back to null).

`LinkedRowStage` adds a cross-row pass (`link`) over rows whose per-row outputs exist but
whose link outputs do not; it reads other rows of its own table through a read-only view.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Callable, ClassVar

import pyarrow as pa

from .base import Stage


@dataclass(frozen=True)
class Target:
    key: str
    where: str | None = None
    media: str | None = None
    inputs: tuple[str, ...] = ()
    resets: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()


class RowStage(Stage):
    table: ClassVar[str] = "frames"
    key: ClassVar[str] = "frame_id"
    inputs: ClassVar[list[str]] = []
    media: ClassVar[str | None] = None
    frame_layers: ClassVar[str | None] = None  # layers handed over per frame (`layer_masks`)
    shot_frames_needed: ClassVar[bool] = False  # the runner sets `shot_frames` before run()
    outputs: ClassVar[list[pa.Field]] = []
    where: ClassVar[str | None] = None  # which rows of the table the stage applies to
    default_batch_size: ClassVar[int] = 64
    owns: ClassVar[dict[str, str]] = {}  # table -> filter of the rows made per key (media table first)
    resets: ClassVar[list[str]] = []
    requires: ClassVar[list[str]] = []  # columns an earlier stage must have declared first
    # Stages that fill more than one table (embed, caption: frames and character layers) name
    # each target table with the key, where and media it uses there; the runner runs one
    # copy of the stage per target (`on(table)`), sharing the loaded model.
    targets: ClassVar[dict[str, Target]] = {}

    shot_frames: Callable | None = None  # (episode_id, shot_index, limit) -> [(frame_id, rgb)]

    def on(self, table: str) -> "RowStage":
        """This stage working on one of its target tables (a shallow copy: models are shared)."""
        target = self.targets[table]
        part = copy.copy(self)
        part.table, part.key, part.where, part.media = table, target.key, target.where, target.media
        part.inputs, part.resets, part.requires = list(target.inputs), list(target.resets), list(target.requires)
        return part

    def parts(self) -> list["RowStage"]:
        return [self.on(t) for t in self.targets] if self.targets else [self]

    @property
    def error_column(self) -> str:
        """Why a row failed (null when it did not): the row is then done but empty."""
        return f"{self.name}_error"

    @property
    def marker(self) -> str:
        return self.outputs[0].name

    def declared_names(self) -> list[str]:
        """Names of the declared columns (without building a model to know their types)."""
        return [f.name for f in self.outputs] + [self.config_column]

    def declared_columns(self) -> list[pa.Field]:
        return list(self.outputs) + [pa.field(self.config_column, pa.string())]

    def error_field(self) -> pa.Field:
        return pa.field(self.error_column, pa.string())

    def model_column(self) -> tuple[str, str] | None:
        """(column naming the model that made a row's outputs, this stage's model), for
        stages whose outputs from two models must not mix (embeddings)."""
        return None

    def foreign_filter(self) -> str | None:
        """Rows whose outputs another model made, which this stage's outputs must not join."""
        found = self.model_column()
        if not found:
            return None
        column, mine = found
        return f"{column} IS NOT NULL AND {column} != '{mine.replace(chr(39), chr(39) * 2)}'"

    def run(self, rows: pa.Table) -> dict[str, pa.Array]:
        """Per-row outputs for `rows` (key, inputs, and what the stage declared it needs)."""
        raise NotImplementedError


class LinkedRowStage(RowStage):
    link_outputs: ClassVar[list[pa.Field]] = []
    link_inputs: ClassVar[list[str]] = []

    @property
    def link_marker(self) -> str:
        return self.link_outputs[0].name

    def declared_names(self) -> list[str]:
        return [f.name for f in self.outputs] + [f.name for f in self.link_outputs] + [self.config_column]

    def declared_columns(self) -> list[pa.Field]:
        return list(self.outputs) + list(self.link_outputs) + [pa.field(self.config_column, pa.string())]

    def link(self, pending: pa.Table, view) -> pa.Table:
        """Cross-row outputs for `pending` rows (key + link inputs): a table of key + link
        output columns. `view.read(columns, where)` reads this stage's own table (read-only)."""
        raise NotImplementedError
