"""tag: zero-shot scene tags for representative frames from their CLIP vectors.

The vocabulary (configs/tags/scenes.yaml by default) is embedded with the embed stage's
model; tags of a group compete in a softmax with a "none of these" prompt and those at or
over `threshold` are kept (multi-label across groups). Frames get `scene_tags` (a list,
with a LabelList index for queries).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from celvault import registry
from celvault.catalog.indexes import ensure_scalar_index
from celvault.errors import ConfigError
from celvault.registry import register

from .base import REPRESENTATIVE_FRAMES
from .model_stage import ModelStage
from .scene_vocabulary import SceneScorer, load_vocabulary


@register("stage", "tag")
class TagStage(ModelStage):
    name = "tag"
    version = 1
    backend_kind = "embedder"
    default_backend = "open_clip"
    table, key = "frames", "frame_id"
    inputs = ["embedding", "embed_model"]
    where = f"{REPRESENTATIVE_FRAMES} AND embedding IS NOT NULL"
    outputs = [pa.field("scene_tags", pa.list_(pa.string()))]
    requires = ["embedding"]
    uses = ["embed"]
    default_batch_size = 1024

    def __init__(self, settings=None, device: str = "auto"):
        settings = dict(settings or {})
        self.embed_settings = dict(settings.get("_embed") or {"backend": "open_clip"})
        settings["backend"] = self.embed_settings.get("backend", "open_clip")  # the text side of embed's model
        super().__init__(settings, device)
        try:
            self.threshold = float(self.settings.get("threshold", 0.3))
        except (TypeError, ValueError):
            raise ConfigError("stages.tag.threshold: a probability between 0 and 1") from None
        if not 0 <= self.threshold <= 1:
            raise ConfigError("stages.tag.threshold: a probability between 0 and 1")
        self.vocab = load_vocabulary(str(self.settings.get("vocabulary", "scenes")), self.settings.get("extra"))
        self._scorer = None

    @property
    def model(self):
        if "model" not in self._shared:
            cls = registry.load("embedder", self.backend)
            self._shared["model"] = cls({**self.embed_settings, "_download": self.settings.get("_download", True)},
                                        self.device, self.catalog)
        return self._shared["model"]

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

    def after(self, catalog) -> list[str]:
        ensure_scalar_index(catalog, "frames", "scene_tags", "LABEL_LIST")
        return []
