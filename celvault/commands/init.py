import click

from .common import DEFAULT_CATALOG, emit_json, writes_catalog


@click.command()
@click.option("--catalog", "catalog_path", envvar="CELVAULT_CATALOG", default=DEFAULT_CATALOG, show_default=True,
              metavar="PATH", help="Catalogue directory to create (or set CELVAULT_CATALOG).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@writes_catalog("init", create=True)
def init(catalog_path, as_json):
    """Create an empty catalogue (a LanceDB directory). Safe to run twice."""
    from celvault.catalog import Catalog

    cat, created = Catalog.create(catalog_path)
    if as_json:
        emit_json({"catalog": str(cat.path), "created": created})
    else:
        click.echo(f"{'Created' if created else 'Already a catalogue:'} {cat.path}")
