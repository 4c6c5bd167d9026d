"""The weight files `celvault models list|pull` offer: those every registered backend declares
(with its default options, and the sizes it offers), then those a configuration adds.

A user who sets another BLIP repository or open_clip checkpoint gets that model's name in
the missing-weights message; `celvault models pull NAME --config FILE` must find it too.
"""

from __future__ import annotations

from celvault import registry
from celvault.config import Config
from celvault.errors import UnknownBackend
from celvault.stages.backends.weights import ModelSpec


def _configured_backends(config: Config):
    """(kind, backend name, stage settings mapping) for every backend an enabled stage names."""
    for stage in registry.stage_order():
        kind = getattr(registry.load("stage", stage), "backend_kind", None)
        data = config.stage(stage)
        if kind is None or data.get("enabled", True) is False or "backend" not in data:
            continue
        names = data["backend"] if isinstance(data["backend"], list) else [data["backend"]]
        for name in names:
            yield kind, str(name), data


def configured_models(config: Config) -> list[ModelSpec]:
    out: dict[str, ModelSpec] = {}
    for kind, name, data in _configured_backends(config):
        sections = {s: data.get(s) for s in registry.sections(kind) if data.get(s) is not None}
        for spec in registry.build(kind, name, sections).models():
            out.setdefault(spec.name, spec)
    return list(out.values())


def all_models(config: Config) -> list[ModelSpec]:
    """Known models, then those the configuration adds."""
    specs = {s.name: s for s in registry.known_weights()}
    for spec in configured_models(config):
        specs.setdefault(spec.name, spec)
    return list(specs.values())


def find_model(name: str, config: Config) -> ModelSpec:
    specs = all_models(config)
    for spec in specs:
        if spec.name == name:
            return spec
    raise UnknownBackend("model", name, [m.name for m in specs])
