import click

from .common import load_config, open_catalog, progress, writes_catalog
from .options import catalog_options, executor_options, output_options, ray_connection
from .output import echo_err, emit


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("--series", default=None, help="Series name recorded on the episodes.")
@click.option("--interval", type=float, default=None,
              help="Keep at most one frame every N seconds within a shot (default 1.0), plus each shot's first frame.")
@click.option("--format", "fmt", type=click.Choice(["png", "webp"]), default=None,
              help="Lossless storage format of kept frames (default png).")
@click.option("--detector", type=click.Choice(["adaptive", "transnetv2", "threshold", "auto"]), default=None,
              help="Shot detector (default adaptive; transnetv2 runs the pretrained TransNetV2 model; "
                   "auto: transnetv2 where CUDA is present, else adaptive).")
@executor_options
@catalog_options
@output_options()
@writes_catalog("ingest")
def ingest(paths, series, interval, fmt, detector, executor, address, catalog_path, config_path, profile, as_json,
           quiet):
    """Add episodes: video files (decoded, cut into shots, held frames dropped) or folders of
    extracted frames (names like scene0042_frame002156_t847.25s.jpg give shot, frame, time).

    Ingesting the same content again is a no-op; a bad input is reported and the others still
    go in (exit status 1 if any failed). With --executor ray, one episode per Ray task; the
    episodes are committed in the order given, each whole or not at all.
    """
    from celvault.ingest import ingest_paths

    overrides = {"ingest": {k: v for k, v in {"interval": interval, "format": fmt, "detector": detector}.items() if v is not None}}
    config = load_config(config_path, profile, overrides)
    ray_connection(executor, address)
    catalog = open_catalog(catalog_path, config)
    if executor == "ray":
        from celvault.ingest.ray_ingest import ingest_paths_ray

        reports = ingest_paths_ray(catalog, list(paths), series=series, config=config,
                                   progress=progress(quiet, as_json), address=address)
    else:
        reports = ingest_paths(catalog, list(paths), series=series, config=config, progress=progress(quiet, as_json))
    emit([r.to_dict() for r in reports], as_json=as_json, lines=[_line(r) for r in reports if r.status != "error"])
    failed = [r for r in reports if r.status == "error"]
    for r in failed:
        echo_err(f"Error: {r.error}")
    if failed:
        raise SystemExit(1)


def _line(r) -> str:
    if r.status == "ingested":
        extra = f" ({'; '.join(r.notes)})" if r.notes else ""
        return f"{r.name}: ingested {r.frames_kept} frames of {r.frame_count}, {r.shots} shots -> episode {r.episode_id}{extra}"
    extra = f"; {'; '.join(r.notes)}" if r.notes else ""
    return f"{r.name}: already ingested as episode {r.episode_id} ({r.frames_kept} frames), nothing to do{extra}"
