"""A stage whose work is done by a registered model backend (segmenter, inpainter, ...).

The backend is built lazily from the stage settings (`backend: NAME`), on the resolved device;
its weights are checked (or fetched) before anything is written, and their sha256 goes into
every row's config id.
"""

from __future__ import annotations

from collections import Counter
from typing import ClassVar

from celvault import registry

from .backends import weights
from .backends.device import resolve
from .base import Stage


class ModelStage(Stage):
    backend_kind: ClassVar[str]  # registry kind: "segmenter", "inpainter", ...
    default_backend: ClassVar[str]

    def __init__(self, settings=None, device: str = "auto"):
        super().__init__(settings, device)
        if self.backend not in registry.names(self.backend_kind):  # a typo fails now, not mid-run
            from celvault.errors import UnknownBackend

            raise UnknownBackend(f"{self.name} ({self.backend_kind})", self.backend, registry.names(self.backend_kind))
        self._model = None
        self._methods: Counter = Counter()  # what handled each frame, for the run report

    @property
    def backend(self) -> str:
        return str(self.settings.get("backend", self.default_backend))

    @property
    def model(self):
        if self._model is None:
            cls = registry.load(self.backend_kind, self.backend)
            self._model = cls(self.settings, resolve(self.device), self.catalog)
        self._model.catalog = self.catalog
        return self._model

    def missing_weights(self) -> list[str]:
        specs = [weights.model(m) for m in self.model.models()]
        return [str(s.expected()) for s in specs if s.locate() is None]

    def weights_sha(self):
        return ",".join(weights.model(m).sha256() or "missing" for m in self.model.models()) or None

    def prepare(self) -> None:
        for m in self.model.models():
            weights.model(m).require(self.model.download)

    def summary(self) -> list[str]:
        return [f"{n} frames: {m}" for m, n in sorted(self._methods.items())]
