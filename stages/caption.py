"""caption: words for every representative frame and character layer.

`blip` writes a natural-language `caption`; `wd14` writes booru `tags` (the caption format
anime LoRA trainers use). The two fill different columns, each with the model that made it
(`caption_model`, `tags_model`), so both can be kept: `backend: [blip, wd14]` runs both.
"""

from __future__ import annotations

import pyarrow as pa

from celvault.registry import register
from celvault.timing import phase

from .base import CHARACTER_LAYERS, REPRESENTATIVE_FRAMES
from .row_stage import Target
from .model_stage import ModelStage
from .pictures import pictures_in


@register("stage", "caption")
class CaptionStage(ModelStage):
    name = "caption"
    version = 1
    order = 50
    backend_kind = "captioner"
    default_backend = "blip"
    default_batch_size = 16
    targets = {
        "frames": Target("frame_id", REPRESENTATIVE_FRAMES, "frame_media", requires=("dup_group",)),
        "layers": Target("layer_id", CHARACTER_LAYERS, "layer_media"),
    }
    table, key, where, media = "frames", "frame_id", REPRESENTATIVE_FRAMES, "frame_media"

    @property
    def column(self) -> str:
        return registry_column(self.backend)

    @property
    def outputs(self) -> list[pa.Field]:
        return [pa.field(self.column, self.model.arrow_type), pa.field(f"{self.column}_model", pa.string())]

    @property
    def marker(self) -> str:
        return self.column

    @property
    def config_column(self) -> str:
        return f"{self.column}_config"

    def declared_names(self) -> list[str]:
        return [self.column, f"{self.column}_model", self.config_column]

    def params(self):
        return {self.backend: self.model.params()}

    def run(self, rows: pa.Table) -> dict:
        with phase("pre"):  # the backend's own work; its model call is marked `model`
            described = self.model.describe(pictures_in(rows, self.key))
        self._methods[self.model.model_id] += rows.num_rows
        return {self.column: described, f"{self.column}_model": [self.model.model_id] * rows.num_rows}


def registry_column(backend: str) -> str:
    from celvault import registry

    return registry.load("captioner", backend).column
