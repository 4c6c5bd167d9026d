"""The effect vocabulary (configs/effects/*.yaml): effect name -> prompt, threshold, min_area."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path


from celvault.errors import ConfigError

from .vocabulary_file import read_vocabulary


@dataclass(frozen=True)
class Effect:
    name: str  # what the layer is called (and captioned): "sparkles"
    prompt: str  # the text CLIPSeg scores pixels against
    threshold: float  # a pixel is the effect at or over this probability
    min_area: float  # regions under this fraction of the frame are dropped


@dataclass(frozen=True)
class EffectVocabulary:
    effects: tuple[Effect, ...]

    def digest(self) -> str:
        body = json.dumps([asdict(e) for e in self.effects], sort_keys=True)
        return hashlib.sha256(body.encode()).hexdigest()[:16]

    @property
    def names(self) -> list[str]:
        return [e.name for e in self.effects]


def _number(where: str, value, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
        raise ConfigError(f"{where}: must be a number {lo}-{hi}, got {value!r}")
    return float(value)


def load_effects(name_or_path: str) -> EffectVocabulary:
    """The vocabulary `name_or_path`: a shipped name (configs/effects/<name>.yaml) or a YAML file."""
    path = Path(name_or_path).expanduser()
    stamp = (path.stat().st_mtime_ns, path.stat().st_size) if path.suffix and path.is_file() else None
    return _load(name_or_path, stamp)


@lru_cache(maxsize=8)
def _load(name_or_path: str, _stamp) -> EffectVocabulary:  # _stamp: a changed file is read again
    path, data = read_vocabulary(name_or_path, "effects", "effect")
    if not isinstance(data, dict) or not isinstance(data.get("effects"), dict) or not data["effects"]:
        raise ConfigError(f"{path}: a mapping with `effects:` (effect name -> prompt or {{prompt, threshold, min_area}})")
    threshold = _number(f"{path}: threshold", data.get("threshold", 0.4), 0.0, 1.0)
    min_area = _number(f"{path}: min_area", data.get("min_area", 0.0005), 0.0, 1.0)
    out = []
    for name, body in data["effects"].items():
        body = {"prompt": body} if isinstance(body, str) else body
        if not isinstance(body, dict) or not isinstance(body.get("prompt", ""), str):
            raise ConfigError(f"{path}: effect {name!r}: a prompt string or {{prompt, threshold, min_area}}")
        unknown = sorted(set(body) - {"prompt", "threshold", "min_area"})
        if unknown:
            raise ConfigError(f"{path}: effect {name!r}: unknown key {unknown[0]!r} (prompt, threshold, min_area)")
        out.append(Effect(str(name), str(body.get("prompt") or name),
                          _number(f"{path}: {name}.threshold", body.get("threshold", threshold), 0.0, 1.0),
                          _number(f"{path}: {name}.min_area", body.get("min_area", min_area), 0.0, 1.0)))
    return EffectVocabulary(tuple(out))
