"""The CLI's option families, each declared once and stacked on the commands that take it.

- `catalog_options`: --catalog, --config, --profile (`catalog_option` alone for `init`).
- `output_options()`: --json and --quiet on every command; `output_options(TABLE_FORMATS)` adds
  `--format table|json|csv` where a command prints a table. `--json` is the short form of
  `--format json`: the command receives both `as_json` and `fmt`, always in agreement.
- `episode_option`: --episode ID|NAME, repeatable.
- `executor_options`: --executor local|ray and --address (run, ingest); `ray_connection` checks
  them and connects before anything is written.
- `dataset_options`: what every exporter filters and writes by (scene, episode, repeats,
  captions, min size, limit, overwrite); `kohya_options` adds --resolution and
  --absolute-paths; `character_options` the character subsets of `export lora`/`everydream`.
"""

from __future__ import annotations

import functools

import click

DEFAULT_CATALOG = "celvault.db"
TABLE_FORMATS = ("table", "json", "csv")
CAPTION_CHOICES = ("auto", "blip", "wd14", "both", "none")


def _stack(fn, options):
    for option in reversed(options):
        fn = option(fn)
    return fn


def catalog_option(fn):
    return click.option("--catalog", "catalog_path", envvar="CELVAULT_CATALOG", default=DEFAULT_CATALOG,
                        show_default=True, metavar="PATH", help="Catalogue directory (or set CELVAULT_CATALOG).")(fn)


def catalog_options(fn):
    """--catalog, --config, --profile."""
    return _stack(fn, [
        catalog_option,
        click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None, metavar="FILE",
                     help="YAML settings merged over the profile; CLI options win over it."),
        click.option("--profile", default="default", show_default=True,
                     help="Built-in profile from configs/: default or offline (needs no model weights)."),
    ])


def output_options(formats: tuple[str, ...] | None = None):
    """--json and --quiet; with `formats`, also --format (default: the first of them), of which
    --json is the short form. The command gets `as_json` and `quiet`, plus `fmt` with formats."""

    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            if formats:
                if kwargs["as_json"]:
                    kwargs["fmt"] = "json"
                kwargs["as_json"] = kwargs["fmt"] == "json"
            return fn(*args, **kwargs)

        json_help = "Print a machine-readable JSON result on stdout" + (" (short for --format json)." if formats else ".")
        options = [click.option("--json", "as_json", is_flag=True, help=json_help),
                   click.option("--quiet", "-q", is_flag=True, help="No progress bars.")]
        if formats:
            options.insert(0, click.option("--format", "fmt", type=click.Choice(formats), default=formats[0],
                                           show_default=True, help="How to print the result."))
        return _stack(wrapper, options)

    return decorate


def executor_options(fn):
    """--executor local|ray, --address."""
    return _stack(fn, [
        click.option("--executor", type=click.Choice(["local", "ray"]), default="local", show_default=True,
                     help="local: this machine; ray: tasks and actors of a Ray cluster (pip install -e \".[ray]\")."),
        click.option("--address", default=None, metavar="ADDR",
                     help="With --executor ray: the cluster (auto, ray://HOST:10001); default: a Ray started here."),
    ])


def ray_connection(executor: str, address: str | None) -> None:
    """Fail now, before anything is written, when --executor ray cannot work (no Ray, no cluster)."""
    if address and executor != "ray":
        raise click.BadParameter("--address names a Ray cluster: use it with --executor ray", param_hint="--address")
    if executor == "ray":
        from celvault.stages.ray_executor import connect

        connect(address)


def episode_option(fn):
    return click.option("--episode", "episodes", multiple=True, metavar="ID|NAME",
                        help="Only these episodes: an id, an id prefix or a name (repeatable).")(fn)


def _repeats(ctx, param, value: str) -> str:
    if value != "auto" and not (value.isdigit() and 1 <= int(value) <= 1000):
        raise click.BadParameter("auto or a whole number from 1 to 1000", param_hint="--repeats")
    return value


def dataset_options(fn):
    """The filters and sizes every exporter takes."""
    return _stack(fn, [
        click.option("--scene", "scenes", multiple=True, metavar="TAG", help="Only frames with these scene tags."),
        episode_option,
        click.option("--repeats", default="auto", show_default=True, callback=_repeats,
                     help="Repeats per image, or auto (about 1500 images per epoch, split between subsets)."),
        click.option("--captions", type=click.Choice(CAPTION_CHOICES), default="auto", show_default=True,
                     help="After the trigger: the BLIP caption, the WD14 tags, both, or none (class tokens); "
                          "auto: what exists."),
        click.option("--min-size", type=click.IntRange(min=0), default=0,
                     help="Skip images whose shorter side is smaller."),
        click.option("--limit", type=click.IntRange(min=1), default=None, help="At most this many images per subset."),
        click.option("--overwrite", is_flag=True,
                     help="Replace OUT if it is an earlier celvault export (never anything else)."),
    ])


def kohya_options(fn):
    """dataset_options plus what goes into kohya's dataset.toml."""
    return _stack(fn, [
        dataset_options,
        click.option("--resolution", type=click.IntRange(64, 4096), default=512, show_default=True,
                     help="Training resolution written to dataset.toml (buckets from half to twice it)."),
        click.option("--absolute-paths", is_flag=True,
                     help="Write absolute image_dir paths in dataset.toml (default: relative to OUT, so the "
                          "folder can be moved; then run sd-scripts from inside OUT)."),
    ])


def character_options(fn):
    """Which characters become subsets, and how their images are cut."""
    return _stack(fn, [
        click.option("--character", "characters", multiple=True, required=True, metavar="NAME",
                     help="Character name or cluster id (repeat for several subsets)."),
        click.option("--trigger", "triggers", multiple=True, metavar="TOKEN",
                     help="Trigger token (one per --character; default: from the name)."),
        click.option("--class", "class_tokens", default="1person", show_default=True,
                     help="Class tokens, e.g. 1boy, 1girl."),
        click.option("--layer", type=click.Choice(["character", "frame"]), default="character", show_default=True,
                     help="The character's cut-out, or the whole frame."),
        click.option("--background", type=click.Choice(["white", "keep-alpha", "none"]), default="white",
                     show_default=True,
                     help="Cut-outs on white, RGBA with alpha, or the frame's own pixels in the box."),
    ])
