"""Typed settings: one dataclass per stage, backend and config section holds every default,
range and help text. YAML (default.yaml, a profile, --config, CLI overrides) is parsed into
these classes; a bad value is a ConfigError naming its path in one format everywhere:

    stages.segment.plate.tolerance: must be 0-255, got 300

`default.yaml` is checked against the classes by tests/test_settings.py, so the two never
disagree.

    @dataclass(frozen=True)
    class TeleaSettings:
        radius: int = setting(3, "px around each hole pixel TELEA looks at", min=1, max=64)
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, Union

from .errors import ConfigError

_META = "celvault"


def setting(default: Any, help: str = "", *, min: float | None = None, max: float | None = None,
            choices: tuple | None = None, runtime: bool = False):
    """A dataclass field with its default, help text and range. `runtime` settings change only
    speed (batch sizes), never outputs: they stay out of the config id."""
    meta = {_META: {"help": help, "min": min, "max": max, "choices": choices, "runtime": runtime}}
    if isinstance(default, (list, dict)):
        return dataclasses.field(default_factory=lambda: type(default)(default), metadata=meta)
    if dataclasses.is_dataclass(default) and isinstance(default, type):
        return dataclasses.field(default_factory=default, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def info(f: dataclasses.Field) -> dict:
    return f.metadata.get(_META, {"help": "", "min": None, "max": None, "choices": None, "runtime": False})


def _hints(cls) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _options(tp) -> tuple[Any, bool]:
    """(the type without None, whether None is allowed)."""
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return (args[0] if len(args) == 1 else Union[tuple(args)]), True
    return tp, False


def _coerce(value: Any, tp, path: str) -> Any:
    tp, nullable = _options(tp)
    if value is None:
        if nullable:
            return None
        raise ConfigError(f"{path}: needs a value")
    if dataclasses.is_dataclass(tp):
        return parse(tp, value, path)
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):  # e.g. str | list[str]
        for arg in typing.get_args(tp):
            try:
                return _coerce(value, arg, path)
            except ConfigError:
                continue
        raise ConfigError(f"{path}: expected {_name(tp)}, got {value!r}")
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{path}: expected a list, got {value!r}")
        (item,) = typing.get_args(tp)[:1] or (Any,)
        return [_coerce(v, item, f"{path}[{i}]") for i, v in enumerate(value)]
    if origin is dict or tp is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{path}: expected a mapping, got {value!r}")
        return dict(value)
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{path}: expected true or false, got {value!r}")
    if tp in (int, float):
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ConfigError(f"{path}: expected {'a whole number' if tp is int else 'a number'}, got {value!r}")
        try:
            number = float(value)
        except ValueError:
            raise ConfigError(f"{path}: expected {'a whole number' if tp is int else 'a number'}, got {value!r}") from None
        if tp is int:
            if number != int(number):
                raise ConfigError(f"{path}: expected a whole number, got {value!r}")
            return int(number)
        return number
    if tp is str:
        if isinstance(value, (dict, list)):
            raise ConfigError(f"{path}: expected text, got {value!r}")
        return str(value)
    return value


def _name(tp) -> str:
    return getattr(tp, "__name__", str(tp))


def _check_range(value, meta: dict, path: str) -> None:
    lo, hi, choices = meta["min"], meta["max"], meta["choices"]
    if choices is not None and value not in choices:
        raise ConfigError(f"{path}: must be one of {', '.join(map(str, choices))}, got {value!r}")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            if lo is not None and hi is not None:
                raise ConfigError(f"{path}: must be {_num(lo)}-{_num(hi)}, got {_num(value)}")
            if lo is not None:
                raise ConfigError(f"{path}: must be at least {_num(lo)}, got {_num(value)}")
            raise ConfigError(f"{path}: must be at most {_num(hi)}, got {_num(value)}")


def _num(x) -> str:
    return str(int(x)) if isinstance(x, float) and x.is_integer() else str(x)


def parse(cls, data: dict | None, path: str, *, extra: typing.Callable[[str, Any], Any] | None = None):
    """`data` (a YAML mapping) as an instance of the settings class `cls`. Keys the class does
    not know are an error, unless `extra(key, value)` takes them (backend sections)."""
    if data is None:
        data = {}
    if dataclasses.is_dataclass(data) and not isinstance(data, type):
        return data
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping, got {data!r}")
    hints = _hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in fields:
            if extra is not None and extra(str(key), value):
                continue
            raise ConfigError(f"{path}.{key}: unknown setting (known: {', '.join(sorted(fields))})")
        f = fields[key]
        value = _coerce(value, hints[key], f"{path}.{key}")
        _check_range(value, info(f), f"{path}.{key}")
        values[key] = value
    try:
        out = cls(**values)
    except ConfigError:
        raise
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    check = getattr(out, "check", None)
    if check is not None:
        problem = check()
        if problem:
            raise ConfigError(f"{path}.{problem}" if not problem.startswith(" ") else f"{path}:{problem}")
    return out


def defaults(cls) -> dict[str, Any]:
    """The class's defaults as the YAML mapping they come from."""
    return to_dict(cls())


def to_dict(obj, *, runtime: bool = True) -> dict[str, Any]:
    """Settings as plain values; `runtime=False` leaves speed-only settings out (config ids)."""
    out = {}
    for f in dataclasses.fields(obj):
        if not runtime and info(f)["runtime"]:
            continue
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value):
            value = to_dict(value, runtime=runtime)
        elif isinstance(value, dict):
            value = {k: to_dict(v, runtime=runtime) if dataclasses.is_dataclass(v) else v for k, v in value.items()}
        elif isinstance(value, tuple):
            value = list(value)
        out[f.name] = value
    return out


def help_lines(cls, prefix: str) -> list[str]:
    """`prefix.name (default): help` for every setting, nested classes flattened."""
    lines = []
    hints = _hints(cls)
    for f in dataclasses.fields(cls):
        inner, _ = _options(hints[f.name])
        if dataclasses.is_dataclass(inner):
            lines += help_lines(inner, f"{prefix}.{f.name}")
            continue
        meta = info(f)
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        lines.append(f"{prefix}.{f.name} ({default!r}): {meta['help']}".rstrip(": "))
    return lines


@dataclasses.dataclass(frozen=True)
class StageSettings:
    """What every stage's settings class starts with. A stage's class adds its own fields;
    `sections` holds its backends' settings (`stages.segment.plate: {...}`), each parsed by the
    backend's own class, keyed by the backend's section name."""

    enabled: bool = setting(True, "false turns the stage off in this profile")
    backend: Any = setting(None, "which registered backend does the work (a list where the stage takes several)")
    sections: dict = dataclasses.field(default_factory=dict, metadata={_META: {
        "help": "backend settings by section", "min": None, "max": None, "choices": None, "runtime": False}})

    def section(self, name: str):
        """The typed settings of one backend section (its class's defaults when not set)."""
        return self.sections[name]
