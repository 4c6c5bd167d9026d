from pathlib import Path

import click

from .common import catalog_writer, progress
from .options import output_options
from .output import emit


@click.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("celvault-demo"),
              show_default=True, help="Folder for the synthetic episodes (and the catalogue).")
@click.option("--catalog", "catalog_path", type=click.Path(path_type=Path), default=None,
              help="Catalogue to use [default: OUT/celvault.db, so your own catalogue is left alone].")
@click.option("--episodes", type=click.IntRange(1, 26), default=2, show_default=True,
              help="How many episodes (they share an opening, as real ones do).")
@click.option("--seconds", type=click.FloatRange(5, 600), default=20.0, show_default=True,
              help="Length of each episode.")
@output_options()
def demo(out_dir, catalog_path, episodes, seconds, as_json, quiet):
    """Make synthetic anime-like episodes (640x360, 24 fps) and run the whole pipeline on them,
    with the default profile if its model weights are here, else the offline one (says which)."""
    from celvault.demo import run_demo

    catalog_path = catalog_path or out_dir / "celvault.db"
    with catalog_writer(catalog_path, "demo", create=True):
        result = run_demo(out_dir, catalog_path, episodes=episodes, seconds=seconds, progress=progress(quiet, as_json))
    emit(result, as_json=as_json, lines=_summary(result))


def _summary(result: dict) -> list[str]:
    lines = [f"profile: {result['profile']} ({result['why']})"]
    for r in result["ingest"]:
        state = r["status"] if r["status"] != "error" else f"error: {r['error']}"
        lines.append(f"  {Path(r['path']).name}: {state}, {r['frames_kept']} frames kept of {r['frame_count']}, "
                     f"{r['shots']} shots")
    for s in result["stages"]:
        where = f" ({s['table']})" if s["table"] == "layers" and s["stage"] != "cluster" else ""
        if s["status"] == "off":
            lines.append(f"  {s['stage']}: off in the {result['profile']} profile")
            continue
        lines.append(f"  {s['stage']}{where} [{s['backend']}]: {s['status']}, {s['rows']} rows")
        lines += [f"    {note}" for note in s["notes"]]
    st = result["status"]
    ids = st.get("characters") or {}
    lines += [f"catalogue {st['catalog']}: {len(st['episodes'])} episodes, {st['frames']} frames",
              f"layers: {st.get('layers', 0)} (character cut-outs, effects and inpainted backgrounds)",
              f"characters: {ids.get('identities', 0)} identities found",
              "quality against the episodes' ground truth:"]
    lines += [f"  {line}" for line in result["quality"]["lines"]]
    lines += [f"next: celvault status --catalog {st['catalog']}",
              f"      celvault characters list --catalog {st['catalog']}"]
    return lines
