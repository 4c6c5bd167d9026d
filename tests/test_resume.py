"""A run killed midway (a real SIGKILL after a given commit) resumes without redoing finished
fragments. tests/test_kill_every_stage.py kills every stage at several commits."""

import os
import signal
import subprocess
import sys

from celvault.catalog import Catalog
from celvault.catalog.store import KILL_AFTER_COMMITS
from celvault.synthetic import EpisodeSpec, write_frame_folder

from .helpers import table


def test_killed_run_resumes_where_it_stopped(cli, tmp_path):
    cfg = tmp_path / "small_fragments.yaml"
    cfg.write_text("catalog:\n  rows_per_fragment: 6\n")
    folder = tmp_path / "frames"
    write_frame_folder(folder, EpisodeSpec(seed=7, width=640, height=360, duration_s=40.0))
    [rep] = cli.json("ingest", folder, "--config", cfg)
    total = rep["frames_kept"]
    frames = Catalog.open(cli.catalog).dataset("frames")
    assert len(frames.get_fragments()) >= 10

    # commits: the runs row's column and row, the null columns, then one per fragment
    env = {**os.environ, "CELVAULT_CATALOG": str(cli.catalog), "CELVAULT_NO_PROGRESS": "1", KILL_AFTER_COMMITS: "6"}
    proc = subprocess.run([sys.executable, "-m", "celvault", "run", "dedup", "--config", str(cfg)], env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"

    done = Catalog.open(cli.catalog).count("frames", "phash IS NOT NULL")
    assert 0 < done < total
    committed = {r["frame_id"]: r["phash"] for r in table(cli, "frames") if r["phash"] is not None}

    [again] = cli.json("run", "dedup", "--config", cfg)
    assert again["rows"] == total - done  # finished fragments were not redone
    rows = table(cli, "frames")
    assert len(rows) == total == len({r["frame_id"] for r in rows})  # no duplicate rows
    assert all(r["phash"] is not None and r["dup_group"] is not None for r in rows)
    assert all(committed[r["frame_id"]] == r["phash"] for r in rows if r["frame_id"] in committed)
    assert cli.json("run", "dedup", "--config", cfg)[0]["status"] == "nothing-to-do"
