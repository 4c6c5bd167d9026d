"""embed: an L2-normalised vector per representative frame and per character layer.

Vectors go to the fixed-size `embedding` column (float32, the model's size) with
`embed_model` naming what made them: vectors of two models never share a column, so
switching models means `run embed --redo`. After the stage, the cosine vector index is
created once a table is large enough and kept current as episodes arrive.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from celvault.catalog.indexes import INDEX_TYPES
from celvault.registry import register
from celvault.timing import phase
from celvault.settings import StageSettings, setting

from .base import CHARACTER_LAYERS, REPRESENTATIVE_FRAMES, IndexSpec
from .row_stage import Target
from .model_stage import ModelStage
from .pictures import pictures_in

EMBEDDING = "embedding"


def vector_type(dim: int) -> pa.DataType:
    return pa.list_(pa.float32(), dim)


@dataclass(frozen=True)
class EmbedSettings(StageSettings):
    index_min_rows: int = setting(50_000, "a table gets its cosine vector index once it holds this many vectors",
                                  min=1)
    index_type: str = setting("IVF_PQ", "vector index kind (IVF_HNSW_SQ: larger, often faster and more exact)",
                              choices=INDEX_TYPES)


@register("stage", "embed")
class EmbedStage(ModelStage):
    name = "embed"
    version = 1
    order = 40
    Settings = EmbedSettings
    backend_kind = "embedder"
    default_backend = "open_clip"
    default_batch_size = 64
    targets = {
        "frames": Target("frame_id", REPRESENTATIVE_FRAMES, "frame_media", resets=("scene_tags", "tag_config"),
                         requires=("dup_group",)),
        # a re-embedded layer keeps its cluster_id (ids and names carry over by shared
        # members when the cluster stage refits for a new model) but is placed again
        "layers": Target("layer_id", CHARACTER_LAYERS, "layer_media", resets=("cluster_config",)),
    }
    table, key, where, media = "frames", "frame_id", REPRESENTATIVE_FRAMES, "frame_media"

    @property
    def outputs(self) -> list[pa.Field]:
        return [pa.field(EMBEDDING, vector_type(self.model.dim)), pa.field("embed_model", pa.string())]

    @property
    def marker(self) -> str:
        return EMBEDDING  # known without building the model

    def declared_names(self) -> list[str]:
        return [EMBEDDING, "embed_model", self.config_column]

    def model_column(self) -> tuple[str, str]:
        return "embed_model", self.model.model_id

    def params(self):
        return {self.backend: self.model.params()}

    def run(self, rows: pa.Table) -> dict:
        with phase("pre"):  # the backend's own work; its model call is marked `model`
            vectors = self.model.embed_images(pictures_in(rows, self.key))
        self._methods[self.model.model_id] += rows.num_rows
        flat = pa.array(vectors.reshape(-1), pa.float32())
        return {EMBEDDING: pa.FixedSizeListArray.from_arrays(flat, self.model.dim),
                "embed_model": [self.model.model_id] * rows.num_rows}

    def indexes(self) -> list[IndexSpec]:
        return [IndexSpec(self.table, EMBEDDING, "VECTOR", self.settings.index_min_rows, self.settings.index_type)]
