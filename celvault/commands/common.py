"""Options every command shares, and the few helpers commands use to reach the library."""

from __future__ import annotations

import functools
import json
import os
import sys

import click

DEFAULT_CATALOG = "celvault.db"


def common_options(fn):
    """--catalog, --config, --profile, --json, --quiet on a command."""

    @click.option("--catalog", "catalog_path", envvar="CELVAULT_CATALOG", default=DEFAULT_CATALOG,
                  show_default=True, metavar="PATH", help="Catalogue directory (or set CELVAULT_CATALOG).")
    @click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None, metavar="FILE",
                  help="YAML settings merged over the profile; CLI options win over it.")
    @click.option("--profile", default="default", show_default=True,
                  help="Built-in profile from configs/: default or offline (needs no model weights).")
    @click.option("--json", "as_json", is_flag=True, help="Print a machine-readable JSON result on stdout.")
    @click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)

    return wrapper


def load_config(config_path, profile, overrides=None):
    from celvault.config import Config

    return Config.load(profile=profile, path=config_path, overrides=overrides)


def open_catalog(path, config=None):
    from celvault.catalog import Catalog

    rows = int(config.section("catalog").get("rows_per_fragment", 1024)) if config else 1024
    return Catalog.open(path, rows_per_fragment=rows)


def progress(quiet: bool, as_json: bool):
    from celvault.progress import Progress

    return Progress(quiet=quiet or as_json or bool(os.environ.get("CELVAULT_NO_PROGRESS")))


def emit_json(payload) -> None:
    click.echo(json.dumps(payload, indent=2, sort_keys=True, default=str))


def echo_err(message: str) -> None:
    click.echo(message, err=True)


def is_tty() -> bool:
    return sys.stdout.isatty()
