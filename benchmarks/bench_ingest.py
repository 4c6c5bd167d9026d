"""Ingest speed: a synthetic 720p, 24 fps, 5-minute episode, as a multiple of real time.

Baseline in the same run: PySceneDetect's own `detect-content` + `save-images` over the same
file (its CLI, one image per scene as it does by default, PNG).

    python benchmarks/bench_ingest.py [--seconds 300] [--width 1280 --height 720]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from common import machine, timed

from celvault.catalog import Catalog
from celvault.config import Config
from celvault.ingest import ingest_paths
from celvault.synthetic import EpisodeSpec, make_episode


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=300.0)
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--height", type=int, default=720)
    ap.add_argument("--fps", type=float, default=24.0)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="celvault-bench-ingest-"))
    res: dict[str, float] = {}
    print(f"machine: {machine()}")
    try:
        video = work / "episode.mp4"
        with timed("make synthetic episode", res):
            truth = make_episode(video, EpisodeSpec(seed=11, width=args.width, height=args.height, fps=args.fps,
                                                    duration_s=args.seconds))
        print(f"  {truth.n_frames} frames, {len(truth.shots)} shots, {video.stat().st_size / 1e6:.1f} MB")

        catalog, _ = Catalog.create(work / "cat.db")
        with timed("celvault ingest", res):
            [rep] = ingest_paths(catalog, [video], config=Config.load())
        assert rep.status == "ingested", rep
        print(f"  kept {rep.frames_kept} frames, {rep.shots} shots (truth {len(truth.shots)})")

        scenedetect = shutil.which("scenedetect") or str(Path(sys.executable).with_name("scenedetect"))
        out = work / "scenedetect"
        with timed("baseline: scenedetect detect-content save-images", res):
            subprocess.run([scenedetect, "-i", str(video), "-o", str(out), "-q", "detect-content", "save-images",
                            "--png"], check=True)
        print(f"  baseline wrote {len(list(out.glob('*.png')))} images")

        ours, base = res["celvault ingest"], res["baseline: scenedetect detect-content save-images"]
        print(f"\ncelvault ingest: {args.seconds / ours:.1f}x real time; baseline {args.seconds / base:.1f}x real time; "
              f"celvault is {base / ours:.2f}x the baseline's speed")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
