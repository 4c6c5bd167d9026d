"""One writer at a time (issue 11, items 2, 3 and 9): real processes on a small catalogue.

Two `run`s, or two `ingest`s of one file, at once leave exactly the catalogue one of them
makes alone; a writer waits (or with --no-wait fails in one line) while another holds the
lock; readers never wait; a killed writer frees the lock; a read-only catalogue gives one
line naming it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pytest

from celvault.catalog import Catalog
from celvault.catalog.schema import KEYS

CONFIG = "catalog:\n  rows_per_fragment: 8\ningest:\n  interval: 0.25\n"


def celvault(catalog, *args, wait=True, prefix=()):
    """Start `celvault ARGS` as a real process on `catalog` (offline profile, small fragments)."""
    cfg = Path(catalog).parent / "small.yaml"
    if not cfg.exists():
        cfg.write_text(CONFIG)
    env = {**os.environ, "CELVAULT_CATALOG": str(catalog), "CELVAULT_NO_PROGRESS": "1"}
    cmd = [*prefix, sys.executable, "-m", "celvault", *map(str, args)]
    if args[0] in ("ingest", "run", "status"):
        cmd += ["--profile", "offline", "--config", str(cfg)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if not wait:
        return proc
    out, err = proc.communicate(timeout=240)
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    from celvault.synthetic import EpisodeSpec, make_episode

    path = tmp_path_factory.mktemp("video") / "ep.mp4"
    make_episode(path, EpisodeSpec(seed=3, width=320, height=180, fps=12.0, duration_s=6.0, opening_s=0,
                                   moving_camera_shots=0, walkers=True, fade=False))
    return path


@pytest.fixture(scope="module")
def new_video(tmp_path_factory):
    """An episode the catalogue has not seen."""
    from celvault.synthetic import EpisodeSpec, make_episode

    path = tmp_path_factory.mktemp("video") / "ep4.mp4"
    make_episode(path, EpisodeSpec(seed=4, width=320, height=180, fps=12.0, duration_s=3.0, opening_s=0))
    return path


def add_identity(catalog) -> None:
    """One identity (cluster 0), so `characters name 0 ...` has something to name."""
    from celvault.catalog.characters import write_characters

    write_characters(Catalog.open(catalog), [{"cluster_id": 0, "name": None, "members": 0, "centroid": [1.0, 0, 0, 0],
                                              "radius": 0.1, "references": []}], 4)


@pytest.fixture(scope="module")
def ingested(tmp_path_factory, video):
    """A catalogue with the episode ingested (not run); copy it before writing."""
    cat = tmp_path_factory.mktemp("ingested") / "cat.db"
    assert celvault(cat, "init").returncode == 0
    res = celvault(cat, "ingest", video)
    assert res.returncode == 0, res.stderr
    return cat


def copy_of(catalog, dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(catalog, dest)
    (dest / "celvault-writer.lock").unlink(missing_ok=True)
    return dest


def snapshot(catalog) -> dict:
    """Every table's rows sorted by key (runs: what ran, not when), for comparing catalogues."""
    cat = Catalog.open(catalog)
    out = {}
    for table, key in KEYS.items():
        if not cat.exists(table):
            continue
        if table == "runs":
            rows = cat.read(table, ["stage", "backend", "config_id", "rows_done", "status"]).to_pylist()
            out[table] = sorted(rows, key=lambda r: (r["stage"], r["backend"], r["rows_done"]))
            continue
        rows = cat.read(table).to_pylist()
        for r in rows:
            r.pop("ingested_at", None)
        out[table] = sorted(rows, key=lambda r: r[key])
    return out


def duplicate_keys(catalog) -> dict:
    cat = Catalog.open(catalog)
    dups = {}
    for table, key in KEYS.items():
        if cat.exists(table):
            keys = cat.read(table, [key]).column(key).to_pylist()
            if len(keys) != len(set(keys)):
                dups[table] = len(keys) - len(set(keys))
    return dups


def wait_until(predicate, timeout=60.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def holder_pid(catalog) -> str:
    try:
        return (Path(catalog) / "celvault-writer.lock").read_text().split(" ")[0]
    except OSError:
        return ""


def one_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in text, text
    return lines[0]


# -- two writers at once --------------------------------------------------------------------

def test_two_runs_at_once_make_the_catalogue_of_one_run(ingested, tmp_path):
    alone = copy_of(ingested, tmp_path / "alone" / "cat.db")
    assert celvault(alone, "run").returncode == 0
    both = copy_of(ingested, tmp_path / "both" / "cat.db")
    start = Catalog.open(both).dataset("frames").version
    first = celvault(both, "run", wait=False)
    # the second starts once the first is writing (it has committed to frames)
    assert wait_until(lambda: Catalog.open(both).dataset("frames").latest_version > start), "first run never wrote"
    second = celvault(both, "run", wait=False)
    out1, err1 = first.communicate(timeout=240)
    out2, err2 = second.communicate(timeout=240)
    assert first.returncode == 0, err1
    assert second.returncode == 0, err2
    assert f"another celvault run (pid {first.pid}) is writing this catalogue; waiting..." in err2
    assert "Traceback" not in err1 + err2
    assert duplicate_keys(both) == {}
    assert snapshot(both) == snapshot(alone)
    assert "nothing to do" in out2


def test_two_ingests_of_one_file_make_one_episode(video, tmp_path):
    alone = tmp_path / "alone" / "cat.db"
    alone.parent.mkdir()
    assert celvault(alone, "init").returncode == 0
    assert celvault(alone, "ingest", video).returncode == 0
    both = tmp_path / "both" / "cat.db"
    both.parent.mkdir()
    assert celvault(both, "init").returncode == 0
    procs = [celvault(both, "ingest", video, wait=False) for _ in range(2)]
    outs = [p.communicate(timeout=240) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    said = sorted("already ingested" in out for out, _ in outs)
    assert said == [False, True], outs  # one ingested it, the other found it done
    assert duplicate_keys(both) == {}
    assert Catalog.open(both).count("episodes") == 1
    assert snapshot(both) == snapshot(alone)


# -- the lock itself --------------------------------------------------------------------------

HOLD = ("import sys, time\nfrom celvault.catalog.lock import writer_lock\n"
        "with writer_lock(sys.argv[1], 'test-holder'):\n    print('held', flush=True)\n    time.sleep(120)\n")


@pytest.fixture
def held(ingested, tmp_path):
    """A copy of the catalogue whose writer lock another process holds (killed at the end)."""
    cat = copy_of(ingested, tmp_path / "held" / "cat.db")
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(cat)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    yield cat, proc
    proc.kill()
    proc.wait()


WRITERS = [("init",), ("ingest", "{video}"), ("run",), ("run", "dedup", "--force"),
           ("characters", "name", "0", "Endou"), ("characters", "merge", "0", "1"), ("check", "--repair")]


@pytest.mark.parametrize("args", WRITERS, ids=lambda a: " ".join(a[:2]))
def test_a_second_writer_fails_in_one_line_with_no_wait(held, video, args):
    cat, holder = held
    before = snapshot(cat)
    res = celvault(cat, *[a.format(video=video) for a in args], "--no-wait")
    assert res.returncode == 1
    line = one_line(res.stderr)
    assert line.startswith(f"Error: another celvault test-holder (pid {holder.pid}) is writing catalogue {cat}")
    assert snapshot(cat) == before


def test_readers_never_wait_and_a_killed_writer_frees_the_lock(held):
    cat, holder = held
    t0 = time.time()
    assert celvault(cat, "status", "--json").returncode == 0
    assert celvault(cat, "check").returncode == 0
    assert celvault(cat, "query", "--json").returncode == 0
    assert time.time() - t0 < 60
    waiter = celvault(cat, "run", "dedup", wait=False)
    assert wait_until(lambda: "waiting" in (waiter.stderr.readline() or ""), 60)
    assert waiter.poll() is None  # still waiting for the holder
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    out, err = waiter.communicate(timeout=120)
    assert waiter.returncode == 0, err
    assert "dedup [imagehash]" in out and holder_pid(cat) == ""


# -- appends are idempotent without the lock --------------------------------------------------

def test_append_never_adds_a_key_twice(tmp_path):
    cat, _ = Catalog.create(tmp_path / "cat.db")
    rows = pa.table({"frame_id": ["a", "b", "b", "c"], "episode_id": ["e"] * 4, "frame_index": [1, 2, 2, 3]})
    assert cat.append("frames", rows) == 3
    version = cat.dataset("frames").version
    assert cat.append("frames", rows) == 0
    assert cat.dataset("frames").version == version  # nothing new: no commit at all
    more = pa.table({"frame_id": ["c", "d"], "episode_id": ["e", "e"], "frame_index": [3, 4]})
    assert cat.append("frames", more) == 1
    cat.dataset("frames").create_scalar_index("frame_id", "BTREE")  # the indexed lookup path
    assert cat.append("frames", more) == 0
    assert sorted(cat.read("frames", ["frame_id"]).column(0).to_pylist()) == ["a", "b", "c", "d"]


def test_lance_commit_conflicts_become_one_line():
    from celvault.commands.common import lance_error
    from celvault.errors import CatalogConflict, CatalogReadOnly

    err = lance_error(OSError("Retryable commit conflict for version 17: This CreateIndex transaction was "
                              "preempted by concurrent transaction CreateIndex at version 17. Please retry., "
                              "/home/runner/work/lance/rust/conflict_resolver.rs:1188:34"), "cat.db", "run")
    assert isinstance(err, CatalogConflict) and "\n" not in str(err) and "rs:1188" not in str(err)
    assert "celvault check" in str(err)
    err = lance_error(OSError("LanceError(IO): Generic LocalFileSystem error: Unable to open file "
                              "cat.db/frames.lance/_versions/3.manifest: Permission denied (os error 13)"),
                      "cat.db", "run")
    assert isinstance(err, CatalogReadOnly) and str(err).startswith("catalogue cat.db is read-only")
    other = ValueError("something else")
    assert lance_error(other, "cat.db", "run") is other


# -- a read-only catalogue ---------------------------------------------------------------------

def _read_only_prefix():
    if os.geteuid() != 0:
        return ()
    if not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv: cannot make a folder read-only for this process")
    # root ignores file modes; without these capabilities it obeys them like any user
    return ("setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--")


@pytest.mark.parametrize("args", [("ingest", "{video}"), ("run",), ("run", "dedup", "--force"),
                                  ("characters", "name", "0", "Endou")], ids=" ".join)
def test_a_read_only_catalogue_is_one_line_naming_it(ingested, tmp_path, new_video, args):
    prefix = _read_only_prefix()
    video = new_video
    cat = copy_of(ingested, tmp_path / "ro" / "cat.db")
    if args[0] == "run" and len(args) > 1:
        assert celvault(cat, "run", "dedup").returncode == 0
    if args[0] == "characters":
        add_identity(cat)
    before = snapshot(cat)
    for d in [cat, *cat.rglob("*")]:
        d.chmod(d.stat().st_mode & ~0o222)
    try:
        res = celvault(cat, *[a.format(video=video) for a in args], prefix=prefix)
        assert res.returncode == 1
        line = one_line(res.stderr)
        assert line.startswith(f"Error: catalogue {cat} is read-only") and "permission" in line
        assert video.name not in line  # the input is not blamed
        assert celvault(cat, "status", "--json", prefix=prefix).returncode == 0  # readers still work
    finally:
        for d in [cat, *cat.rglob("*")]:
            d.chmod(d.stat().st_mode | 0o200)
    assert snapshot(cat) == before
