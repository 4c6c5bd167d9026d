"""tag: zero-shot scene tags for representative frames from their CLIP vectors.

The vocabulary (configs/tags/scenes.yaml by default) is embedded with the embed stage's
model; tags of a group compete in a softmax with a "none of these" prompt and those at or
over `threshold` are kept (multi-label across groups). Frames get `scene_tags` (a list,
with a LabelList index for queries).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
import pyarrow as pa

from celvault import registry
from celvault.errors import ConfigError
from celvault.registry import register
from celvault.settings import StageSettings, setting

from .base import REPRESENTATIVE_FRAMES, IndexSpec
from .model_stage import ModelStage
from .scene_vocabulary import SceneScorer, load_vocabulary


@dataclass(frozen=True)
class TagSettings(StageSettings):
    vocabulary: str = setting("scenes", "configs/tags/<name>.yaml, or a path to your own YAML")
    threshold: float = setting(0.3, "a scene tag is kept when its probability in its group reaches this",
                               min=0, max=1)
    extra: Optional[dict] = setting(None, "extra groups: {group: [tags] or {tag: prompt}}")


@register("stage", "tag")
class TagStage(ModelStage):
    name = "tag"
    version = 1
    order = 60
    Settings = TagSettings
    backend_kind = "embedder"
    default_backend = "open_clip"
    table, key = "frames", "frame_id"
    inputs = ["embedding", "embed_model"]
    where = f"{REPRESENTATIVE_FRAMES} AND embedding IS NOT NULL"
    outputs = [pa.field("scene_tags", pa.list_(pa.string()))]
    requires = ["embedding"]
    uses = ["embed"]
    default_batch_size = 1024

    def __init__(self, settings=None, run=None, uses=None):
        super().__init__(settings, run, uses)
        if "embed" not in self.used:  # the text side of embed's model, with embed's settings
            from .stage_settings import parse_stage

            self.used["embed"] = parse_stage(registry.load("stage", "embed"), None)
        self.threshold = self.settings.threshold
        self.vocab = load_vocabulary(self.settings.vocabulary, self.settings.extra)
        self._scorer = None

    @property
    def backend(self) -> str:
        return str(self.used["embed"].backend or "open_clip")

    def build_backend(self):
        return registry.load("embedder", self.backend)(self.used["embed"], self.run_options)

    def params(self):
        return {"threshold": self.threshold, "vocabulary": self.vocab.digest(), "embedder": self.model.model_id}

    def skip_reason(self) -> str | None:
        if not self.model.has_text:
            return f"skipped: {self.backend} embeddings have no text side (scene tags need stages.embed.backend: open_clip)"
        return None

    def run(self, rows: pa.Table) -> dict:
        other = set(rows.column("embed_model").to_pylist()) - {self.model.model_id}
        if other:
            raise ConfigError(f"frames were embedded with {sorted(other)[0]}, the embed stage is now set to "
                              f"{self.model.model_id}: run `celvault run embed --redo` first")
        if self._scorer is None:
            self._scorer = SceneScorer(self.vocab, self.model.embed_text, self.threshold)
        vectors = np.asarray(rows.column("embedding").combine_chunks().flatten(), np.float32).reshape(rows.num_rows, -1)
        tags = self._scorer.tags(vectors)
        self._methods["tagged"] += rows.num_rows
        self._methods["untagged"] += sum(1 for t in tags if not t)
        return {"scene_tags": tags}

    def summary(self) -> list[str]:
        if not self._methods:
            return []
        return [f"{self._methods['tagged']} frames over {len(self.vocab.tags)} scene tags "
                f"({self._methods['untagged']} with none at threshold {self.threshold})"]

    def indexes(self) -> list[IndexSpec]:
        return [IndexSpec("frames", "scene_tags", "LABEL_LIST")]
