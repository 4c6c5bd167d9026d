"""What an embedder is.

An embedder turns images (RGB frames, RGBA character cut-outs) into L2-normalised float32
vectors of a fixed size; embedders with a text side (open_clip) also embed text into the
same space for semantic queries and zero-shot scene tags.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from celvault.errors import CelvaultError

from .base import Backend


class NoTextSide(CelvaultError):
    pass


def normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class Embedder(Backend):
    has_text: ClassVar[bool] = False

    @property
    def dim(self) -> int:
        raise NotImplementedError

    @property
    def model_id(self) -> str:
        """What made the vectors (recorded per row: vectors of different models never mix)."""
        raise NotImplementedError

    def embed_images(self, images: list[np.ndarray]) -> np.ndarray:
        raise NotImplementedError

    def embed_text(self, texts: list[str]) -> np.ndarray:
        raise NoTextSide(f"the {self.registered_name} embedder has no text side: text queries and scene "
                         "tags need an open_clip embedder (stages.embed.backend: open_clip)")
