import click

from .common import common_options, emit_json, load_config, open_catalog


def _repeats(value: str) -> str:
    if value != "auto" and not (value.isdigit() and 1 <= int(value) <= 1000):
        raise click.BadParameter("auto or a whole number from 1 to 1000", param_hint="--repeats")
    return value


def _echo(done: dict, as_json: bool) -> None:
    if as_json:
        emit_json(done)
        return
    for s in done["subsets"]:
        click.echo(f"{done['out']}/img/{s['folder']}: {s['images']} images x {s['repeats']} repeats")
    click.echo(f"{done['out']}/dataset.toml (sd-scripts --dataset_config), manifest.json")


@click.group()
def export():
    """Training sets in the kohya_ss (sd-scripts) layout: a character LoRA or a background set.

    \b
    out/img/{repeats}_{trigger} {class}/  images + same-named .txt captions
    out/dataset.toml                      for sd-scripts --dataset_config
    out/manifest.json                     what was exported, from which catalogue versions
    Written into a hidden folder beside OUT and renamed into place when complete.
    """


@export.command("lora")
@click.argument("out", type=click.Path())
@click.option("--character", "characters", multiple=True, required=True, metavar="NAME",
              help="Character name or cluster id (repeat for several subsets).")
@click.option("--trigger", "triggers", multiple=True, metavar="TOKEN", help="Trigger token (one per --character).")
@click.option("--class", "class_tokens", default="1person", show_default=True, help="Class tokens, e.g. 1boy, 1girl.")
@click.option("--scene", "scenes", multiple=True, metavar="TAG", help="Only frames with these scene tags.")
@click.option("--episode", "episodes", multiple=True, metavar="ID|NAME", help="Only these episodes.")
@click.option("--layer", type=click.Choice(["character", "frame"]), default="character", show_default=True,
              help="The character's cut-out, or the whole frame.")
@click.option("--background", type=click.Choice(["white", "keep-alpha", "none"]), default="white", show_default=True,
              help="Cut-outs on white, RGBA with alpha_mask = true, or the frame's own pixels in the box.")
@click.option("--repeats", default="auto", show_default=True, callback=lambda c, p, v: _repeats(v),
              help="Repeats per image, or auto (about 1500 images per epoch, split between subsets).")
@click.option("--captions", type=click.Choice(["auto", "blip", "wd14", "both", "none"]), default="auto", show_default=True,
              help="After the trigger: the BLIP caption, the WD14 tags, both, or none (class tokens); auto: what exists.")
@click.option("--min-size", type=click.IntRange(min=0), default=0, help="Skip images whose shorter side is smaller.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most this many images per subset.")
@click.option("--resolution", type=click.IntRange(64, 4096), default=512, show_default=True)
@click.option("--overwrite", is_flag=True, help="Replace OUT if it is an earlier celvault export (never anything else).")
@common_options
def lora(out, characters, triggers, class_tokens, scenes, episodes, layer, background, repeats, captions, min_size,
         limit, resolution, overwrite, catalog_path, config_path, profile, as_json, quiet):
    """A character LoRA dataset in OUT."""
    from celvault.exporters.lora import LoraRequest, export_lora

    config = load_config(config_path, profile)
    req = LoraRequest(list(characters), list(triggers), class_tokens, list(scenes), list(episodes), layer, background,
                      repeats, captions, min_size, limit, resolution)
    _echo(export_lora(open_catalog(catalog_path, config), config, out, req, overwrite), as_json)


@export.command("backgrounds")
@click.argument("out", type=click.Path())
@click.option("--trigger", default="bgscene", show_default=True, help="Trigger token.")
@click.option("--class", "class_tokens", default="scenery", show_default=True, help="Class tokens.")
@click.option("--scene", "scenes", multiple=True, metavar="TAG", help="Only frames with these scene tags.")
@click.option("--episode", "episodes", multiple=True, metavar="ID|NAME", help="Only these episodes.")
@click.option("--dedup", is_flag=True, help="One background per shot (the least inpainted).")
@click.option("--repeats", default="auto", show_default=True, callback=lambda c, p, v: _repeats(v))
@click.option("--captions", type=click.Choice(["auto", "blip", "wd14", "both", "none"]), default="auto", show_default=True,
              help="After the trigger: the BLIP caption, the WD14 tags, both, or none (class tokens); auto: what exists.")
@click.option("--min-size", type=click.IntRange(min=0), default=0, help="Skip images whose shorter side is smaller.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most this many images.")
@click.option("--resolution", type=click.IntRange(64, 4096), default=512, show_default=True)
@click.option("--overwrite", is_flag=True, help="Replace OUT if it is an earlier celvault export (never anything else).")
@common_options
def backgrounds(out, trigger, class_tokens, scenes, episodes, dedup, repeats, captions, min_size, limit, resolution,
                overwrite, catalog_path, config_path, profile, as_json, quiet):
    """Inpainted backgrounds (characters removed) as a background LoRA dataset in OUT."""
    from celvault.exporters.backgrounds import BackgroundRequest, export_backgrounds

    config = load_config(config_path, profile)
    req = BackgroundRequest(trigger, class_tokens, list(scenes), list(episodes), dedup, repeats, captions, min_size,
                            limit, resolution)
    _echo(export_backgrounds(open_catalog(catalog_path, config), config, out, req, overwrite), as_json)
