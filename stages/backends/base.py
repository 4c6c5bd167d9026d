"""What every model backend is: options from its section of the stage settings, a device
resolved on first use, weights named for `celvault models`, params for the config id."""

from __future__ import annotations

from typing import Any, ClassVar

from celvault.errors import ConfigError


class Backend:
    """A model backend: settings from its section of the stage config, weights loaded lazily."""

    section: ClassVar[str] = ""
    defaults: ClassVar[dict[str, Any]] = {}

    def __init__(self, settings: dict[str, Any], device: str = "cpu", catalog=None):
        self.stage_settings = settings
        self.options = {**self.defaults, **(settings.get(self.section) or {})}
        self._device = device  # "auto" is resolved on first use, so building a backend imports nothing
        self.catalog = catalog
        self.download = bool(settings.get("_download", True))

    @property
    def device(self) -> str:
        """Where the model runs: cpu or cuda (an "auto" request is resolved here, once)."""
        if self._device not in ("cpu", "cuda"):
            from .device import resolve

            self._device = resolve(self._device)
        return self._device

    def number(self, key: str, kind=int, minimum: float | None = None):
        """A numeric option, checked: a bad value is a one-line ConfigError, not a traceback."""
        try:
            value = kind(self.options[key])
        except (TypeError, ValueError, KeyError):
            raise ConfigError(f"{self.section}.{key}: expected a {'whole number' if kind is int else 'number'}, "
                              f"got {self.options.get(key)!r}") from None
        if minimum is not None and value < minimum:
            raise ConfigError(f"{self.section}.{key}: must be at least {minimum}, got {value}")
        return value

    def params(self) -> dict[str, Any]:
        """What changes this backend's output: part of every row's config id."""
        return {k: v for k, v in sorted(self.options.items()) if k not in self.runtime_options}

    runtime_options: ClassVar[frozenset] = frozenset({"batch"})  # speed only, not output

    def models(self) -> list[str]:
        """Names (as in `celvault models list`) of the weights this backend needs."""
        return []
