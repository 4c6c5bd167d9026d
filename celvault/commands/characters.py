import click

from .common import common_options, emit_json, open_catalog, writes_catalog


@click.group()
def characters():
    """Character identities found by the cluster stage: list, name, merge, look.

    \b
    A character is named by its cluster id or, once named, by its name (any case; an
    unambiguous prefix is enough):
      celvault characters list
      celvault characters show 3 --sheet c3.png
      celvault characters name 3 "Endou Mamoru"
      celvault characters merge "Endou Mamoru" 7
    Names are kept when new episodes arrive and when `celvault run cluster --recluster`
    rebuilds the clusters.
    """


@characters.command("list")
@common_options
def list_cmd(catalog_path, config_path, profile, as_json, quiet):
    """Every identity: cluster id, name, member layers, a few reference layer ids."""
    from celvault.catalog.identities import list_identities

    found = list_identities(open_catalog(catalog_path))
    if as_json:
        emit_json(found)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"characters ({found['unassigned']} layers unassigned)")
    for col in ("cluster", "name", "layers", "reference layers"):
        table.add_column(col, overflow="fold")
    for r in found["characters"]:
        table.add_row(str(r["cluster_id"]), r["name"] or "-", str(r["members"]), ", ".join(r["references"][:3]))
    Console().print(table)


@characters.command("name")
@click.argument("character")
@click.argument("name")
@common_options
@writes_catalog("characters name")
def name_cmd(character, name, catalog_path, config_path, profile, as_json, quiet):
    """Give CHARACTER (a cluster id, or its current name) the name NAME."""
    from celvault.catalog.identities import name_identity

    done = name_identity(open_catalog(catalog_path), character, name)
    if as_json:
        emit_json(done)
        return
    was = f" (was {done['previous']!r})" if done["previous"] else ""
    click.echo(f"cluster {done['cluster_id']} is now {done['name']!r}{was}")
    if done["also_named"]:
        others = ", ".join(map(str, done["also_named"]))
        click.echo(f"note: cluster(s) {others} have that name too; `celvault characters merge` joins them")


@characters.command("merge")
@click.argument("keep")
@click.argument("other")
@common_options
@writes_catalog("characters merge")
def merge_cmd(keep, other, catalog_path, config_path, profile, as_json, quiet):
    """Fold character OTHER into KEEP (its layers and frames; its name if KEEP has none)."""
    from celvault.catalog.identities import merge_identities

    done = merge_identities(open_catalog(catalog_path), keep, other)
    if as_json:
        emit_json(done)
        return
    label = f"{done['cluster_id']} ({done['name']})" if done["name"] else str(done["cluster_id"])
    click.echo(f"merged cluster {done['merged']} into {label}: {done['moved_layers']} layers moved, "
               f"{done['members']} in all")
    if done["dropped_name"]:
        click.echo(f"note: the name {done['dropped_name']!r} was dropped")


@characters.command("show")
@click.argument("character")
@click.option("--sheet", type=click.Path(), default=None, metavar="FILE.png",
              help="Write a contact sheet of the members (closest to the centroid first).")
@click.option("--limit", type=click.IntRange(min=1), default=48, show_default=True, help="Members to show.")
@common_options
def show_cmd(character, sheet, limit, catalog_path, config_path, profile, as_json, quiet):
    """Members of CHARACTER, closest to its centroid first (or a contact sheet of them)."""
    from celvault.catalog.identities import identity_members, identity_sheet

    catalog = open_catalog(catalog_path)
    if sheet:
        done = identity_sheet(catalog, character, sheet, limit=limit)
        if as_json:
            emit_json(done)
        else:
            click.echo(f"{done['sheet']}: {done['shown']} layers of cluster {done['cluster_id']}")
        return
    row, members = identity_members(catalog, character, limit)
    if as_json:
        emit_json({"cluster_id": row["cluster_id"], "name": row["name"], "members": row["members"],
                   "layers": members})
        return
    click.echo(f"cluster {row['cluster_id']}" + (f" ({row['name']})" if row["name"] else "")
               + f": {row['members']} layers")
    for m in members:
        t = f"{m['time_s']:.2f}s" if m["time_s"] is not None else "-"
        click.echo(f"  {m['layer_id']}  episode {m['episode_id']}  t={t}  distance {m['distance']:.3f}")
