import click

from .common import emit_json, load_config


def _config_options(fn):
    fn = click.option("--profile", default="default", show_default=True,
                      help="Also the models this profile's stages use.")(fn)
    return click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None, metavar="FILE",
                        help="Also the models this settings file's stages use (another BLIP repo, a CLIP file).")(fn)


@click.group()
def models():
    """Model weights: what is present on this machine, and fetching it ahead of time.

    \b
    Weights live in each library's own cache: rembg's model home (REMBG_HOME / U2NET_HOME,
    default ~/.rembg), the Hugging Face cache (HF_HOME) and torch hub (TORCH_HOME, or
    LAMA_MODEL for a big-lama file). Pull on a machine with network, then copy those
    folders (or set the same variables) on an offline GPU machine.
    """


@models.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable JSON result on stdout.")
@_config_options
def list_models(as_json, config_path, profile):
    """Every known model: stage, library, where its file is, present or missing, size."""
    from celvault.stages.backends.weights import inventory
    from celvault.reports.models import all_models

    rows = inventory(all_models(load_config(config_path, profile)))
    if as_json:
        emit_json(rows)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="models")
    for col in ("name", "stage", "library", "present", "size", "path"):
        table.add_column(col, overflow="fold")
    for r in rows:
        size = f"{r['size_bytes'] / 1e6:.1f} MB" if r["size_bytes"] is not None else ""
        table.add_row(r["name"], r["stage"], r["library"], "yes" if r["present"] else "missing", size, r["path"])
    Console().print(table)


@models.command("pull")
@click.argument("names", nargs=-1, required=True)
@_config_options
def pull(names, config_path, profile):
    """Download models NAME... through their libraries (checksums as each library checks them)."""
    from celvault.reports.models import find_model

    config = load_config(config_path, profile)
    specs = [find_model(n, config) for n in names]  # unknown names fail before anything downloads
    for spec in specs:
        path = spec.pull()
        click.echo(f"{spec.name}: {path}")
