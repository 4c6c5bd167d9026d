"""The pipelined executor (worker processes compute batches, the driver commits units) makes
the serial catalogue byte for byte, and a run killed mid-stage resumes to the same catalogue."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time

import pyarrow as pa
import pytest

from celvault.catalog import Catalog
from celvault.catalog.store import KILL_AFTER_COMMITS
from celvault.stages.pipelined import worker_count

from .conftest import Cli

TABLES = {"frames": "frame_id", "layers": "layer_id", "layer_media": "layer_id", "characters": "cluster_id"}


def _tables(path) -> dict[str, pa.Table]:
    cat = Catalog.open(path)
    return {name: cat.read(name).sort_by(key) for name, key in TABLES.items() if cat.exists(name)}


def _episode(tmp_path, seed: int) -> tuple[Cli, object]:
    from celvault.synthetic import EpisodeSpec, make_episode

    rng = random.Random(seed)
    width = rng.choice([320, 384, 448])
    spec = EpisodeSpec(seed=seed, width=width, height=width * 9 // 16, duration_s=rng.uniform(5.0, 7.0),
                       opening_s=0, walkers=True, fade=rng.random() < 0.5, moving_camera_shots=rng.randint(0, 1))
    make_episode(tmp_path / "ep.mp4", spec)
    small = tmp_path / "small.yaml"
    small.write_text("catalog:\n  rows_per_fragment: 6\nstages:\n  cluster:\n    min_cluster_size: 3\n",
                     encoding="utf-8")
    cli = Cli(tmp_path / "serial.db")
    cli("init")
    cli("ingest", tmp_path / "ep.mp4", "--interval", "0.25", "--config", small)
    return cli, small


@pytest.mark.parametrize("seed", [random.Random().randrange(10_000)])
def test_two_workers_make_the_serial_catalogue(tmp_path, seed):
    serial, small = _episode(tmp_path, seed)
    piped = Cli(tmp_path / "piped.db")
    shutil.copytree(serial.catalog, piped.catalog)
    serial("run", "--profile", "offline", "--config", small, "--workers", "1")
    reports = piped.json("run", "--profile", "offline", "--config", small, "--workers", "2")
    assert any(r["stage"] == "segment" and r["rows"] > 0 and r["fragments"] > 1 for r in reports), seed

    ours, theirs = _tables(piped.catalog), _tables(serial.catalog)
    assert ours.keys() == theirs.keys() and theirs["layers"].num_rows > 0, seed  # characters: when any
    for name in ours:
        assert ours[name].equals(theirs[name]), (seed, name)
    # the run report counts what the workers did, as the serial one does
    serial_notes = [r["notes"] for r in serial.json("run", "segment", "--profile", "offline", "--config", small,
                                                    "--force", "--workers", "1")]
    piped_notes = [r["notes"] for r in piped.json("run", "segment", "--profile", "offline", "--config", small,
                                                  "--force", "--workers", "2")]
    assert piped_notes == serial_notes and serial_notes[0], seed


def test_a_killed_pipelined_run_resumes_to_the_serial_catalogue(tmp_path):
    serial, small = _episode(tmp_path, 11)
    serial("run", "dedup", "--profile", "offline", "--config", small)
    killed = Cli(tmp_path / "killed.db")
    shutil.copytree(serial.catalog, killed.catalog)
    serial("run", "segment", "--profile", "offline", "--config", small, "--workers", "1")

    # commits: the runs row, the declared columns, then up to three per unit (media, layers, columns)
    env = {**os.environ, "CELVAULT_CATALOG": str(killed.catalog), "CELVAULT_NO_PROGRESS": "1",
           KILL_AFTER_COMMITS: "5"}
    status, workers = _run_watching_children([sys.executable, "-m", "celvault", "run", "segment", "--profile",
                                              "offline", "--config", str(small), "--workers", "2"], env)
    assert status == -signal.SIGKILL, "the run finished before it could be killed"
    assert workers and not _still_running(workers), "worker processes outlived their killed driver"
    cat = Catalog.open(killed.catalog)
    done, total = cat.count("frames", "segment_config IS NOT NULL"), serial_total(serial)
    assert 0 < done < total

    [again] = killed.json("run", "segment", "--profile", "offline", "--config", small, "--workers", "2")
    assert again["rows"] == total - done  # committed units were not redone
    ours, theirs = _tables(killed.catalog), _tables(serial.catalog)
    for name in ("frames", "layers", "layer_media"):
        assert ours[name].equals(theirs[name]), name


def _children(pid: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat") as f:
                if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                    found.add(int(entry))
        except (OSError, ValueError, IndexError):
            continue
    return found


def _run_watching_children(args, env) -> tuple[int, set[int]]:
    """(exit status, pids of the processes it started), polling while it runs."""
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    children: set[int] = set()
    while proc.poll() is None:
        children |= _children(proc.pid)
        time.sleep(0.05)
    return proc.returncode, children


def _still_running(pids: set[int], wait_s: float = 5.0) -> set[int]:
    deadline = time.monotonic() + wait_s
    while True:
        alive = {p for p in pids if os.path.exists(f"/proc/{p}") and not _zombie(p)}
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.2)


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def serial_total(cli: Cli) -> int:
    return Catalog.open(cli.catalog).count("frames", "segment_config IS NOT NULL")


def test_workers_default_to_the_cores_when_there_is_enough_to_share():
    assert worker_count(3, rows=1, batch_size=8) == 3  # asked for: always
    assert worker_count(None, rows=1, batch_size=8) == 1  # one batch: no processes to start
    assert worker_count(None, rows=10_000, batch_size=8) == len(os.sched_getaffinity(0))
