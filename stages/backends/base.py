"""What every model backend is: typed options from its section of the stage settings, run
options (device, downloads), a device resolved on first use, the weights it needs, and the
params that go into the config id.

    Backend(settings, run)

`settings` is the stage's settings (a celvault.settings.StageSettings); the backend reads its
own section, `settings.section(self.section)`, an instance of its declared settings class,
and builds a fallback backend, if it has one, from the same `settings`. `run` is a RunOptions.
Kind, name, section and settings class come from the backend's `@register` declaration.
"""

from __future__ import annotations

from typing import Any, Callable, ClassVar

from celvault.run_options import RunOptions
from celvault.settings import StageSettings, parse, to_dict

# (episode_id, shot_index, limit) -> [(frame_id, HxWx3 uint8 RGB), ...]: at most `limit` frames of the shot
ShotFrames = Callable[[str, int, int], list]


class Backend:
    """A model backend: options from its section of the stage settings, weights loaded lazily."""

    kind: ClassVar[str] = ""  # these four are set by @register
    registered_name: ClassVar[str] = ""
    section: ClassVar[str | None] = None
    settings_class: ClassVar[type | None] = None
    # The frames of a whole shot, for backends that look at a shot (plate): set by the stage.
    shot_frames: ShotFrames | None = None

    def __init__(self, settings: StageSettings | None = None, run: RunOptions | None = None):
        self.stage_settings = settings if settings is not None else StageSettings()
        self.options = self._own_options(self.stage_settings)
        self.run = run if run is not None else RunOptions()
        self._device = self.run.device  # "auto" is resolved on first use: building a backend imports nothing
        self.download = self.run.download

    def _own_options(self, settings: StageSettings):
        """This backend's typed options: its section of `settings`, or its class's defaults."""
        cls = self.settings_class
        if cls is None:
            return None
        found = settings.sections.get(self.section) if isinstance(settings.sections, dict) else None
        if found is None or isinstance(found, dict):  # not parsed yet (a hand-made StageSettings)
            return parse(cls, found, f"{self.kind}.{self.section}")
        return found

    @property
    def device(self) -> str:
        """Where the model runs: cpu or cuda (an "auto" request is resolved here, once)."""
        if self._device not in ("cpu", "cuda"):
            from .device import resolve

            self._device = resolve(self._device)
        return self._device

    def params(self) -> dict[str, Any]:
        """What changes this backend's output (runtime settings such as batch sizes left out):
        part of every row's config id."""
        return to_dict(self.options, runtime=False) if self.options is not None else {}

    def models(self) -> list:
        """The weight files (weights.ModelSpec) this backend needs with its options."""
        from celvault import registry

        return registry.declaration(self.kind, self.registered_name).weights_for(self.options)
