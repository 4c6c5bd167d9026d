import click

from .common import load_config, open_catalog, progress, writes_catalog
from .options import catalog_options, episode_option, executor_options, output_options, ray_connection
from .output import emit


@click.command()
@click.argument("stages", nargs=-1)
@episode_option
@click.option("--force", is_flag=True, help="Recompute rows that are already done.")
@click.option("--redo", is_flag=True, help="Recompute rows made by another stage version, backend or settings.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True,
              help="Where models run; auto uses CUDA when present.")
@click.option("--batch-size", type=click.IntRange(min=1), default=None, help="Rows per model batch.")
@click.option("--backend", "backends", multiple=True, metavar="STAGE=NAME",
              help="Backend for a stage this run, e.g. segment=sam2, inpaint=telea, caption=blip,wd14 (repeatable).")
@click.option("--preset", default=None, metavar="NAME",
              help="Mask refinement preset for segment: aggressive (default), expand, none, matte (aggressive + "
                   "matting of the edges), matte-tight (none + matting) (configs/segment/).")
@click.option("--dilate", type=click.IntRange(0, 512), default=None, metavar="PX",
              help="Pixels the character mask grows by before inpainting (default 20).")
@click.option("--recluster", is_flag=True,
              help="cluster: fit identities again over every layer (names carry over by shared members).")
@click.option("--workers", type=click.IntRange(min=1), default=None, metavar="N",
              help="Worker processes for the row stages [default: one per core; 1 runs in this process].")
@executor_options
@catalog_options
@output_options()
@writes_catalog("run")
def run(stages, episodes, force, redo, device, batch_size, backends, preset, dilate, recluster, workers, executor,
        address, catalog_path, config_path, profile, as_json, quiet):
    """Run stages (all, in pipeline order, when none is named) over rows still missing.

    \b
    Stages, in order:
      dedup    near-duplicate groups, sharpness
      segment  character layers (cut-outs with alpha)
      inpaint  background layers with the characters removed
      embed    CLIP (or palette) vectors of frames and character layers
      caption  BLIP captions and/or WD14 booru tags
      tag      zero-shot scene tags (indoor, outdoor, night, street, ...)
      cluster  character identities; new episodes join the named ones

    Work is committed fragment by fragment: an interrupted run resumes where it stopped, and
    a run with nothing missing does nothing. Batches are computed by one worker process per
    core while the finished ones are committed (--workers); --executor ray spreads them over a
    Ray cluster (README, "Scale out"). Every executor writes the same catalogue.
    """
    from celvault.catalog.episodes import resolve_episodes
    from celvault.run_options import RunOptions
    from celvault.stages.runner import download_allowed, run_pipeline

    config = load_config(config_path, profile, _overrides(backends, preset, dilate))
    catalog = open_catalog(catalog_path, config)
    ids = resolve_episodes(catalog, list(episodes)) if episodes else None
    ray_connection(executor, address)
    options = RunOptions(force=force, redo=redo, recluster=recluster, device=device, batch_size=batch_size,
                         download=download_allowed(config), episode_ids=tuple(ids) if ids else None,
                         workers=workers, executor=executor, address=address)
    try:
        reports = run_pipeline(catalog, config, list(stages) or None, options, progress=progress(quiet, as_json),
                               on_report=None if as_json else _show)
    except Exception as exc:  # the stages that completed were shown; this one is one line
        raise _stage_failed(exc, catalog_path) from None
    if as_json:  # for people, _show printed each stage as it finished
        emit([r.to_dict() for r in reports], as_json=True)


def _stage_failed(exc: Exception, catalog_path) -> Exception:
    from celvault.errors import CelvaultError
    from celvault.stages.row_errors import message

    from .common import lance_error

    stage = getattr(exc, "celvault_stage", None)
    if isinstance(exc, CelvaultError) or stage is None:
        return exc
    if isinstance(exc, (OSError, ValueError, RuntimeError)):
        mapped = lance_error(exc, catalog_path, "run")
        if mapped is not exc:
            return mapped
    return click.ClickException(f"stage {stage} failed: {message(exc)} (the stages before it are saved; "
                                f"`celvault run` resumes)")


def _show(r) -> None:
    name = r.stage if r.table == "frames" or r.stage == "cluster" else f"{r.stage} ({r.table})"
    if r.status in ("off", "skipped"):
        click.echo(f"{name}: {r.status}")
    elif r.status == "nothing-to-do":
        click.echo(f"{name}: nothing to do")
    else:
        linked = f", {r.linked} grouped" if r.linked else ""
        failed = f", {r.errors} failed" if r.errors else ""
        click.echo(f"{name} [{r.backend}]: {r.rows} rows{linked}{failed} in {r.fragments} fragment commits, "
                   f"{r.seconds:.1f}s")
    for note in r.notes:
        click.echo(f"  {name}: {note}")


def _overrides(backends, preset, dilate) -> dict:
    stages: dict = {}
    for item in backends:
        stage, sep, name = item.partition("=")
        if not sep or not stage or not name:
            raise click.BadParameter(f"{item!r}: expected STAGE=NAME, e.g. segment=plate", param_hint="--backend")
        from celvault.stages.runner import available_stages

        if stage not in available_stages():
            raise click.BadParameter(f"unknown stage {stage!r}; stages: {', '.join(available_stages())}",
                                     param_hint="--backend")
        if stage in ("tag", "cluster"):
            raise click.BadParameter(f"{stage} has no backend to choose (tag uses embed's model; cluster is HDBSCAN)",
                                     param_hint="--backend")
        if "," in name and stage != "caption":
            raise click.BadParameter(f"only caption takes several backends (caption=blip,wd14); {stage} takes one",
                                     param_hint="--backend")
        stages.setdefault(stage, {})["backend"] = name.split(",") if "," in name else name
    if preset is not None:
        stages.setdefault("segment", {})["preset"] = preset
    if dilate is not None:
        stages.setdefault("inpaint", {})["dilate"] = dilate
    return {"stages": stages}
