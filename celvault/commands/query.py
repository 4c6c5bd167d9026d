import click

from .common import load_config, open_catalog
from .options import TABLE_FORMATS, catalog_options, episode_option, output_options
from .output import Table, emit


@click.command()
@click.option("--character", "characters", multiple=True, metavar="NAME",
              help="A character's name or cluster id (any case, unambiguous prefix); repeat: frames showing all.")
@click.option("--scene", "scenes", multiple=True, metavar="TAG", help="A scene tag (indoor, outdoor, night, street, ...); repeat: all of them.")
@episode_option
@click.option("--search", "words", default=None, metavar="WORDS", help="Words that must appear in the caption or the booru tags.")
@click.option("--where", default=None, metavar="EXPR",
              help="A filter on catalogue columns, e.g. \"sharpness > 100 AND time_s < 600\" (columns are checked).")
@click.option("--text", default=None, metavar="TEXT", help="Rank by similarity to this description (CLIP text embedding).")
@click.option("--layers", is_flag=True, help="Character layers (cut-outs) instead of frames.")
@click.option("--include-duplicates", is_flag=True, help="Keep near-duplicate frames (left out by default).")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="At most this many results.")
@click.option("--after", default=None, metavar="ID",
              help="The next page: results after this frame (or layer) id, as printed under the last page.")
@click.option("--out", "out_dir", type=click.Path(), default="celvault-query", show_default=True,
              help="Folder for --format paths (files named by frame or layer id).")
@click.option("--sheet", type=click.Path(), default=None, metavar="FILE.png",
              help="Also write a contact sheet of the results (thumbnails with id and time).")
@catalog_options
@output_options(TABLE_FORMATS + ("paths",))
def query(characters, scenes, episodes, words, where, text, layers, include_duplicates, limit, after, fmt, out_dir,
          sheet, catalog_path, config_path, profile, as_json, quiet):
    """Find frames (or character layers) by character, scene, episode, words, columns and meaning.

    \b
      celvault query --character "Endou Mamoru" --scene outdoor --limit 50
      celvault query --text "boy kicking a ball at sunset" --episode ep03
      celvault query --character Endou --where "sharpness > 100" --layers --format paths
      celvault query --character Endou --scene outdoor --sheet endou_outdoor.png
    Filters combine (AND); --text ranks what passes them, else results come in catalogue
    order (episodes as they were ingested, frames in time order). A full page ends with the
    command for the next one (--after the last id). --format paths writes each image to --out
    and prints its path; --json is --format json.
    """
    from celvault.queries.run import run_query
    from celvault.queries.search import Query

    from celvault.safe_paths import check_image_folder, check_sheet_file

    if fmt == "paths":
        check_image_folder(out_dir)  # before the work: never into a catalogue
    if sheet:
        check_sheet_file(sheet)
    config = load_config(config_path, profile)
    catalog = open_catalog(catalog_path, config)
    q = Query(characters=list(characters), scenes=list(scenes), episodes=list(episodes), words=words, where=where,
              text=text, layers=layers, include_duplicates=include_duplicates, limit=limit, after=after)
    result = run_query(catalog, config, q)
    if sheet and result.rows:
        from celvault.queries.media import result_sheet

        result_sheet(catalog, result, sheet, title=_describe(q, result))
    if fmt == "paths":
        from celvault.queries.media import write_images

        for path in write_images(catalog, result, out_dir):
            click.echo(str(path))
    else:
        emit({"kind": result.kind, "matched": result.matched, "rows": result.rows, "sheet": sheet,
              "next_after": result.next_after}, fmt, table=_table(result),
             lines=[f"next page: --after {result.next_after}"] if result.next_after else [])
    if sheet and fmt != "json":
        click.echo(f"contact sheet: {sheet}" if result.rows else "no results: no contact sheet written", err=True)


def _describe(q, result) -> str:
    what = [f"character {', '.join(q.characters)}"] if q.characters else []
    what += [f"scene {', '.join(q.scenes)}"] if q.scenes else []
    what += [f"text {q.text!r}"] if q.text else []
    return f"{len(result.rows)} {result.kind}" + (": " + "; ".join(what) if what else "")


def _cells(r: dict, kind: str) -> dict:
    time = f"{r['time_s']:.2f}" if r.get("time_s") is not None else ""
    cells = {"id": r["layer_id" if kind == "layers" else "frame_id"], "episode": r.get("episode") or "", "time_s": time}
    if kind == "layers":
        cells["character"] = r.get("character") or ""
        if "track_id" in r:
            cells["track"] = (r.get("track_id") or "")[-12:]  # the tail tells tracks apart; --json has it whole
    else:
        cells["characters"] = ", ".join(r.get("characters") or [])
        cells["scene_tags"] = ", ".join(r.get("scene_tags") or [])
        if "effects" in r:
            cells["effects"] = ", ".join(sorted({e["effect"] for e in r["effects"] if e.get("effect")}))
    cells["caption"] = r.get("caption") or ", ".join((r.get("tags") or [])[:8])
    if "distance" in r:
        cells["distance"] = f"{r['distance']:.4f}"
    return cells


def _table(result) -> Table:
    rows = [_cells(r, result.kind) for r in result.rows]
    more = f" of {result.matched}" if result.matched is not None and result.matched > len(rows) else ""
    return Table(f"{len(rows)}{more} {result.kind}", list(rows[0]) if rows else ["id"], [list(r.values()) for r in rows])
