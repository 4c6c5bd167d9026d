"""Reading a vocabulary YAML (scene tags, effects): a shipped name (configs/<folder>/<name>.yaml)
or a path to a file, parsed, with one-line errors that say which."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import yaml

from celvault.errors import ConfigError


def read_vocabulary(name_or_path: str, folder: str, what: str) -> tuple[Path, object]:
    """(the path to name in errors, the parsed YAML) of the `what` vocabulary `name_or_path`."""
    path = Path(name_or_path).expanduser()
    if not path.suffix:  # a shipped vocabulary
        ref = resources.files("celvault.configs").joinpath(folder, f"{name_or_path}.yaml")
        if not ref.is_file():
            raise ConfigError(f"no {what} vocabulary {name_or_path!r} in configs/{folder}/ "
                              "(or give a path to a YAML file)")
        path, text = Path(f"configs/{folder}/{name_or_path}.yaml"), ref.read_text()
    elif path.is_file():
        text = path.read_text()
    else:
        raise ConfigError(f"{what} vocabulary file {path} does not exist")
    try:
        return path, yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc.__class__.__name__})") from None
