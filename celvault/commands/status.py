import click

from .common import load_config, open_catalog
from .options import TABLE_FORMATS, catalog_options, output_options
from .output import Table, emit


@click.command()
@catalog_options
@output_options(TABLE_FORMATS)
def status(catalog_path, config_path, profile, fmt, as_json, quiet):
    """Per episode: frames kept, and for every stage the rows done and still missing."""
    from celvault.reports.status import catalog_status

    config = load_config(config_path, profile)
    info = catalog_status(open_catalog(catalog_path, config), config)
    emit(info, fmt, table=_table(info), lines=_notes(info))


def _table(info: dict) -> Table:
    stage_names = list(info["stages"])
    table = Table(f"{info['catalog']}: {len(info['episodes'])} episodes, {info['frames']} frames",
                  ["episode", "frames", "layers", "stages (frames done / missing)"], right_aligned=("frames",))
    for ep in info["episodes"]:
        lines = []
        for name in stage_names:
            s = ep["stages"].get(name, {"done": 0, "missing": 0})
            lines.append(f"{name}: {s['done']} done" + (f", {s['missing']} missing" if s["missing"] else ""))
        kinds = ep.get("layers", {})
        layers = "\n".join(f"{n} {k}" for k, n in sorted(kinds.items())) or "-"
        who = "\n".join(x for x in (ep["name"], ep["episode_id"], ep["series"]) if x)
        table.rows.append([who, f"{ep['frames_kept']}\n{ep['shots'] or 0} shots", layers, "\n".join(lines)])
    return table


def _notes(info: dict) -> list[str]:
    notes = []
    ids = info.get("characters")
    if ids:
        notes.append(f"characters: {ids['identities']} identities ({ids['named']} named), "
                     f"{ids['unassigned']} character layers unassigned")
    expected = {ep["episode_id"]: ep.get("frames_expected") for ep in info["episodes"]}
    for eid in info["incomplete"]:
        notes.append(f"episode {eid} is incomplete ({expected.get(eid)} frames expected; an ingest is running or "
                     "was interrupted): ingest its source again to finish it")
    for err in info.get("errors", []):
        notes.append(f"{err['stage']}: {err['rows']} {err['table']} rows failed ({err['stage']}_error; "
                     f"`celvault run {err['stage']} --redo` retries them), e.g.")
        notes += [f"  {example}" for example in err["examples"]]
    for note in info.get("check", []):
        notes.append(f"check: {note}: `celvault check` lists it, `celvault check --repair` fixes it")
    return notes
