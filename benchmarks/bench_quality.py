"""Quality on the hard evaluation set (celvault.evalset), every metric beside its baseline.

Seasons of randomised hard episodes (sizes 480p-1080p, 24/23.976/29.97 fps, crf 18-32, cuts
between similar places, dissolves, fades, flashes, still and walking characters, close-ups,
camera moves, effects, night, letterbox), each season sharing an opening and a cast. Per
season: shot cuts by celvault's detectors and by PySceneDetect on the same files; the offline
pipeline (no weights) with scores for duplicates, layers, masks, identities and the
"X outdoors" query; TELEA inpainting on a copy as the background baseline.

    python benchmarks/bench_quality.py [--seasons 3] [--episodes 2] [--seed 2026] [--quick] [--record]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Others, machine, print_results  # noqa: E402
from quality.report import metric_rows, property_rows, record  # noqa: E402
from quality.season import cuts_by_detector, run_season  # noqa: E402

from celvault.config import Config  # noqa: E402
from celvault.quality import CutTally, HardTruth, tally_cuts  # noqa: E402
from celvault.quality.season import shot_properties, write_season  # noqa: E402

DETECTORS = ["adaptive", "transnetv2", "pyscenedetect-content", "pyscenedetect-adaptive"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seasons", type=int, default=3)
    ap.add_argument("--episodes", type=int, default=2, help="episodes per season (they share an opening)")
    ap.add_argument("--seed", type=int, default=2026, help="first season's seed; the others follow")
    ap.add_argument("--quick", action="store_true", help="small, short episodes (what the tests use)")
    ap.add_argument("--interval", type=float, default=0.25, help="ingest --interval for the pipeline run (plates want dense frames)")
    ap.add_argument("--detectors", default=",".join(DETECTORS))
    ap.add_argument("--keep", type=Path, default=None, help="keep episodes and catalogues here")
    ap.add_argument("--record", action="store_true", help="write the tables into benchmarks/RESULTS.md")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="celvault-bench-quality-"))
    others, t0 = Others(), time.perf_counter()
    print(f"machine: {machine()}; work folder {work}", flush=True)
    config = Config.load("offline", overrides={"ingest": {"interval": args.interval}})
    detectors = [d for d in args.detectors.split(",") if d]
    cut_tallies, seasons, sizes = {}, [], []
    try:
        for k in range(args.seasons):
            seed = args.seed + k
            folder = work / f"season{seed}"
            t = time.perf_counter()
            season = write_season(folder, seed, args.episodes, args.quick)
            ep0 = next(iter(season.values()))[1]
            sizes.append(f"{ep0.spec.width}x{ep0.spec.height}@{ep0.fps:.3f}")
            print(f"season {seed}: {len(season)} episodes {sizes[-1]}, "
                  f"{sum(ep.n_frames for _, ep in season.values())} frames, made in {time.perf_counter() - t:.0f} s",
                  flush=True)
            views = {name: HardTruth(ep, name) for name, (_, ep) in season.items()}
            props = {name: shot_properties(ep) for name, (_, ep) in season.items()}
            for det, found in cuts_by_detector(folder, season, config, detectors).items():
                cut_tallies.setdefault(det, CutTally()).merge(tally_cuts(found, views, props))
            print(f"  cuts done ({time.perf_counter() - t:.0f} s)", flush=True)
            seasons.append(run_season(folder, season, config))
            print(f"  pipeline and scores done ({time.perf_counter() - t:.0f} s)", flush=True)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    context = (f"{machine()}; {args.seasons} seasons x {args.episodes} episodes ({', '.join(sizes)}), "
               f"seeds {args.seed}-{args.seed + args.seasons - 1}, offline profile, ingest interval {args.interval}; "
               f"{time.perf_counter() - t0:.0f} s in all; {others}")
    cuts_table = property_rows(cut_tallies)
    metrics_table = metric_rows(cut_tallies, seasons)
    print_results("bench_quality.py", "Quality on the hard evaluation set: cut F1 per property", context, cuts_table)
    print_results("bench_quality.py", "Quality on the hard evaluation set: every metric", context, metrics_table)
    if args.record:
        record(context, cuts_table, metrics_table)


if __name__ == "__main__":
    main()
