import click

from .common import catalog_writer, open_catalog
from .options import catalog_options, output_options
from .output import emit


@click.command()
@click.option("--repair", is_flag=True,
              help="Fix what is found (takes the writer lock: waits for a running writer unless --no-wait).")
@click.option("--no-wait", is_flag=True, help="With --repair: fail at once if another command is writing.")
@catalog_options
@output_options()
def check(repair, no_wait, catalog_path, config_path, profile, as_json, quiet):
    """Look for inconsistencies: duplicate ids in any table, orphan media (layer_media or
    frame_media rows whose layers or frames row is missing), layers of frames that are no
    longer their group's representative, and stale member counts of characters.

    Read-only (safe beside a running writer) unless --repair, which keeps one row per id,
    deletes orphans and layers of non-representative frames, and recounts members.
    Exit status 1 when problems remain.
    """
    from celvault.catalog.check import find_problems
    from celvault.catalog.check import repair as repair_catalog

    fixed: list[str] = []
    if repair:
        with catalog_writer(catalog_path, "check --repair", wait=not no_wait):
            catalog = open_catalog(catalog_path)
            fixed = repair_catalog(catalog)
            problems = find_problems(catalog)
    else:
        catalog = open_catalog(catalog_path)
        problems = find_problems(catalog)
    lines = [f"repaired: {line}" for line in fixed]
    for p in problems:
        sample = ", ".join(map(str, p.keys[:3])) + (", ..." if len(p.keys) > 3 else "")
        lines.append(f"{p.kind}: {p.table}: {p.detail} (e.g. {sample})")
    if not problems:
        lines.append(f"{catalog.path}: no problems found" + (" after repair" if fixed else ""))
    elif not repair:
        lines.append("`celvault check --repair` fixes these")
    emit({"catalog": str(catalog.path), "repaired": fixed, "problems": [p.to_dict() for p in problems]},
         as_json=as_json, lines=lines)
    if problems:
        raise SystemExit(1)
