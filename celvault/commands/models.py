import click

from .common import load_config
from .options import TABLE_FORMATS, output_options


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
@_config_options
@output_options(TABLE_FORMATS)
def list_models(config_path, profile, fmt, as_json, quiet):
    """Every model a registered backend declares, and those the configuration adds: stage,
    library, where its file is, present or missing, size."""
    from celvault.reports.models import all_models
    from celvault.stages.backends.weights import inventory

    from .output import Table, emit

    rows = inventory(all_models(load_config(config_path, profile)))
    table = Table("models", ["name", "stage", "library", "present", "size", "path"])
    for r in rows:
        size = f"{r['size_bytes'] / 1e6:.1f} MB" if r["size_bytes"] is not None else ""
        table.rows.append([r["name"], r["stage"], r["library"], "yes" if r["present"] else "missing", size, r["path"]])
    emit(rows, fmt, as_json=as_json, table=table)


@models.command("pull")
@click.argument("names", nargs=-1, required=True)
@_config_options
@output_options()
def pull(names, config_path, profile, as_json, quiet):
    """Download models NAME... through their libraries (checksums as each library checks them)."""
    from celvault.reports.models import find_model

    from .output import emit_json

    config = load_config(config_path, profile)
    specs = [find_model(n, config) for n in names]  # unknown names fail before anything downloads
    pulled = []
    for spec in specs:
        path = spec.pull()
        pulled.append({"name": spec.name, "path": str(path)})
        if not as_json:
            click.echo(f"{spec.name}: {path}")
    if as_json:
        emit_json(pulled)
