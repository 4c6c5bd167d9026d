"""Configuration: built-in default.yaml, then a profile, then --config FILE, then CLI options."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError
from .settings import parse, setting


def _read_yaml(text: str, where: str) -> dict:
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where}: not valid YAML ({exc.__class__.__name__})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping at the top level")
    return data


def builtin(name: str) -> dict:
    """A YAML file shipped in configs/ (e.g. 'default', 'offline')."""
    ref = resources.files("celvault.configs").joinpath(f"{name}.yaml")
    if not ref.is_file():
        known = sorted(p.name[:-5] for p in resources.files("celvault.configs").iterdir() if p.name.endswith(".yaml"))
        raise ConfigError(f"unknown profile {name!r}; known: {', '.join(known)}")
    return _read_yaml(ref.read_text(), f"configs/{name}.yaml")


def merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


@dataclass(frozen=True)
class ModelsSettings:
    download: bool = setting(True, "fetch missing weights through each library on first use; false: fail with "
                                   "the `celvault models pull` command instead")


class Config:
    """Nested settings with dotted access helpers; `typed` parses a section into its class."""

    def __init__(self, data: dict):
        self.data = data

    @classmethod
    def load(cls, profile: str | None = None, path: str | Path | None = None, overrides: dict | None = None) -> "Config":
        data = builtin("default")
        if profile and profile != "default":
            data = merge(data, builtin(profile))
        if path:
            p = Path(path)
            if not p.is_file():
                raise ConfigError(f"config file {p} does not exist")
            data = merge(data, _read_yaml(p.read_text(), str(p)))
        if overrides:
            data = merge(data, overrides)
        return cls(data)

    def section(self, dotted: str) -> dict[str, Any]:
        node: Any = self.data
        for part in dotted.split("."):
            node = node.get(part, {}) if isinstance(node, dict) else {}
        return dict(node) if isinstance(node, dict) else {}

    def stage(self, name: str) -> dict[str, Any]:
        return self.section(f"stages.{name}")

    def typed(self, dotted: str, cls):
        """The section as an instance of its settings class (errors name the setting's path)."""
        node: Any = self.data
        for part in dotted.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        return parse(cls, node, dotted)
