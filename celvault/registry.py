"""Name -> class registries for stages and model backends.

A backend is one small class registered by name with `@register(kind, name)`; modules
holding backends are imported lazily by `load(kind, name)` through the module map, so
heavy libraries are only imported when a backend is actually used.
"""

from __future__ import annotations

import importlib

from .errors import UnknownBackend

_REGISTRY: dict[str, dict[str, type]] = {}

# kind -> name -> module that registers it (imported on first use)
_MODULES: dict[str, dict[str, str]] = {
    "stage": {
        "dedup": "celvault.stages.dedup",
        "segment": "celvault.stages.segment",
        "inpaint": "celvault.stages.inpaint",
        "embed": "celvault.stages.embed",
        "caption": "celvault.stages.caption",
        "tag": "celvault.stages.tag",
        "cluster": "celvault.stages.cluster",
    },
    "segmenter": {
        **{n: "celvault.stages.backends.rembg_onnx" for n in ("isnet-anime", "u2net", "u2netp", "isnet-general-use")},
        "sam2": "celvault.stages.backends.sam2_instances",
        "plate": "celvault.stages.backends.plate_segmenter",
    },
    "inpainter": {n: "celvault.stages.backends.inpainters" for n in ("lama", "telea", "plate")},
    "embedder": {"palette": "celvault.stages.backends.embedders",
                 "open_clip": "celvault.stages.backends.open_clip_embedder"},
    "captioner": {"blip": "celvault.stages.backends.blip_captioner",
                  "wd14": "celvault.stages.backends.wd14_tagger"},
}


def register(kind: str, name: str):
    def deco(cls):
        _REGISTRY.setdefault(kind, {})[name] = cls
        cls.registered_name = name
        return cls

    return deco


def names(kind: str) -> list[str]:
    return sorted(set(_MODULES.get(kind, {})) | set(_REGISTRY.get(kind, {})))


def load(kind: str, name: str) -> type:
    if name not in _REGISTRY.get(kind, {}):
        module = _MODULES.get(kind, {}).get(name)
        if module is None:
            raise UnknownBackend(kind, name, names(kind))
        importlib.import_module(module)
    try:
        return _REGISTRY[kind][name]
    except KeyError:
        raise UnknownBackend(kind, name, names(kind)) from None
