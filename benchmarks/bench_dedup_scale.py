"""Dedup of one new 2,000-frame episode against 1,000,000 stored hashes.

Builds a catalogue whose frames table holds 1,000,000 already-deduplicated rows (random
64-bit hashes, every one its own representative: the worst case for the group search), then
ingests a real episode of about 2,000 kept 1280x720 frames (a synthetic video ingested with
interval 0, so frames are stored as celvault stores them) and runs `dedup` on it.
Prints the hashing time (hashes, sharpness and the 64x36 colour thumbnail that confirms a
hash match), the grouping time against the million stored hashes (candidates confirmed on
thumbnails), and, as the baseline, the same search done by a vectorised brute-force popcount
over all pairs. The stored rows have no thumbnail, like a catalogue hashed before thumbnails
existed: a candidate among them would be confirmed by decoding its stored frame.

    python benchmarks/bench_dedup_scale.py [--stored 1000000] [--new 2000]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa

from common import machine, timed

from celvault.catalog import Catalog
from celvault.config import Config
from celvault.stages.dedup import DedupStage
from celvault.stages.hamming import popcount
from celvault.ingest import ingest_paths
from celvault.stages.runner import run_stage
from celvault.synthetic import EpisodeSpec, make_episode


def stored_rows(n: int, seed: int = 0) -> pa.Table:
    rng = np.random.default_rng(seed)
    ids = [f"{'0' * 15}{e % 10}-f{i:07d}" for e, i in zip(range(n), range(n))]
    u64 = lambda: rng.integers(0, 2**63, size=n, dtype=np.int64).astype(np.uint64) * np.uint64(2) + np.uint64(1)
    return pa.table({
        "frame_id": ids, "episode_id": [i[:16] for i in ids],
        "shot_index": pa.array(np.zeros(n, np.int32)), "frame_index": pa.array(np.arange(n)),
        "time_s": pa.array(np.arange(n) / 24.0), "width": pa.array(np.full(n, 1280, np.int32)),
        "height": pa.array(np.full(n, 720, np.int32)),
        "phash": pa.array(u64(), pa.uint64()), "dhash": pa.array(u64(), pa.uint64()),
        "sharpness": pa.array(rng.random(n).astype(np.float32) * 500),
        "dup_group": ids, "dup_of": pa.nulls(n, pa.string()), "dedup_config": ["bench"] * n,
    })


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stored", type=int, default=1_000_000)
    ap.add_argument("--new", type=int, default=2000)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="celvault-bench-dedup-"))
    res: dict[str, float] = {}
    print(f"machine: {machine()}")
    try:
        config = Config.load()
        catalog, _ = Catalog.create(work / "cat.db")
        stage = DedupStage(config.stage("dedup"))
        catalog.ensure_columns("frames", stage.declared_columns())
        with timed(f"write {args.stored} stored rows", res):
            catalog.append("frames", stored_rows(args.stored))
        video = work / "new_episode.mp4"
        with timed("make the new episode", res):
            make_episode(video, EpisodeSpec(seed=21, width=1280, height=720, fps=24.0, duration_s=args.new / 24.0 * 2.3))
        with timed("ingest it, keeping every distinct frame (interval 0)", res):
            [rep] = ingest_paths(catalog, [video], config=Config.load(overrides={"ingest": {"interval": 0.0}}))
        print(f"  new episode: {rep.frames_kept} frames")
        with timed("run dedup on the new episode", res):
            report = run_stage(catalog, stage)
        print(f"  hashing + sharpness: {report.fill_seconds:.2f} s for {report.rows} frames "
              f"({report.rows / report.fill_seconds:.0f} frames/s)")
        print(f"  grouping against {args.stored} stored hashes (read, search, confirm, write): {report.link_seconds:.2f} s")
        linked = catalog.dataset("frames").count_rows(f"episode_id = '{rep.episode_id}' AND dup_of IS NOT NULL")
        print(f"  {linked} of the new frames linked as duplicates (confirmed on thumbnails)")

        # baseline: the same search as a brute-force vectorised popcount over every pair
        frames = catalog.dataset("frames")
        new = frames.to_table(columns=["phash"], filter=f"episode_id = '{rep.episode_id}'")["phash"].to_numpy()
        stored = frames.to_table(columns=["phash"], filter=f"episode_id != '{rep.episode_id}'")["phash"].to_numpy()
        with timed("baseline: brute-force popcount over all pairs", res):
            hits = sum(int((popcount(stored ^ q) <= 6).sum()) for q in new)
        print(f"  baseline found {hits} stored matches")
        print(f"\ndedup of {report.rows} new frames against {args.stored} stored: {report.seconds:.2f} s total; "
              f"grouping {report.link_seconds:.2f} s vs brute force {res['baseline: brute-force popcount over all pairs']:.2f} s "
              f"({res['baseline: brute-force popcount over all pairs'] / report.link_seconds:.1f}x)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
