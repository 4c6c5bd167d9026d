"""A stage's settings from the configuration: its own typed class, plus one section per
backend of its kind, each parsed by that backend's class (`stages.segment.plate: {...}`).
Every error names the setting's path; an unknown backend name lists the known ones."""

from __future__ import annotations

import dataclasses

from celvault import registry
from celvault.errors import ConfigError, UnknownBackend
from celvault.settings import StageSettings, parse


def parse_stage(cls, data: dict | None) -> StageSettings:
    """`data` (the `stages.<name>` mapping) as `cls.Settings`, backend sections included."""
    path = f"stages.{cls.name}"
    kind = getattr(cls, "backend_kind", None)
    known = registry.sections(kind) if kind else {}
    sections: dict = {}

    def section(key: str, value) -> bool:
        if key not in known:
            return False
        sections[key] = parse(known[key], value, f"{path}.{key}")
        return True

    settings = parse(cls.Settings, data, path, extra=section)
    for key, section_cls in known.items():
        sections.setdefault(key, section_cls())
    backend = cls.default_backend if settings.backend is None else settings.backend
    _check_backends(cls, backend, kind)
    return dataclasses.replace(settings, backend=backend, sections=sections)


def _check_backends(cls, backend, kind: str | None) -> None:
    """A typo in a backend name fails now, listing the names this stage knows."""
    names = backend if isinstance(backend, list) else [backend]
    valid = registry.names(kind) if kind else [cls.default_backend]
    for name in names:
        if name is not None and str(name) not in valid:
            unknown = UnknownBackend(f"{cls.name} ({kind or 'stage'})", str(name), valid)
            raise ConfigError(f"stages.{cls.name}.backend: {unknown}")


def stage_settings(name: str, config) -> StageSettings:
    """The typed settings of stage `name` under `config` (a celvault.config.Config)."""
    return parse_stage(registry.load("stage", name), config.stage(name))


def check_config(config) -> None:
    """Every section of the configuration parsed once: a typo anywhere (an unknown section,
    stage or setting, a value out of range) is one error naming its path, before any work."""
    from celvault.catalog.settings import CatalogSettings
    from celvault.config import ModelsSettings
    from celvault.errors import ConfigError
    from celvault.ingest.ingest import IngestSettings

    sections = {"catalog": CatalogSettings, "ingest": IngestSettings, "models": ModelsSettings}
    for key in config.data:
        if key not in (*sections, "stages"):
            raise ConfigError(f"{key}: unknown section (known: {', '.join(sorted([*sections, 'stages']))})")
    for key, cls in sections.items():
        config.typed(key, cls)
    stages = config.data.get("stages") or {}
    if not isinstance(stages, dict):
        raise ConfigError("stages: expected a mapping")
    known = registry.stage_order()
    for name in stages:
        if name not in known:
            raise ConfigError(f"stages.{name}: unknown stage (known: {', '.join(known)})")
        stage_settings(name, config)
