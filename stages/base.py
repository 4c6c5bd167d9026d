"""The stage contract.

A stage declares the table it fills, the columns it reads, its output columns, and a pure
`run(rows) -> columns` over an Arrow table. Stages that need a view across rows (dedup's
near-duplicate groups, clustering) also declare `link_outputs` and implement `link`, which
the runner calls with the rows whose per-row outputs exist but whose link outputs do not.
Stages that make rows of other tables (segment and inpaint make layers) declare `owns`: for
each such table, the filter of the rows the stage makes per key. Their `run` returns those
new rows under the table's name beside the output columns; on every (re)computation of a
row the runner first deletes what the stage made for that key before, so reruns and
crash leftovers never duplicate anything. `resets` names columns of later stages that
become stale when this stage recomputes a row (they are set back to null).
Everything else (finding missing rows, batching, commits, provenance, compaction, progress)
is the runner's.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, ClassVar

import pyarrow as pa

from celvault.catalog.ids import config_id

# Frames later stages and exporters work on by default: dedup done, group representatives only.
REPRESENTATIVE_FRAMES = "dup_group IS NOT NULL AND dup_of IS NULL"


@dataclass(frozen=True)
class Target:
    key: str
    where: str | None = None
    media: str | None = None
    inputs: tuple[str, ...] = ()
    resets: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()


@dataclass
class WholeTableResult:
    rows: int = 0  # rows written
    commits: int = 0
    tables: tuple[str, ...] = ()  # tables written (compacted afterwards)
    notes: list[str] | None = None

    def __post_init__(self):
        self.notes = list(self.notes or [])


# Character layers: what embed and caption describe beside frames, and what cluster groups.
CHARACTER_LAYERS = "kind = 'character'"


class Stage:
    name: ClassVar[str]
    version: ClassVar[int] = 1
    table: ClassVar[str] = "frames"
    key: ClassVar[str] = "frame_id"
    inputs: ClassVar[list[str]] = []
    media: ClassVar[str | None] = None  # media table joined by key: its `data` column arrives as `image`
    outputs: ClassVar[list[pa.Field]] = []
    link_outputs: ClassVar[list[pa.Field]] = []
    link_inputs: ClassVar[list[str]] = []
    where: ClassVar[str | None] = None  # which rows of the table the stage applies to
    default_batch_size: ClassVar[int] = 64
    owns: ClassVar[dict[str, str]] = {}  # table -> filter of the rows made per key (media table first)
    resets: ClassVar[list[str]] = []  # columns of later stages nulled when a row is recomputed
    requires: ClassVar[list[str]] = []  # columns an earlier stage must have declared first
    # Stages that fill more than one table (embed, caption: frames and character layers) name
    # each target table with the key, where and media it uses there; the runner runs one
    # copy of the stage per target (`on(table)`), sharing the loaded model.
    targets: ClassVar[dict[str, "Target"]] = {}
    uses: ClassVar[list[str]] = []  # other stages whose settings this one reads (as `_<name>`)
    whole_table: ClassVar[bool] = False  # works on the table as a whole: implements `apply`

    def __init__(self, settings: dict[str, Any] | None = None, device: str = "auto"):
        self.settings = dict(settings or {})
        self.device = device
        self.catalog = None  # set by the runner before run(); for stages that read other rows

    def bind(self, catalog) -> None:
        self.catalog = catalog

    def on(self, table: str) -> "Stage":
        """This stage working on one of its target tables (a shallow copy: models are shared)."""
        target = self.targets[table]
        part = copy.copy(self)
        part.table, part.key, part.where, part.media = table, target.key, target.where, target.media
        part.inputs, part.resets, part.requires = list(target.inputs), list(target.resets), list(target.requires)
        return part

    def parts(self) -> list["Stage"]:
        return [self.on(t) for t in self.targets] if self.targets else [self]

    # -- identity and provenance ---------------------------------------------------------
    @property
    def backend(self) -> str:
        return str(self.settings.get("backend", "builtin"))

    def params(self) -> dict[str, Any]:
        return {k: v for k, v in sorted(self.settings.items()) if k != "backend" and not k.startswith("_")}

    def weights_sha(self) -> str | None:
        return None

    @property
    def config_column(self) -> str:
        return f"{self.name}_config"

    def config_id(self) -> str:
        return config_id(stage=self.name, version=self.version, backend=self.backend,
                         params=self.params(), weights=self.weights_sha())

    @property
    def error_column(self) -> str:
        """Why a row failed (null when it did not): the row is then done but empty."""
        return f"{self.name}_error"

    @property
    def marker(self) -> str:
        return self.outputs[0].name

    @property
    def link_marker(self) -> str | None:
        return self.link_outputs[0].name if self.link_outputs else None

    def declared_names(self) -> list[str]:
        """Names of the declared columns (without building a model to know their types)."""
        return [f.name for f in self.outputs] + [f.name for f in self.link_outputs] + [self.config_column]

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

    def declared_columns(self) -> list[pa.Field]:
        return list(self.outputs) + list(self.link_outputs) + [pa.field(self.config_column, pa.string())]

    # -- work ----------------------------------------------------------------------------
    def run(self, rows: pa.Table) -> dict[str, pa.Array]:
        """Per-row outputs for `rows` (key, inputs and, with `media`, an `image` column)."""
        raise NotImplementedError

    def apply(self, catalog, *, scope: str | None, force: bool, redo: bool, progress,
              begin=None) -> "WholeTableResult":
        """The whole work of a `whole_table` stage (it selects, computes and commits itself);
        it calls `begin(rows)` before its first commit (the runner records the run there)."""
        raise NotImplementedError

    def link(self, catalog, pending: pa.Table) -> pa.Table:
        """Cross-row outputs for `pending` rows: a table of key + link output columns."""
        raise NotImplementedError

    def missing_weights(self) -> list[str]:
        """Weight files this stage's backend needs and cannot find locally (none by default)."""
        return []

    def prepare(self) -> None:
        """Called once before any row is written: fetch or check weights, fail early."""

    def summary(self) -> list[str]:
        """Lines for the run report (e.g. how many frames each method handled)."""
        return []

    def check_settings(self) -> None:
        """Fail now on bad settings (constructing what is cheap to construct; no weights)."""

    def skip_reason(self) -> str | None:
        """Why this stage cannot run with these settings at all (reported, not an error)."""
        return None

    def after(self, catalog) -> list[str]:
        """Called after the stage's rows are written and compacted (indexes); report lines."""
        return []
