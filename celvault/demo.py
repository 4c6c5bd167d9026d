"""`celvault demo`: synthetic episodes through the whole pipeline, with whatever profile works here."""

from __future__ import annotations

from pathlib import Path

from celvault.catalog import Catalog
from celvault.config import Config
from celvault.progress import Progress


def pick_profile() -> tuple[str, str]:
    """'default' when every default backend has its weights here, else 'offline' (needs none)."""
    from celvault.stages.runner import available_stages, build_stages

    config = Config.load("default")
    lacking = [name for name in available_stages() if any(p.missing_weights() for p in build_stages(name, config))]
    if lacking:
        return "offline", (f"the default {', '.join(lacking)} models have no weights on this machine "
                           "(`celvault models list`)")
    return "default", "every default backend has what it needs on this machine"


def demo_spec(i: int, seconds: float, width: int, height: int):
    from celvault.synthetic import EpisodeSpec

    # characters cross the frame, so the weight-free plate backend sees behind them
    # two shots carry sparkles and/or speed lines (the effects stage's truth)
    return EpisodeSpec(seed=i, width=width, height=height, fps=24.0, duration_s=seconds, walkers=True, effect_shots=2)


def make_demo_episodes(out_dir: Path, episodes: int, seconds: float, width: int, height: int) -> list[Path]:
    from celvault.synthetic import make_episode

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(1, episodes + 1):
        path = out_dir / f"ep{i:02d}.mp4"
        if not path.exists():
            tmp = path.with_suffix(".partial.mp4")
            make_episode(tmp, demo_spec(i, seconds, width, height))
            tmp.replace(path)
        paths.append(path)
    return paths


def demo_quality(catalog: Catalog, episodes: int, seconds: float, width: int, height: int) -> dict:
    """The demo knows its truth: how well the pipeline did on these very episodes."""
    from celvault.quality import SyntheticTruth, summary, summary_lines, views_by_episode_id
    from celvault.synthetic import plan_episode

    views = {f"ep{i:02d}": SyntheticTruth(plan_episode(demo_spec(i, seconds, width, height)), f"ep{i:02d}")
             for i in range(1, episodes + 1)}
    by_id = views_by_episode_id(catalog, views)
    result = summary(catalog, by_id)
    from celvault.quality.effects import effect_line, effect_scores

    result["effects"] = effect_scores(catalog, {eid: v.truth for eid, v in by_id.items()})
    return {**result, "lines": summary_lines(result) + [effect_line(result["effects"])]}


def run_demo(out_dir: Path, catalog_path: Path, episodes: int = 2, seconds: float = 20.0,
             width: int = 640, height: int = 360, progress: Progress | None = None) -> dict:
    from celvault.ingest import ingest_paths
    from celvault.stages.runner import run_pipeline
    from celvault.reports.status import catalog_status

    progress = progress or Progress(quiet=True)
    profile, reason = pick_profile()
    # four frames a second: a shot's background plate is the median of its kept frames
    # and character edges matted (their alpha re-solved in a band: hair tips, outlines)
    matte = "matte-tight" if profile == "offline" else "matte"
    config = Config.load(profile, overrides={"ingest": {"interval": 0.25}, "stages": {"segment": {"preset": matte}}})
    paths = make_demo_episodes(out_dir, episodes, seconds, width, height)
    catalog, _ = Catalog.create(catalog_path, rows_per_fragment=int(config.section("catalog")["rows_per_fragment"]))
    ingested = ingest_paths(catalog, paths, series="celvault demo", config=config, progress=progress)
    stages = run_pipeline(catalog, config, progress=progress)
    return {
        "profile": profile, "why": reason, "episodes": [str(p) for p in paths], "catalog": str(catalog.path),
        "ingest": [r.to_dict() for r in ingested], "stages": [s.to_dict() for s in stages],
        "status": catalog_status(catalog, config),
        "quality": demo_quality(catalog, episodes, seconds, width, height),
    }
