"""celvault command line. Heavy libraries are imported inside commands, so --help is fast."""

from __future__ import annotations

import importlib

import click

from celvault import __version__
from celvault.errors import CelvaultError

COMMANDS = {
    "init": "celvault.commands.init:init",
    "ingest": "celvault.commands.ingest:ingest",
    "status": "celvault.commands.status:status",
    "run": "celvault.commands.run:run",
    "models": "celvault.commands.models:models",
    "characters": "celvault.commands.characters:characters",
    "duplicates": "celvault.commands.duplicates:duplicates",
    "query": "celvault.commands.query:query",
    "export": "celvault.commands.export:export",
    "demo": "celvault.commands.demo:demo",
    "check": "celvault.commands.check:check",
    "config": "celvault.commands.config:config",
    "serve": "celvault.commands.serve:serve",
}

SUMMARIES = {
    "init": "Create an empty catalogue.",
    "ingest": "Add episodes (video files or frame folders) to the catalogue.",
    "status": "Per episode: frames kept and each stage's done / missing rows.",
    "run": "Run pipeline stages over whatever is still missing.",
    "models": "Model weights: list what is here, pull ahead of time for offline use.",
    "characters": "Character identities: list, name, merge, move, split, junk, undo.",
    "duplicates": "Near-duplicate groups: unlink a frame, choose the representative.",
    "query": "Find frames or layers by character, scene, episode, words and meaning.",
    "export": "Write a character or background training set (kohya_ss, EveryDream2).",
    "demo": "Make a synthetic episode and run the whole pipeline on it.",
    "check": "Find (and with --repair fix) duplicate ids, orphan media, stale counts.",
    "config": "Show every setting (stages, backends, ingest) with its value and help.",
    "serve": "A local web app to review identities, frames, duplicates, search and export.",
}


class LazyGroup(click.Group):
    """Loads a command's module only when that command runs, and turns library errors into
    one-line `Error: ...` messages with exit status 1."""

    def list_commands(self, ctx):
        return list(COMMANDS)

    def get_command(self, ctx, name):
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        return getattr(importlib.import_module(module), attr)

    def format_commands(self, ctx, formatter):
        rows = [(name, SUMMARIES.get(name, "")) for name in COMMANDS]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except CelvaultError as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="celvault")
def main():
    """celvault: anime episodes to layered, captioned, searchable training datasets.

    \b
    A typical season:
      celvault init
      celvault ingest ep01.mkv ep02.mkv --series "Inazuma Eleven"
      celvault run                  # every stage, only what is missing
      celvault status
      celvault characters list      # identities found; name them:
      celvault characters name 3 "Endou Mamoru"
    Next week `celvault ingest ep03.mkv && celvault run` touches only episode 3.

    Everything lives in one LanceDB catalogue (./celvault.db, --catalog or CELVAULT_CATALOG).
    """
