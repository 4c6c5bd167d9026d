"""A run killed at any commit point of any stage, then rerun, gives the catalogue of an
uninterrupted run: every table's rows (media bytes included) and the `runs` rows.

The kill is the catalogue's test hook: CELVAULT_TEST_KILL_AFTER_COMMITS=N makes the process
SIGKILL itself right after its Nth Lance commit, so each kill point is exact, not a timer.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import lance
import pytest

from celvault.catalog.schema import KEYS
from celvault.catalog.store import KILL_AFTER_COMMITS
from celvault.synthetic import EpisodeSpec, write_frame_folder

from .conftest import Cli

STAGES = ["dedup", "segment", "effects", "inpaint", "embed", "track", "caption", "tag", "cluster"]
OFF_OFFLINE = {"caption", "tag"}  # need models: off in the offline profile
# Columns that are times (or ids made from a time) or physical layout, not content.
NOT_CONTENT = {"run_id", "started", "finished", "fragments_done", "ingested_at"}
WHERE = ("first", "middle", "last")  # first commit, one in the middle, the one before the runs row
CONFIG = "catalog:\n  rows_per_fragment: 4\nstages:\n  cluster:\n    min_cluster_size: 3\n    min_samples: 2\n"


def _commits(db: Path) -> int:
    """Commits so far over every table (each bumps its table's version by one)."""
    return sum(lance.dataset(str(t)).version for t in db.glob("*.lance"))


def _dump(db: Path) -> dict:
    out = {}
    for path in sorted(db.glob("*.lance")):
        name = path.name[:-len(".lance")]
        rows = lance.dataset(str(path)).to_table().to_pylist()
        rows = [{k: v for k, v in r.items() if k not in NOT_CONTENT} for r in rows]
        if name == "runs":
            rows.sort(key=lambda r: (r["stage"], r.get("target") or "", r["config_id"]))
        else:
            rows.sort(key=lambda r: r[KEYS[name]])
        out[name] = rows
    return out


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """Catalogue snapshots before each stage, each stage's commit count, the final catalogue."""
    root = tmp_path_factory.mktemp("kill")
    write_frame_folder(root / "ep", EpisodeSpec(seed=6, width=320, height=180, duration_s=5.0, opening_s=0,
                                                fade=False, moving_camera_shots=0, walkers=True))
    (root / "k.yaml").write_text(CONFIG)
    cli = Cli(root / "ref.db")
    cli("init")
    cli("ingest", root / "ep", "--config", root / "k.yaml")
    before, commits = {}, {}
    for stage in STAGES:
        if stage in OFF_OFFLINE:
            continue
        before[stage] = root / f"before-{stage}.db"
        shutil.copytree(cli.catalog, before[stage])
        start = _commits(cli.catalog)
        cli("run", stage, "--profile", "offline", "--config", root / "k.yaml")
        commits[stage] = _commits(cli.catalog) - start
    ref = _dump(cli.catalog)
    assert len(ref["layers"]) > 20 and len(ref["characters"]) >= 2  # every stage had real work
    assert {r["stage"] for r in ref["runs"]} == set(STAGES) - OFF_OFFLINE
    return root, before, commits, ref


@pytest.mark.parametrize("where", WHERE)
@pytest.mark.parametrize("stage", STAGES)
def test_killed_at_a_commit_then_rerun_is_the_uninterrupted_catalogue(reference, tmp_path, stage, where):
    if stage in OFF_OFFLINE:
        pytest.skip(f"{stage} is off in the offline profile (it needs model weights)")
    root, before, commits, ref = reference
    total = commits[stage]
    assert total >= 4
    nth = {"first": 1, "middle": total // 2, "last": total - 1}[where]
    db = tmp_path / "cat.db"
    shutil.copytree(before[stage], db)
    env = {**os.environ, "CELVAULT_CATALOG": str(db), "CELVAULT_NO_PROGRESS": "1", KILL_AFTER_COMMITS: str(nth)}
    proc = subprocess.run([sys.executable, "-m", "celvault", "run", "--profile", "offline", "--config",
                           str(root / "k.yaml")], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stdout + proc.stderr
    assert _dump(db) != ref  # killed before its work was complete

    cli = Cli(db)
    cli("run", "--profile", "offline", "--config", root / "k.yaml")
    got = _dump(db)
    for table in ref:
        assert got[table] == ref[table], f"{table} differs after a kill at commit {nth} of {total} in {stage}"
    assert got.keys() == ref.keys()
