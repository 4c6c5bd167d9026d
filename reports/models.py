"""The models a configuration uses, beside the built-in list: what `models list|pull` offer.

A user who sets another BLIP repository or open_clip checkpoint gets that model's name in
the missing-weights message; `celvault models pull NAME --config FILE` must find it too.
"""

from __future__ import annotations

from celvault.config import Config

from celvault.stages.backends.weights import ModelSpec, known_models
from celvault.stages.model_stage import ModelStage
from celvault.stages.runner import available_stages, build_stages


def configured_models(config: Config) -> list[ModelSpec]:
    out: dict[str, ModelSpec] = {}
    for name in available_stages():
        for part in build_stages(name, config):
            if isinstance(part, ModelStage):
                for spec in part._specs():
                    out.setdefault(spec.name, spec)
    return list(out.values())


def all_models(config: Config) -> list[ModelSpec]:
    """Built-in models, then those the configuration adds."""
    specs = {s.name: s for s in known_models()}
    for spec in configured_models(config):
        specs.setdefault(spec.name, spec)
    return list(specs.values())


def find_model(name: str, config: Config) -> ModelSpec:
    for spec in all_models(config):
        if spec.name == name:
            return spec
    from celvault.errors import UnknownBackend

    raise UnknownBackend("model", name, [m.name for m in all_models(config)])
