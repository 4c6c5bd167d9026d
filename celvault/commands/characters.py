import click

from .common import open_catalog, writes_catalog
from .options import TABLE_FORMATS, catalog_options, output_options
from .output import Table, emit


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
      celvault characters move LAYER... --to "Endou Mamoru"
      celvault characters move LAYER --to "Endou Mamoru" --track   # the layer's whole track
      celvault characters split LAYER... --name "Gouenji Shuuya"
      celvault characters junk 9            # or --layer ID...; --undo to unmark layers
      celvault characters undo              # the last name/merge/move/split/junk
    Names and manual choices are kept when new episodes arrive and when `celvault run cluster --recluster`
    rebuilds the clusters.
    """


@characters.command("list")
@catalog_options
@output_options(TABLE_FORMATS)
def list_cmd(catalog_path, config_path, profile, fmt, as_json, quiet):
    """Every identity: cluster id, name, member layers, a few reference layer ids."""
    from celvault.catalog.identities import list_identities

    found = list_identities(open_catalog(catalog_path))
    table = Table(f"characters ({found['unassigned']} layers unassigned)",
                  ["cluster", "name", "layers", "reference layers"],
                  [[str(r["cluster_id"]), r["name"] or "-", str(r["members"]), ", ".join(r["references"][:3])]
                   for r in found["characters"]])
    emit(found, fmt, table=table)


@characters.command("name")
@click.argument("character")
@click.argument("name")
@catalog_options
@output_options()
@writes_catalog("characters name")
def name_cmd(character, name, catalog_path, config_path, profile, as_json, quiet):
    """Give CHARACTER (a cluster id, or its current name) the name NAME."""
    from celvault.catalog.identities import name_identity

    done = name_identity(open_catalog(catalog_path), character, name)
    was = f" (was {done['previous']!r})" if done["previous"] else ""
    lines = [f"cluster {done['cluster_id']} is now {done['name']!r}{was}"]
    if done["also_named"]:
        others = ", ".join(map(str, done["also_named"]))
        lines.append(f"note: cluster(s) {others} have that name too; `celvault characters merge` joins them")
    emit(done, as_json=as_json, lines=lines)


@characters.command("merge")
@click.argument("keep")
@click.argument("other")
@catalog_options
@output_options()
@writes_catalog("characters merge")
def merge_cmd(keep, other, catalog_path, config_path, profile, as_json, quiet):
    """Fold character OTHER into KEEP (its layers and frames; its name if KEEP has none)."""
    from celvault.catalog.identities import merge_identities

    done = merge_identities(open_catalog(catalog_path), keep, other)
    label = f"{done['cluster_id']} ({done['name']})" if done["name"] else str(done["cluster_id"])
    lines = [f"merged cluster {done['merged']} into {label}: {done['moved_layers']} layers moved, "
             f"{done['members']} in all"]
    if done["dropped_name"]:
        lines.append(f"note: the name {done['dropped_name']!r} was dropped")
    emit(done, as_json=as_json, lines=lines)


@characters.command("show")
@click.argument("character")
@click.option("--sheet", type=click.Path(), default=None, metavar="FILE.png",
              help="Write a contact sheet of the members (closest to the centroid first).")
@click.option("--limit", type=click.IntRange(min=1), default=48, show_default=True, help="Members to show.")
@catalog_options
@output_options(TABLE_FORMATS)
def show_cmd(character, sheet, limit, catalog_path, config_path, profile, fmt, as_json, quiet):
    """Members of CHARACTER, closest to its centroid first (or a contact sheet of them)."""
    from celvault.catalog.identities import identity_members, identity_sheet

    catalog = open_catalog(catalog_path)
    if sheet:
        done = identity_sheet(catalog, character, sheet, limit=limit)
        emit(done, fmt, lines=[f"{done['sheet']}: {done['shown']} layers of cluster {done['cluster_id']}"])
        return
    row, members = identity_members(catalog, character, limit)
    title = f"cluster {row['cluster_id']}" + (f" ({row['name']})" if row["name"] else "") + f": {row['members']} layers"
    table = Table(title, ["layer", "episode", "time_s", "distance"],
                  [[m["layer_id"], m["episode_id"], f"{m['time_s']:.2f}" if m["time_s"] is not None else "-",
                    f"{m['distance']:.3f}"] for m in members])
    emit({"cluster_id": row["cluster_id"], "name": row["name"], "members": row["members"], "layers": members},
         fmt, table=table)


def _who(cid, name) -> str:
    return f"{cid} ({name})" if name else str(cid)


@characters.command("move")
@click.argument("layers", nargs=-1, required=True)
@click.option("--to", "to", required=True, metavar="CHARACTER", help="The identity (cluster id or name) they join.")
@click.option("--track", "tracks", is_flag=True, help="Move each layer's whole track (the same character all shot).")
@catalog_options
@output_options()
@writes_catalog("characters move")
def move_cmd(layers, to, tracks, catalog_path, config_path, profile, as_json, quiet):
    """Move character LAYERS (layer ids) to CHARACTER; `run cluster` keeps them there."""
    from celvault.catalog.identity_edits import move_layers

    done = move_layers(open_catalog(catalog_path), list(layers), to, tracks=tracks)
    lines = [f"moved {done['moved']} layers to cluster {_who(done['cluster_id'], done['name'])}"]
    lines += [f"cluster {c} has no layers left and was removed" for c in done["removed"]]
    emit(done, as_json=as_json, lines=lines)


@characters.command("split")
@click.argument("layers", nargs=-1, required=True)
@click.option("--name", default=None, help="Name the new identity.")
@click.option("--track", "tracks", is_flag=True, help="Split off each layer's whole track.")
@catalog_options
@output_options()
@writes_catalog("characters split")
def split_cmd(layers, name, tracks, catalog_path, config_path, profile, as_json, quiet):
    """Make character LAYERS (layer ids) a new identity."""
    from celvault.catalog.identity_edits import split_layers

    done = split_layers(open_catalog(catalog_path), list(layers), name, tracks=tracks)
    lines = [f"new cluster {_who(done['cluster_id'], done['name'])} with {done['members']} layers"]
    lines += [f"cluster {c} has no layers left and was removed" for c in done["removed"]]
    emit(done, as_json=as_json, lines=lines)


@characters.command("junk")
@click.argument("character", required=False)
@click.option("--layer", "layers", multiple=True, metavar="ID", help="A layer (repeatable) instead of a character.")
@click.option("--undo", "unmark", is_flag=True, help="Unmark the --layer layers (they are unassigned again).")
@catalog_options
@output_options()
@writes_catalog("characters junk")
def junk_cmd(character, layers, unmark, catalog_path, config_path, profile, as_json, quiet):
    """Mark CHARACTER, or --layer layers, "not a character": queries and exports leave them out."""
    from celvault.catalog.identity_edits import mark_not_character
    from celvault.errors import CelvaultError

    if bool(character) == bool(layers):
        raise CelvaultError("name a CHARACTER or --layer IDs (not both)")
    done = mark_not_character(open_catalog(catalog_path), list(layers) or None, character, value=not unmark)
    n = done.get("marked", done.get("unmarked"))
    lines = [f"{n} layers {'unmarked' if unmark else 'marked not a character'}"]
    lines += [f"cluster {c} has no layers left and was removed" for c in done["removed"]]
    emit(done, as_json=as_json, lines=lines)


@characters.command("undo")
@catalog_options
@output_options()
@writes_catalog("characters undo")
def undo_cmd(catalog_path, config_path, profile, as_json, quiet):
    """Undo the last name, merge, move, split or junk (again: the one before)."""
    from celvault.catalog.decisions import undo_last

    done = undo_last(open_catalog(catalog_path))
    emit(done, as_json=as_json, lines=[f"undid {done['undone']} {done['params']}: {done['layers']} layers, "
                                       f"identities {done['identities']}"])
