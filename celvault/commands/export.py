import click

from .common import load_config, open_catalog
from .options import catalog_options, character_options, dataset_options, kohya_options, output_options
from .output import emit


def _emit(done: dict, as_json: bool, toml_paths: str | None) -> None:
    """toml_paths: "relative" or "absolute" for the kohya layout (dataset.toml), None for others."""
    img = "img/" if toml_paths else ""
    lines = [f"{done['out']}/{img}{s['folder']}: {s['images']} images x {s['repeats']} repeats" for s in done["subsets"]]
    if toml_paths == "relative":
        lines.append(f"{done['out']}/dataset.toml (sd-scripts --dataset_config; image_dir is relative: "
                     f"run sd-scripts from inside {done['out']}), manifest.json")
    elif toml_paths:
        lines.append(f"{done['out']}/dataset.toml (sd-scripts --dataset_config; absolute image_dir), manifest.json")
    else:
        lines.append(f"{done['out']}/manifest.json; train with --data_root {done['out']}")
    emit(done, as_json=as_json, lines=lines)


@click.group()
def export():
    """Training sets: a character LoRA, a background set or an effect set in the kohya_ss
    (sd-scripts) layout, or character folders for the EveryDream2 trainer.

    \b
    lora, backgrounds, effects:
      out/img/{repeats}_{trigger} {class}/  images + same-named .txt captions
      out/dataset.toml                      for sd-scripts --dataset_config
      out/manifest.json                     what was exported, from which catalogue versions
    everydream:
      out/{trigger}/                        images + .txt captions + multiply.txt (repeats)
    dataset.toml's image_dir paths are relative to OUT, so the folder can be moved to another
    machine: run sd-scripts from inside it (cd OUT; accelerate launch .../train_network.py
    --dataset_config dataset.toml ...), or export with --absolute-paths.
    Written into a hidden folder beside OUT and renamed into place when complete.
    """


@export.command("lora")
@click.argument("out", type=click.Path())
@character_options
@kohya_options
@click.option("--max-effect-overlap", type=click.FloatRange(0, 1), default=None, metavar="SHARE",
              help="Cut-outs with more than this share of their mask under an effect (sparkles, speed lines; "
                   "`celvault run effects`) are left out, or masked with --effect-overlap-mode mask.")
@click.option("--effect-overlap-mode", type=click.Choice(["drop", "mask"]), default="drop", show_default=True,
              help="drop: leave those cut-outs out; mask: keep them with the effect pixels transparent "
                   "(alpha 0; white with --background white).")
@catalog_options
@output_options()
def lora(out, characters, triggers, class_tokens, layer, background, scenes, episodes, repeats, captions, min_size,
         limit, overwrite, resolution, absolute_paths, max_effect_overlap, effect_overlap_mode, catalog_path,
         config_path, profile, as_json, quiet):
    """A character LoRA dataset in OUT (kohya_ss layout)."""
    from celvault.exporters.lora import LoraRequest, export_lora

    config = load_config(config_path, profile)
    req = LoraRequest(list(characters), list(triggers), class_tokens, list(scenes), list(episodes), layer, background,
                      repeats, captions, min_size, limit, max_effect_overlap=max_effect_overlap,
                      effect_overlap_mode=effect_overlap_mode, resolution=resolution, absolute_paths=absolute_paths)
    done = export_lora(open_catalog(catalog_path, config), config, out, req, overwrite)
    _emit(done, as_json, "absolute" if absolute_paths else "relative")


@export.command("backgrounds")
@click.argument("out", type=click.Path())
@click.option("--trigger", default="bgscene", show_default=True, help="Trigger token.")
@click.option("--class", "class_tokens", default="scenery", show_default=True, help="Class tokens.")
@click.option("--dedup", is_flag=True, help="One background per shot (the least inpainted).")
@kohya_options
@catalog_options
@output_options()
def backgrounds(out, trigger, class_tokens, dedup, scenes, episodes, repeats, captions, min_size, limit, overwrite,
                resolution, absolute_paths, catalog_path, config_path, profile, as_json, quiet):
    """Inpainted backgrounds (characters removed) as a background LoRA dataset in OUT (kohya_ss layout)."""
    from celvault.exporters.backgrounds import BackgroundRequest, export_backgrounds

    config = load_config(config_path, profile)
    req = BackgroundRequest(trigger, class_tokens, list(scenes), list(episodes), dedup, repeats, captions, min_size,
                            limit, resolution, absolute_paths=absolute_paths)
    done = export_backgrounds(open_catalog(catalog_path, config), config, out, req, overwrite)
    _emit(done, as_json, "absolute" if absolute_paths else "relative")


@export.command("effects")
@click.argument("out", type=click.Path())
@click.option("--trigger", default="fx", show_default=True, help="Trigger token (each effect is its own subset).")
@click.option("--effect", "effects", multiple=True, metavar="NAME",
              help="Only these effects (names from the effect vocabulary, e.g. sparkles; repeatable).")
@click.option("--min-score", type=click.FloatRange(0, 1), default=0.0, help="Only effect layers scored at least this.")
@kohya_options
@catalog_options
@output_options()
def effects(out, trigger, effects, min_score, scenes, episodes, repeats, captions, min_size, limit, overwrite,
            resolution, absolute_paths, catalog_path, config_path, profile, as_json, quiet):
    """Effect layers (sparkles, speed lines, ...) as RGBA cut-outs on transparent in OUT (kohya_ss
    layout, one subset per effect, alpha_mask = true), for effect LoRAs."""
    from celvault.exporters.effects import EffectRequest, export_effects

    config = load_config(config_path, profile)
    req = EffectRequest(trigger, list(effects), list(scenes), list(episodes), min_score, repeats, captions, min_size,
                        limit, resolution, absolute_paths=absolute_paths)
    done = export_effects(open_catalog(catalog_path, config), config, out, req, overwrite)
    _emit(done, as_json, "absolute" if absolute_paths else "relative")


@export.command("everydream")
@click.argument("out", type=click.Path())
@character_options
@dataset_options
@catalog_options
@output_options()
def everydream(out, characters, triggers, class_tokens, layer, background, scenes, episodes, repeats, captions,
               min_size, limit, overwrite, catalog_path, config_path, profile, as_json, quiet):
    """Character folders for the EveryDream2 trainer in OUT: per character, images with
    same-named .txt captions and a multiply.txt holding the repeats (train with --data_root OUT)."""
    from celvault.exporters.characters import CharacterRequest
    from celvault.exporters.everydream import export_everydream

    config = load_config(config_path, profile)
    req = CharacterRequest(list(characters), list(triggers), class_tokens, list(scenes), list(episodes), layer,
                           background, repeats, captions, min_size, limit)
    _emit(export_everydream(open_catalog(catalog_path, config), config, out, req, overwrite), as_json, None)
