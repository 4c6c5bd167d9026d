"""Idle rerun on a 10,000-frame catalogue: `celvault run` with nothing missing.

Builds a catalogue of 10 episodes x 1,000 frames (small synthetic images written straight to
the tables), runs every stage once (the baseline: the same call with everything missing),
with the offline profile, the stages that need no downloaded weights, then times the same call
again with nothing missing: in-process (median of 5) and as a whole
`celvault run` process.

    python benchmarks/bench_idle_rerun.py [--frames 10000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import pyarrow as pa

from common import machine, timed

from celvault.catalog import Catalog
from celvault.catalog.ids import frame_id
from celvault.config import Config
from celvault.stages.runner import run_pipeline


def fill_catalog(catalog: Catalog, n_frames: int, per_episode: int = 1000) -> None:
    rng = np.random.default_rng(0)
    for e in range(max(1, n_frames // per_episode)):
        eid = f"{e:016x}"
        frames, media = [], []
        for i in range(per_episode):
            img = cv2.resize(rng.integers(0, 255, (9, 16, 3), dtype=np.uint8), (160, 90), interpolation=cv2.INTER_NEAREST)
            fid = frame_id(eid, i)
            frames.append({"frame_id": fid, "episode_id": eid, "shot_index": i // 50, "frame_index": i,
                           "time_s": i / 24.0, "width": 160, "height": 90})
            media.append({"frame_id": fid, "episode_id": eid, "format": "png",
                          "data": cv2.imencode(".png", img)[1].tobytes()})
        catalog.append("frame_media", pa.Table.from_pylist(media))
        catalog.append("episodes", pa.Table.from_pylist([{"episode_id": eid, "name": f"ep{e:02d}",
                                                          "frames_kept": per_episode, "source_kind": "frames"}]))
        catalog.append("frames", pa.Table.from_pylist(frames))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=10_000)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="celvault-bench-idle-"))
    res: dict[str, float] = {}
    print(f"machine: {machine()}")
    try:
        config = Config.load("offline")  # every stage that runs without downloaded weights
        catalog, _ = Catalog.create(work / "cat.db")
        with timed(f"build a {args.frames}-frame catalogue", res):
            fill_catalog(catalog, args.frames)
        with timed("baseline: first run, everything missing", res):
            reports = run_pipeline(catalog, config)
        print("  " + ", ".join(f"{r.stage}: {r.rows} rows" for r in reports))
        idle = []
        for _ in range(5):
            t0 = time.perf_counter()
            reports = run_pipeline(catalog, config)
            idle.append(time.perf_counter() - t0)
            assert all(r.status in ("nothing-to-do", "off") for r in reports)
        res["idle rerun (in process, median of 5)"] = statistics.median(idle)
        print(f"  idle rerun (in process, median of 5): {res['idle rerun (in process, median of 5)']:.3f} s")
        cli = str(Path(sys.executable).with_name("celvault"))
        env = {**os.environ, "CELVAULT_CATALOG": str(catalog.path)}
        with timed("idle rerun (whole `celvault run` process)", res):
            out = subprocess.run([cli, "run", "-q", "--profile", "offline"], env=env, check=True, capture_output=True, text=True).stdout
        print("  " + out.strip().replace("\n", "; "))
        base = res["baseline: first run, everything missing"]
        print(f"\nidle rerun on {args.frames} frames: {res['idle rerun (in process, median of 5)']:.3f} s in process, "
              f"{res['idle rerun (whole `celvault run` process)']:.2f} s as a command; "
              f"first run {base:.1f} s ({base / res['idle rerun (in process, median of 5)']:.0f}x the idle rerun)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
