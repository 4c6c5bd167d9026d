"""Every setting a configuration gives, from the settings classes: what `celvault config show`
prints. The classes are the source of truth; this is how a user sees all of them (backend
sections included, whether or not default.yaml lists them), with each one's help text."""

from __future__ import annotations

import dataclasses

import yaml

from celvault import registry
from celvault.config import Config, ModelsSettings
from celvault.settings import info, to_dict


def effective_settings(config: Config) -> dict:
    """The configuration as the stages see it: every section parsed by its class."""
    from celvault.catalog.settings import CatalogSettings
    from celvault.ingest.ingest import IngestSettings
    from celvault.stages.stage_settings import check_config, stage_settings

    check_config(config)
    out = {"catalog": to_dict(config.typed("catalog", CatalogSettings)),
           "ingest": to_dict(config.typed("ingest", IngestSettings)),
           "models": to_dict(config.typed("models", ModelsSettings)), "stages": {}}
    for name in registry.stage_order():
        settings = stage_settings(name, config)
        own = to_dict(settings)
        sections = own.pop("sections")
        out["stages"][name] = {**own, **{k: sections[k] for k in sorted(sections)}}
    return out


def _help_by_path(config: Config) -> dict[str, str]:
    """dotted path -> help text, for every setting the classes declare."""
    from celvault.catalog.settings import CatalogSettings
    from celvault.ingest.ingest import IngestSettings
    from celvault.stages.stage_settings import stage_settings

    helps: dict[str, str] = {}

    def walk(obj, path: str) -> None:
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            if f.name == "sections":
                for key, section in value.items():
                    walk(section, f"{path}.{key}")
            elif dataclasses.is_dataclass(value):
                walk(value, f"{path}.{f.name}")
            else:
                helps[f"{path}.{f.name}"] = info(f)["help"]

    walk(config.typed("catalog", CatalogSettings), "catalog")
    walk(config.typed("ingest", IngestSettings), "ingest")
    walk(config.typed("models", ModelsSettings), "models")
    for name in registry.stage_order():
        walk(stage_settings(name, config), f"stages.{name}")
    return helps


def settings_yaml(config: Config, with_help: bool = True) -> str:
    """The effective settings as YAML a user can copy into --config FILE, each line's help
    as a comment."""
    data = effective_settings(config)
    text = yaml.safe_dump(data, sort_keys=False, default_flow_style=False, width=1000)
    if not with_help:
        return text
    helps, path, lines = _help_by_path(config), [], []
    for line in text.splitlines():
        depth = (len(line) - len(line.lstrip(" "))) // 2
        key = line.strip().split(":", 1)[0]
        path[depth:] = [key]
        note = helps.get(".".join(path))
        lines.append(f"{line:<48} # {note}" if note else line)
    return "\n".join(lines) + "\n"
