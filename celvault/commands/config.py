"""`celvault config show`: every setting, its value under this profile and config, and its help."""

from __future__ import annotations

import click

from .common import load_config
from .options import catalog_options, output_options
from .output import emit


@click.group()
def config():
    """Settings: every stage's and backend's, as the settings classes define them."""


@config.command("show")
@click.option("--no-help", "no_help", is_flag=True, help="Values only, without the help comments.")
@catalog_options
@output_options()
def show(no_help, catalog_path, config_path, profile, as_json, quiet):
    """Print the effective settings as YAML (a starting point for --config FILE), each with
    its help; a bad setting in FILE is one error naming its path."""
    from celvault.reports.settings import effective_settings, settings_yaml

    cfg = load_config(config_path, profile)
    if as_json:
        emit(effective_settings(cfg), as_json=True)
    else:
        click.echo(settings_yaml(cfg, with_help=not no_help), nl=False)
