from pathlib import Path

import click

from .common import catalog_writer, emit_json, progress


@click.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("celvault-demo"),
              show_default=True, help="Folder for the synthetic episodes (and the catalogue).")
@click.option("--catalog", "catalog_path", type=click.Path(path_type=Path), default=None,
              help="Catalogue to use [default: OUT/celvault.db, so your own catalogue is left alone].")
@click.option("--episodes", type=click.IntRange(1, 26), default=2, show_default=True,
              help="How many episodes (they share an opening, as real ones do).")
@click.option("--seconds", type=click.FloatRange(5, 600), default=20.0, show_default=True,
              help="Length of each episode.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
def demo(out_dir, catalog_path, episodes, seconds, as_json, quiet):
    """Make synthetic anime-like episodes (640x360, 24 fps) and run the whole pipeline on them,
    with the default profile if its model weights are here, else the offline one (says which)."""
    from celvault.demo import run_demo

    catalog_path = catalog_path or out_dir / "celvault.db"
    with catalog_writer(catalog_path, "demo", create=True):
        result = run_demo(out_dir, catalog_path, episodes=episodes, seconds=seconds, progress=progress(quiet, as_json))
    if as_json:
        emit_json(result)
        return
    click.echo(f"profile: {result['profile']} ({result['why']})")
    for r in result["ingest"]:
        state = r["status"] if r["status"] != "error" else f"error: {r['error']}"
        click.echo(f"  {Path(r['path']).name}: {state}, {r['frames_kept']} frames kept of {r['frame_count']}, {r['shots']} shots")
    for s in result["stages"]:
        where = f" ({s['table']})" if s["table"] == "layers" and s["stage"] != "cluster" else ""
        if s["status"] == "off":
            click.echo(f"  {s['stage']}: off in the {result['profile']} profile")
            continue
        click.echo(f"  {s['stage']}{where} [{s['backend']}]: {s['status']}, {s['rows']} rows")
        for note in s["notes"]:
            click.echo(f"    {note}")
    st = result["status"]
    click.echo(f"catalogue {st['catalog']}: {len(st['episodes'])} episodes, {st['frames']} frames")
    click.echo(f"layers: {st.get('layers', 0)} (character cut-outs and inpainted backgrounds)")
    ids = st.get("characters") or {}
    click.echo(f"characters: {ids.get('identities', 0)} identities found")
    click.echo("quality against the episodes' ground truth:")
    for line in result["quality"]["lines"]:
        click.echo(f"  {line}")
    click.echo(f"next: celvault status --catalog {st['catalog']}")
    click.echo(f"      celvault characters list --catalog {st['catalog']}")
