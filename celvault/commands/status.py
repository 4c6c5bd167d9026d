import click

from .common import common_options, emit_json, load_config, open_catalog


@click.command()
@common_options
def status(catalog_path, config_path, profile, as_json, quiet):
    """Per episode: frames kept, and for every stage the rows done and still missing."""
    from celvault.reports.status import catalog_status

    config = load_config(config_path, profile)
    info = catalog_status(open_catalog(catalog_path, config), config)
    if as_json:
        emit_json(info)
        return
    from rich.console import Console
    from rich.table import Table

    stage_names = list(info["stages"])
    table = Table(title=f"{info['catalog']}: {len(info['episodes'])} episodes, {info['frames']} frames")
    for col in ("episode", "frames", "layers", "stages (frames done / missing)"):
        table.add_column(col, justify="right" if col == "frames" else "left", overflow="fold")
    for ep in info["episodes"]:
        lines = []
        for name in stage_names:
            s = ep["stages"].get(name, {"done": 0, "missing": 0})
            lines.append(f"{name}: {s['done']} done" + (f", {s['missing']} missing" if s["missing"] else ""))
        kinds = ep.get("layers", {})
        layers = "\n".join(f"{n} {k}" for k, n in sorted(kinds.items())) or "-"
        who = "\n".join(x for x in (ep["name"], ep["episode_id"], ep["series"]) if x)
        table.add_row(who, f"{ep['frames_kept']}\n{ep['shots'] or 0} shots", layers, "\n".join(lines))
    Console().print(table)
    ids = info.get("characters")
    if ids:
        click.echo(f"characters: {ids['identities']} identities ({ids['named']} named), "
                   f"{ids['unassigned']} character layers unassigned")
    expected = {ep["episode_id"]: ep.get("frames_expected") for ep in info["episodes"]}
    for eid in info["incomplete"]:
        click.echo(f"episode {eid} is incomplete ({expected.get(eid)} frames expected; an ingest is running or was "
                   "interrupted): ingest its source again to finish it")
    for err in info.get("errors", []):
        click.echo(f"{err['stage']}: {err['rows']} {err['table']} rows failed ({err['stage']}_error; "
                   f"`celvault run {err['stage']} --redo` retries them), e.g.")
        for example in err["examples"]:
            click.echo(f"  {example}")
    for note in info.get("check", []):
        click.echo(f"check: {note}: `celvault check` lists it, `celvault check --repair` fixes it")
