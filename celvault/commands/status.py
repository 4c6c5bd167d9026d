import click

from .common import common_options, emit_json, load_config, open_catalog


@click.command()
@common_options
def status(catalog_path, config_path, profile, as_json, quiet):
    """Per episode: frames kept, and for every stage the rows done and still missing."""
    from celvault.stages.status import catalog_status

    config = load_config(config_path, profile)
    info = catalog_status(open_catalog(catalog_path, config), config)
    if as_json:
        emit_json(info)
        return
    from rich.console import Console
    from rich.table import Table

    stage_names = list(info["stages"])
    table = Table(title=f"{info['catalog']}: {len(info['episodes'])} episodes, {info['frames']} frames")
    for col in ["episode", "id", "series", "frames", "shots", "layers"] + stage_names:
        table.add_column(col, justify="right" if col in ("frames", "shots") else "left")
    for ep in info["episodes"]:
        cells = []
        for name in stage_names:
            s = ep["stages"].get(name, {"done": 0, "missing": 0})
            cells.append(f"{s['done']} done" + (f", {s['missing']} missing" if s["missing"] else ""))
        kinds = ep.get("layers", {})
        layers = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) or "-"
        table.add_row(ep["name"] or "", ep["episode_id"], ep["series"] or "", str(ep["frames_kept"]),
                      str(ep["shots"] or ""), layers, *cells)
    Console().print(table)
    for eid in info["incomplete"]:
        click.echo(f"episode {eid} is incomplete (interrupted ingest): ingest its source again to finish it")
