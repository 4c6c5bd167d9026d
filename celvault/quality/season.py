"""A season of the hard evaluation set: episodes sharing a size, frame rate, opening and
cast, each with its own content, written as video files next to their truth."""

from __future__ import annotations

import dataclasses
from pathlib import Path


def season_specs(seed: int, episodes: int, quick: bool = False):
    """`episodes` randomised specs sharing the first one's size, frame rate, opening and cast."""
    from celvault.evalset import sample_specs

    specs = sample_specs(seed, episodes, quick=quick)
    first = specs[0]
    return [dataclasses.replace(s, width=first.width, height=first.height, fps=first.fps,
                                opening_seed=seed, cast_seed=seed) for s in specs]


def write_season(folder: Path, seed: int, episodes: int, quick: bool = False) -> dict:
    """name -> (video path, HardEpisode); files already there are reused."""
    from celvault.evalset import plan_hard_episode

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for k, spec in enumerate(season_specs(seed, episodes, quick), start=1):
        name = f"s{seed}e{k:02d}"
        ep = plan_hard_episode(spec)
        path = folder / f"{name}.mkv"
        if not path.exists():
            partial = folder / f"{name}.partial.mkv"
            ep.write(partial)
            partial.replace(path)
        out[name] = (path, ep)
    return out


def shot_properties(ep):
    """frame index -> the properties of the shot holding it (what a false cut is blamed on)."""
    owner = [fr.shot for fr in ep.frames]
    return lambda i: ep.shots[owner[min(max(i, 0), len(owner) - 1)]].properties
