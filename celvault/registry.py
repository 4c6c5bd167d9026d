"""One registry of stages and model backends, built from their own declarations.

A module declares what it provides with `@register(kind, name, ...)`; nothing else lists it.
For a backend the declaration holds its settings class, the section of the stage settings
it reads (`stages.segment.plate`) and the weight files it needs, from which `celvault models
list|pull`, the stage order, `--backend` validation and each stage's settings are derived:

    @register("segmenter", "plate", settings=PlateSegmenterSettings)
    class PlateSegmenter(Segmenter): ...

Discovery is lazy: the first question (`names`, `load`, ...) imports every module of
celvault.stages and celvault.stages.backends (cheap: model libraries are imported inside the
methods that use them) and every module named by a Python entry point in the group
`celvault.plugins`, which is how a third-party package adds backends or stages.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Any, Callable

from .errors import CelvaultError, ConfigError, UnknownBackend

PLUGIN_GROUP = "celvault.plugins"
_BUILTIN_PACKAGES = ("celvault.stages.backends", "celvault.stages")


class PluginError(CelvaultError):
    """A plugin (or built-in module) that cannot be imported, or a name declared twice."""


@dataclass(frozen=True)
class Declaration:
    """One registered stage or backend: everything the rest of celvault needs to know of it."""

    kind: str  # "stage", "segmenter", "inpainter", "embedder", "captioner", or a plugin's own
    name: str
    cls: type
    module: str
    settings: type | None = None  # frozen dataclass of the backend's options (celvault.settings)
    section: str | None = None  # key of those options in the stage settings (several names may share one)
    weights: Callable[[Any], list] | tuple = ()  # ModelSpecs it needs: fixed, or a function of its options
    offers: tuple = ()  # other ModelSpecs `models list|pull` show (sizes a setting can choose)
    sequence: int = field(default=0, compare=False)  # when it was declared, for stable listings

    def default_options(self):
        return self.settings() if self.settings is not None else None

    def weights_for(self, options) -> list:
        """The weight files (ModelSpecs) this backend needs with `options`."""
        return list(self.weights(options)) if callable(self.weights) else list(self.weights)


_DECLARED: dict[str, dict[str, Declaration]] = {}
_discovered = False
_discovering = False


def register(kind: str, name: str, *, settings: type | None = None, section: str | None = None,
             weights: Callable[[Any], list] | tuple = (), offers: tuple = ()):
    """Class decorator declaring a stage (`kind="stage"`) or a backend of `kind` named `name`."""

    def deco(cls):
        if kind == "stage" and not isinstance(getattr(cls, "order", None), int):
            raise PluginError(f"stage {name!r} ({cls.__module__}) declares no `order` (an int: where it runs, "
                              "e.g. between tag 60 and cluster 70)")
        sec = (section or name) if settings is not None else None
        decl = Declaration(kind, name, cls, cls.__module__, settings, sec, weights, tuple(offers),
                           sequence=sum(len(v) for v in _DECLARED.values()))
        known = _DECLARED.setdefault(kind, {})
        before = known.get(name)
        if before is not None and before.module != decl.module:
            raise PluginError(f"{kind} {name!r} is declared twice: in {before.module} and in {decl.module}")
        for other in known.values():
            if sec is not None and other.section == sec and other.settings is not settings and other.name != name:
                raise PluginError(f"{kind} section {sec!r} has two settings classes: {other.settings.__name__} "
                                  f"({other.name}) and {settings.__name__} ({name})")
        known[name] = decl
        cls.registered_name = name
        if kind != "stage":
            cls.kind, cls.section, cls.settings_class = kind, sec, settings
        return cls

    return deco


def _import_builtin() -> None:
    for package_name in _BUILTIN_PACKAGES:
        package = importlib.import_module(package_name)
        for info in pkgutil.iter_modules(package.__path__):
            if not info.ispkg:
                importlib.import_module(f"{package_name}.{info.name}")


def _import_plugins() -> None:
    from importlib.metadata import entry_points

    for ep in sorted(entry_points(group=PLUGIN_GROUP), key=lambda e: (e.name, e.value)):
        try:
            ep.load()
        except CelvaultError:
            raise
        except Exception as exc:  # any failure of someone else's module: say whose it is
            where = f" (from {ep.dist.name})" if getattr(ep, "dist", None) else ""
            raise PluginError(f"celvault plugin {ep.name!r} = {ep.value}{where} failed to load: "
                              f"{exc.__class__.__name__}: {exc}") from None


def discover() -> None:
    """Import the built-in stage and backend modules and the plugins (once per process)."""
    global _discovered, _discovering
    if _discovered or _discovering:
        return
    _discovering = True
    try:
        _import_builtin()
        _import_plugins()
        _discovered = True
    finally:
        _discovering = False


def rediscover() -> None:
    """Look again for plugins (after sys.path changed); declarations already made are kept."""
    global _discovered
    _discovered = False
    discover()


def kinds() -> list[str]:
    discover()
    return sorted(_DECLARED)


def names(kind: str) -> list[str]:
    discover()
    return sorted(_DECLARED.get(kind, {}))


def declaration(kind: str, name: str) -> Declaration:
    discover()
    try:
        return _DECLARED[kind][name]
    except KeyError:
        raise UnknownBackend(kind, name, names(kind)) from None


def load(kind: str, name: str) -> type:
    """The class registered as `name` of `kind`; an unknown name lists the known ones."""
    return declaration(kind, name).cls


def validate(kind: str, name: str, what: str | None = None) -> str:
    """`name` when `kind` has it, else UnknownBackend naming `what` (e.g. "segment (segmenter)")."""
    if name not in names(kind):
        raise UnknownBackend(what or kind, name, names(kind))
    return name


def declarations(kind: str | None = None) -> list[Declaration]:
    """Every declaration (of `kind`), in the order they were made."""
    discover()
    found = [d for k, by_name in _DECLARED.items() if kind in (None, k) for d in by_name.values()]
    return sorted(found, key=lambda d: d.sequence)


def sections(kind: str) -> dict[str, type]:
    """{section name: settings class} of every backend of `kind` (rembg models share one)."""
    return {d.section: d.settings for d in declarations(kind) if d.settings is not None}


def stage_order() -> list[str]:
    """Registered stage names in running order (each stage class's `order`)."""
    stages = {d.name: d.cls for d in declarations("stage")}
    return sorted(stages, key=lambda name: (stages[name].order, name))


def stage_of(kind: str) -> str | None:
    """The first stage (in running order) whose backends are of `kind`."""
    for name in stage_order():
        if getattr(load("stage", name), "backend_kind", None) == kind:
            return name
    return None


def known_weights() -> list:
    """The weight files `celvault models list|pull` know without a configuration: what every
    backend needs with its default options, plus what it offers; by stage order, one per name."""
    order = {name: i for i, name in enumerate(stage_order())}
    specs: dict[str, Any] = {}
    for decl in declarations():
        if decl.kind == "stage":
            continue
        for spec in [*decl.offers, *decl.weights_for(decl.default_options())]:
            specs.setdefault(spec.name, spec)
    return sorted(specs.values(), key=lambda s: order.get(s.stage, len(order)))


def build(kind: str, name: str, options: dict[str, Any] | None = None, run=None):
    """A backend built outside a stage (tests, queries, benchmarks). `options` maps section
    names to mappings as written under `stages.<stage>` in YAML; other sections get defaults."""
    from .run_options import RunOptions
    from .settings import StageSettings, parse

    cls = load(kind, name)
    stage = stage_of(kind)
    path = f"stages.{stage}" if stage else kind
    given = dict(options or {})
    known = sections(kind)
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise ConfigError(f"{path}.{unknown[0]}: no {kind} backend reads this section (known: {', '.join(known)})")
    parsed = {sec: parse(scls, given.get(sec), f"{path}.{sec}") for sec, scls in known.items()}
    return cls(StageSettings(backend=name, sections=parsed), run or RunOptions())
