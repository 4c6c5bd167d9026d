"""What every stage is, whatever its kind: a name, a version, one typed settings class, the run
options it was built with, and a config id from them. Stages never open the catalogue.

There are three kinds, each with its own small contract:
- `RowStage` (stages/row_stage.py): a pure `run(rows) -> columns` over rows whose outputs are
  missing, with the inputs it declares fetched by the runner (segment, inpaint, embed, caption,
  tag). `LinkedRowStage` adds a cross-row pass over rows that have their per-row outputs
  (dedup's near-duplicate groups).
- `TableJob` (stages/table_job.py): works on whole tables at once (cluster).
Everything else (finding missing rows, batching, commits, provenance, compaction, indexes,
progress) is the runner's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from celvault.catalog.ids import config_id
from celvault.run_options import RunOptions
from celvault.settings import StageSettings, to_dict

# Frames later stages and exporters work on by default: dedup done, group representatives only.
REPRESENTATIVE_FRAMES = "dup_group IS NOT NULL AND dup_of IS NULL"
# Character layers: what embed and caption describe beside frames, and what cluster groups.
CHARACTER_LAYERS = "kind = 'character'"


@dataclass(frozen=True)
class IndexSpec:
    """An index the runner keeps current on a table after the stage wrote it."""

    table: str
    column: str
    kind: str  # BTREE | LABEL_LIST | VECTOR
    min_rows: int = 0  # VECTOR: made once the column holds this many vectors
    index_type: str = "IVF_PQ"  # VECTOR: IVF_PQ | IVF_HNSW_SQ


class Stage:
    name: ClassVar[str]
    version: ClassVar[int] = 1
    order: ClassVar[int]  # where it runs in the pipeline (dedup 10 ... cluster 70)
    Settings: ClassVar[type] = StageSettings
    default_backend: ClassVar[str] = "builtin"
    uses: ClassVar[list[str]] = []  # other stages whose settings this one reads (tag: embed's model)
    config_data: dict | None = None  # the configuration it was built from (build_stages sets it)

    def __init__(self, settings: StageSettings | dict | None = None, run: RunOptions | None = None,
                 uses: dict[str, StageSettings] | None = None):
        if not isinstance(settings, StageSettings):
            from .stage_settings import parse_stage

            settings = parse_stage(type(self), settings)
        self.settings = settings
        self.run_options = run or RunOptions()
        self.used = dict(uses or {})

    @property
    def device(self) -> str:
        return self.run_options.device

    # -- identity and provenance ---------------------------------------------------------
    @property
    def backend(self) -> str:
        return str(self.settings.backend or self.default_backend)

    def params(self) -> dict[str, Any]:
        """What changes this stage's outputs: part of every row's config id."""
        own = to_dict(self.settings, runtime=False)
        return {k: v for k, v in sorted(own.items()) if k not in ("enabled", "backend", "sections")}

    def weights_sha(self) -> str | None:
        return None

    @property
    def config_column(self) -> str:
        return f"{self.name}_config"

    def config_id(self) -> str:
        return config_id(stage=self.name, version=self.version, backend=self.backend,
                         params=self.params(), weights=self.weights_sha())

    # -- before and after the work -------------------------------------------------------
    def missing_weights(self) -> list[str]:
        """Weight files this stage's backend needs and cannot find locally (none by default)."""
        return []

    def prepare(self) -> None:
        """Called once before any row is written: fetch or check weights, fail early."""

    def check_settings(self) -> None:
        """Fail now on bad settings (constructing what is cheap to construct; no weights)."""

    def skip_reason(self) -> str | None:
        """Why this stage cannot run with these settings at all (reported, not an error)."""
        return None

    def summary(self) -> list[str]:
        """Lines for the run report (e.g. how many frames each method handled)."""
        return []

    def take_tallies(self) -> dict:
        """The counts behind `summary` made since the last call, cleared (a worker process
        hands them to the driver's copy of the stage with `add_tallies`)."""
        counts = getattr(self, "_methods", None)
        if not counts:
            return {}
        taken = dict(counts)
        counts.clear()
        return taken

    def add_tallies(self, counts: dict) -> None:
        if counts:
            self._methods.update(counts)

    def indexes(self) -> list[IndexSpec]:
        """Indexes the runner keeps current after this stage wrote (queries rely on them)."""
        return []
