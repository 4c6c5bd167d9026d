import click

from .common import writes_catalog
from .options import catalog_option, output_options
from .output import emit


@click.command()
@catalog_option
@output_options()
@writes_catalog("init", create=True)
def init(catalog_path, as_json, quiet):
    """Create an empty catalogue (a LanceDB directory). Safe to run twice."""
    from celvault.catalog import Catalog

    cat, created = Catalog.create(catalog_path)
    emit({"catalog": str(cat.path), "created": created}, as_json=as_json,
         lines=[f"{'Created' if created else 'Already a catalogue:'} {cat.path}"])
