"""`--executor ray` on a local three-node Ray cluster (ray.cluster_utils.Cluster, one CPU
each, the catalogue a local folder every node reaches): the row stages and a season's
ingest make the catalogue the local executor makes, byte for byte; a worker process killed
mid-stage (a task's, an actor's, an ingest task's) is retried and nothing is duplicated; a
driver killed between two commits of a unit resumes to the same catalogue. Without Ray,
`--executor ray` is a one-line error that says how to install it."""

from __future__ import annotations

import json
import shutil
import sys
import time

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from celvault.catalog import Catalog
from celvault.config import Config
from celvault.errors import CelvaultError
from celvault.run_options import RunOptions
from celvault.stages import ray_executor
from celvault.stages.ray_executor import KILL_MARKER, fill_rows_ray
from celvault.stages.runner import run_pipeline

from .conftest import Cli

pytestmark = pytest.mark.filterwarnings("ignore:lance is not fork-safe")  # Ray's processes exec at once

ROW_STAGES = ["dedup", "segment", "inpaint", "embed"]
EARLY = ["dedup", "segment"]  # the kill tests: a stage of tasks and one of actors (each part costs seconds)
ROWS_PER_FRAGMENT = 6
MB = 1 << 20
KEYS = {"frames": "frame_id", "frame_media": "frame_id", "layers": "layer_id", "layer_media": "layer_id",
        "episodes": "episode_id"}


@pytest.fixture(scope="module")
def cluster():
    ray = pytest.importorskip("ray")
    from ray.cluster_utils import Cluster

    t0 = time.perf_counter()
    c = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "object_store_memory": 80 * MB,
                                                      "include_dashboard": False})
    for _ in range(2):
        c.add_node(num_cpus=1, object_store_memory=80 * MB)
    ray.init(address=c.address, log_to_driver=False)
    c.wait_for_nodes()
    print(f"cluster up in {time.perf_counter() - t0:.1f}s")
    yield c
    ray.shutdown()
    c.shutdown()


@pytest.fixture(scope="module")
def season(tmp_path_factory):
    """Two short episodes, a small-fragment config, an ingested catalogue, and the serial
    (local executor) run of the row stages over a copy of it."""
    from celvault.synthetic import EpisodeSpec, make_episode

    root = tmp_path_factory.mktemp("ray")
    for name, seed in (("ep01", 4), ("ep02", 5)):
        make_episode(root / f"{name}.mp4", EpisodeSpec(seed=seed, duration_s=4.0, opening_s=0, walkers=True,
                                                      fade=False, moving_camera_shots=0))
    small = root / "small.yaml"
    small.write_text(f"catalog:\n  rows_per_fragment: {ROWS_PER_FRAGMENT}\n", encoding="utf-8")
    base = Cli(root / "base.db")
    base("init")
    base("ingest", root / "ep01.mp4", root / "ep02.mp4", "--interval", "0.25", "--config", small)
    shutil.copytree(base.catalog, root / "serial.db")
    reports = run_pipeline(_open(root / "serial.db"), _config(root), ROW_STAGES,
                           run=RunOptions(download=False, workers=1))  # the serial path, in this process
    assert all(r.status == "done" for r in reports), reports
    (root / "serial_notes.json").write_text(json.dumps([[r.stage, r.table, r.notes] for r in reports]))
    return root


def _config(root) -> Config:
    return Config.load("offline", root / "small.yaml")


def _open(path) -> Catalog:
    return Catalog.open(path, rows_per_fragment=ROWS_PER_FRAGMENT)


def _run_on_ray(monkeypatch, cluster, path, root, stages=ROW_STAGES) -> tuple[list, list]:
    """The row stages with `executor="ray"`; which stage parts reached `fill_rows_ray`."""
    calls = []

    def on_ray(catalog, stage, *args):
        calls.append(stage.name)
        return fill_rows_ray(catalog, stage, *args)

    monkeypatch.setattr(ray_executor, "fill_rows_ray", on_ray)
    run = RunOptions(download=False, executor="ray", address=cluster.address)
    return run_pipeline(_open(path), _config(root), stages, run=run), calls


def _table(cat: Catalog, name: str, drop=()) -> pa.Table:
    t = cat.read(name)
    return t.drop_columns([c for c in drop if c in t.column_names]).sort_by(KEYS[name])


MADE = {"segment": "kind != 'background'", "inpaint": "kind = 'background'"}  # layers each stage makes


def _assert_same(path, season, stages=ROW_STAGES) -> None:
    """The catalogue at `path` holds what the serial run made, byte for byte, as far as
    `stages` make it: their columns of frames, their layers and media."""
    cat, ser = _open(path), _open(season / "serial.db")
    assert ser.count("layers") > 0
    made = " OR ".join(f"({MADE[s]})" for s in stages if s in MADE) or "false"
    for name in ("frames", "layers", "layer_media"):
        mine = _table(cat, name)
        keys = mine.column(KEYS[name])
        assert len(pc.unique(keys)) == len(keys), f"{name}: duplicate keys"
        theirs = ser.read(name, mine.column_names, None if name == "frames" else made).sort_by(KEYS[name])
        assert mine.equals(theirs), name


def test_row_stages_on_ray_make_the_serial_catalogue(cluster, season, monkeypatch):
    shutil.copytree(season / "base.db", season / "ray.db")
    t0 = time.perf_counter()
    reports, calls = _run_on_ray(monkeypatch, cluster, season / "ray.db", season)
    print(f"row stages on ray: {time.perf_counter() - t0:.1f}s")
    assert set(calls) == set(ROW_STAGES)  # every row stage part went through Ray
    assert all(r.status == "done" for r in reports), reports
    assert sum(r.fragments for r in reports if r.stage == "segment") > 1
    serial_notes = json.loads((season / "serial_notes.json").read_text())
    assert [[r.stage, r.table, r.notes] for r in reports] == serial_notes  # the workers' counts reach the report
    _assert_same(season / "ray.db", season)
    runs = _open(season / "ray.db").read("runs", ["stage", "status"])
    assert set(runs.column("status").to_pylist()) == {"finished"}
    again, calls = _run_on_ray(monkeypatch, cluster, season / "ray.db", season)  # idempotent: nothing to do
    assert [r.status for r in again] == ["nothing-to-do"] * len(again) and calls == []


def test_a_worker_killed_mid_stage_is_retried_without_duplicates(cluster, season, monkeypatch, tmp_path):
    shutil.copytree(season / "base.db", tmp_path / "killed.db")
    marks = tmp_path / "marks"
    marks.mkdir()
    monkeypatch.setenv(KILL_MARKER, str(marks))  # a dedup task's worker and a segment actor die once each
    t0 = time.perf_counter()
    reports, calls = _run_on_ray(monkeypatch, cluster, tmp_path / "killed.db", season, EARLY)
    print(f"dedup and segment on ray, a task and an actor killed: {time.perf_counter() - t0:.1f}s")
    assert sorted(p.name for p in marks.iterdir()) == ["dedup.frames", "segment.frames"]
    assert all(r.status == "done" for r in reports) and calls == EARLY, reports
    _assert_same(tmp_path / "killed.db", season, EARLY)


def test_a_season_ingests_one_episode_per_task(cluster, season, monkeypatch, tmp_path):
    from celvault.ingest.ray_ingest import ingest_paths_ray

    marks = tmp_path / "marks"
    marks.mkdir()
    monkeypatch.setenv(KILL_MARKER, str(marks))  # the first episode's worker dies once
    cli = Cli(tmp_path / "ray.db")
    cli("init")
    eps = [season / "ep01.mp4", season / "ep02.mp4", season / "ep01.mp4"]  # the same content twice
    t0 = time.perf_counter()
    config = Config.load(None, season / "small.yaml", {"ingest": {"interval": 0.25}})  # as the CLI ingested
    reports = ingest_paths_ray(_open(cli.catalog), eps, config=config, address=cluster.address)
    print(f"ingest on ray: {time.perf_counter() - t0:.1f}s")
    assert [r.status for r in reports] == ["ingested", "ingested", "already-ingested"]
    assert (marks / "ingest").exists()
    cat, base = _open(cli.catalog), _open(season / "base.db")
    for name in ("frames", "frame_media", "episodes"):
        drop = ("ingested_at",)
        assert _table(cat, name, drop).equals(_table(base, name, drop)), name
    again = ingest_paths_ray(cat, eps[:2], config=config, address=cluster.address)
    assert [r.status for r in again] == ["already-ingested"] * 2


def test_without_ray_the_ray_executor_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    with pytest.raises(CelvaultError) as err:
        fill_rows_ray(None, None, None, 1, None, None)
    assert "pip install -e \".[ray]\"" in str(err.value) and "\n" not in str(err.value)


DRIVER = """
import os, signal, sys
from celvault.catalog import Catalog
from celvault.config import Config
from celvault.run_options import RunOptions
from celvault.stages import ray_executor
from celvault.stages.runner import run_pipeline

path, config, address = sys.argv[1:4]
commit = ray_executor.commit_unit
seen = []

def dies_mid_commit(catalog, stage, written):
    seen.append(stage.name)
    if seen.count("segment") == 2:  # its layers and media in, its columns not: then the driver dies
        written.columns = None
        commit(catalog, stage, written)
        os.kill(os.getpid(), signal.SIGKILL)
    commit(catalog, stage, written)

ray_executor.commit_unit = dies_mid_commit
run = RunOptions(download=False, executor="ray", address=address)
run_pipeline(Catalog.open(path, rows_per_fragment=6), Config.load("offline", config), %r, run=run)
""" % EARLY


def test_a_driver_killed_mid_commit_resumes_to_the_same_catalogue(cluster, season, monkeypatch, tmp_path):
    import subprocess

    shutil.copytree(season / "base.db", tmp_path / "resumed.db")
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", DRIVER, str(tmp_path / "resumed.db"), str(season / "small.yaml"),
                           cluster.address], capture_output=True, text=True, timeout=120)
    assert done.returncode == -9, done.stderr[-2000:]
    cat = _open(tmp_path / "resumed.db")
    assert cat.count("layers") > 0 and cat.count("frames", "segment_method IS NULL") > 0  # stopped half way
    reports, calls = _run_on_ray(monkeypatch, cluster, tmp_path / "resumed.db", season, EARLY)
    print(f"driver killed, then resumed on ray: {time.perf_counter() - t0:.1f}s")
    assert "segment" in calls and all(r.status in ("done", "nothing-to-do") for r in reports), reports
    _assert_same(tmp_path / "resumed.db", season, EARLY)
    runs = _open(tmp_path / "resumed.db").read("runs", ["stage", "target", "status"]).to_pylist()
    assert {r["status"] for r in runs} == {"finished"}
    assert len(runs) == len({(r["stage"], r["target"]) for r in runs})  # the killed run's row was taken over
