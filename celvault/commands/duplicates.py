import click

from .common import open_catalog, writes_catalog
from .options import catalog_options, output_options
from .output import emit


@click.group()
def duplicates():
    """Near-duplicate groups made by the dedup stage: unlink a frame, or pick the representative.

    \b
      celvault duplicates unlink FRAME      # FRAME is its own representative; `run` fills it
      celvault duplicates represent FRAME   # FRAME represents its group instead
    Both are stored and kept by every later `celvault run dedup`.
    """


@duplicates.command("unlink")
@click.argument("frame")
@catalog_options
@output_options()
@writes_catalog("duplicates unlink")
def unlink_cmd(frame, catalog_path, config_path, profile, as_json, quiet):
    """FRAME leaves its near-duplicate group and becomes its own representative."""
    from celvault.catalog.duplicates import unlink_duplicate

    done = unlink_duplicate(open_catalog(catalog_path), frame)
    emit(done, as_json=as_json, lines=[f"{frame} is no longer a duplicate of {done['was_duplicate_of']}; "
                                       "`celvault run` fills it"])


@duplicates.command("represent")
@click.argument("frame")
@catalog_options
@output_options()
@writes_catalog("duplicates represent")
def represent_cmd(frame, catalog_path, config_path, profile, as_json, quiet):
    """FRAME becomes its group's representative (the old one's layers are deleted)."""
    from celvault.catalog.duplicates import choose_representative

    done = choose_representative(open_catalog(catalog_path), frame)
    emit(done, as_json=as_json, lines=[f"{frame} now represents its {done['members']} frames (was {done['previous']}; "
                                       f"{done['dropped_layers']} layers dropped); `celvault run` fills it"])
