"""A row stage whose work is done by a registered model backend (segmenter, inpainter, ...).

The backend is built lazily from the stage settings (`backend: NAME` and its section), on the
device the run asks for (`auto` is resolved when the model is first used, so building one
imports no model library); its weights are checked (or fetched) before anything is written,
and their sha256 goes into every row's config id.
"""

from __future__ import annotations

from collections import Counter
from typing import ClassVar

from celvault import registry

from .backends.weights import ModelSpec
from .backends.device import resolve
from .row_stage import RowStage


class ModelStage(RowStage):
    backend_kind: ClassVar[str]  # registry kind: "segmenter", "inpainter", ...

    def __init__(self, settings=None, run=None, uses=None):
        super().__init__(settings, run, uses)
        self._shared: dict = {}  # the loaded backend, shared by the stage's per-table parts
        self._methods: Counter = Counter()  # what handled each row, for the run report

    def on(self, table: str):
        part = super().on(table)
        part._methods = Counter()
        return part

    def build_backend(self):
        """A new backend object for this stage's settings (the `model` property keeps one)."""
        return registry.load(self.backend_kind, self.backend)(self.settings, self.run_options)

    @property
    def model(self):
        if "model" not in self._shared:
            self._shared["model"] = self.build_backend()
        model = self._shared["model"]
        model.shot_frames = self.shot_frames
        return model

    def check_settings(self) -> None:
        self.model  # the backend validates its options when it is built (weights load later)
        if self.device != "auto":
            resolve(self.device)  # --device cuda on a machine without CUDA fails before any stage runs

    def _specs(self) -> list[ModelSpec]:
        return list(self.model.models())

    def missing_weights(self) -> list[str]:
        return [str(s.expected()) for s in self._specs() if s.locate() is None]

    def weights_sha(self):
        return ",".join(s.sha256() or "missing" for s in self._specs()) or None

    def prepare(self) -> None:
        for spec in self._specs():
            spec.require(self.model.download)

    @property
    def row_noun(self) -> str:
        return "frames" if self.table == "frames" else "layers"

    def summary(self) -> list[str]:
        return [f"{n} {self.row_noun}: {m}" for m, n in sorted(self._methods.items())]
