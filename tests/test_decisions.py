"""Manual identity decisions (catalog/identity_edits.py, catalog/decisions.py) on a real
offline catalogue: each changes exactly what it should, undo restores the state exactly,
`run cluster` (incremental and --recluster) keeps them, junk leaves queries, counts and
exports, and a stage running at the same time loses nothing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import Cli
from .helpers import table
from .small_catalog import build_small_catalog

STATE = ["layer_id", "cluster_id", "cluster_manual", "not_character", "cluster_config"]


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    root = tmp_path_factory.mktemp("decisions")
    build_small_catalog(root)
    return root


@pytest.fixture
def cli(small, tmp_path) -> Cli:
    c = Cli(tmp_path / "cat.db")
    shutil.copytree(small / "cat.db", c.catalog)
    (tmp_path / "small.yaml").write_text((small / "small.yaml").read_text())
    return c


def _layers(cli) -> dict[str, dict]:
    rows = table(cli, "layers", "kind = 'character'")
    return {r["layer_id"]: {k: r.get(k) for k in STATE} for r in rows}


def _members(cli) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for lid, r in sorted(_layers(cli).items()):
        out.setdefault(r["cluster_id"], []).append(lid)
    return out


def _state(cli):
    layers = {k: {c: v for c, v in r.items() if c not in ("cluster_manual", "not_character") or v}
              for k, r in _layers(cli).items()}
    frames = {r["frame_id"]: r["characters"] for r in table(cli, "frames", columns=["frame_id", "characters"])}
    chars = sorted(table(cli, "characters"), key=lambda r: r["cluster_id"])
    return layers, frames, chars


def _check_clean(cli):
    assert cli.json("check")["problems"] == []


def test_move_split_mark_change_exactly_their_layers_and_undo_restores(cli):
    before_all = _state(cli)
    members = _members(cli)
    assert sorted(members) == [0, 1] and min(len(m) for m in members.values()) >= 8
    a, b = members[0], members[1]
    cli("characters", "name", 0, "Alice")
    named = _state(cli)

    done = cli.json("characters", "split", *a[:3], "--name", "Bob")
    assert done["cluster_id"] == 2 and done["members"] == 3 and done["from"] == {"0": 3}
    after = _layers(cli)
    assert {lid for lid, r in after.items() if r["cluster_id"] == 2} == set(a[:3])
    assert all(after[l]["cluster_manual"] for l in a[:3])
    changed = {lid for lid in after if after[lid] != {**named[0][lid], "cluster_manual": named[0][lid].get(
        "cluster_manual"), "not_character": named[0][lid].get("not_character")}}
    assert changed == set(a[:3])
    chars = {r["cluster_id"]: r for r in table(cli, "characters")}
    assert chars[2]["name"] == "Bob" and chars[2]["members"] == 3 and chars[0]["members"] == len(a) - 3

    cli("characters", "move", b[0], "--to", "Alice")
    assert _layers(cli)[b[0]]["cluster_id"] == 0
    frame = table(cli, "layers", f"layer_id = '{b[0]}'")[0]["frame_id"]
    assert 0 in table(cli, "frames", f"frame_id = '{frame}'")[0]["characters"]

    cli("characters", "junk", "Bob")
    listed = cli.json("characters", "list")
    assert sorted(r["cluster_id"] for r in listed["characters"]) == [0, 1] and listed["unassigned"] == 0
    assert sum(r["members"] for r in listed["characters"]) == len(a) + len(b) - 3
    _check_clean(cli)

    for expected in ("junk", "move", "split"):
        assert cli.json("characters", "undo")["undone"] == {"junk": "mark"}.get(expected, expected)
    assert _state(cli) == named
    assert cli.json("characters", "undo")["undone"] == "name"
    assert _state(cli) == before_all
    res = cli("characters", "undo", ok=False)
    assert res.exit_code == 1 and "Error: no manual decision left to undo" in res.output
    _check_clean(cli)


def test_errors_are_one_line(cli):
    for args, text in ((("characters", "move", "nope", "--to", "0"), "no character layer with id nope"),
                       (("characters", "move", _members(cli)[0][0], "--to", "Zed"), "'Zed' is not a known character"),
                       (("characters", "junk"), "name a CHARACTER or --layer"),
                       (("duplicates", "unlink", "nope"), "no frame with id 'nope'")):
        res = cli(*args, ok=False)
        assert res.exit_code == 1 and res.output.strip().startswith("Error: ") and text in res.output, res.output


def test_run_cluster_and_recluster_keep_manual_decisions(cli, tmp_path):
    members = _members(cli)
    a, b = members[0], members[1]
    cli("characters", "name", 1, "Carl")
    cli("characters", "split", *a[:3], "--name", "Bob")
    cli("characters", "move", b[0], "--to", "0")
    cli("characters", "junk", "--layer", b[1], "--layer", b[2])
    placed = {lid: r["cluster_id"] for lid, r in _layers(cli).items()}
    for extra in ([], ["--recluster"]):
        cli("run", "cluster", "--profile", "offline", "--config", tmp_path / "small.yaml", *extra)
        now = _layers(cli)
        assert [now[l]["cluster_id"] for l in a[:3]] == [2, 2, 2]
        assert now[b[0]]["cluster_id"] == 0
        assert now[b[1]]["cluster_id"] == now[b[2]]["cluster_id"] == -1 and now[b[1]]["not_character"]
        names = {r["cluster_id"]: r["name"] for r in cli.json("characters", "list")["characters"]}
        assert names == {0: None, 1: "Carl", 2: "Bob"}
        assert {lid: r["cluster_id"] for lid, r in now.items()} == placed
        _check_clean(cli)


def test_junk_leaves_queries_counts_and_exports(cli, tmp_path):
    b = _members(cli)[1]
    cli("characters", "name", 1, "Carl")
    before = {r["layer_id"] for r in cli.json("query", "--layers", "--limit", "1000")["rows"]}
    assert set(b) <= before
    cli("characters", "junk", "--layer", b[0], "--layer", b[1])
    after = {r["layer_id"] for r in cli.json("query", "--layers", "--limit", "1000")["rows"]}
    assert after == before - set(b[:2])
    carl = {r["layer_id"] for r in cli.json("query", "--layers", "--character", "Carl", "--limit", "1000")["rows"]}
    assert carl == set(b[2:])
    counts = {r["name"]: r["members"] for r in cli.json("characters", "list")["characters"]}
    assert counts["Carl"] == len(b) - 2
    out = tmp_path / "lora"
    cli("export", "lora", out, "--character", "Carl", "--trigger", "carl")
    exported = sorted(p.stem for p in out.rglob("*.png"))
    assert len(exported) == len(b) - 2 and not any(x in s for s in exported for x in b[:2])
    cli("characters", "junk", "--layer", b[0], "--undo")
    assert _layers(cli)[b[0]]["not_character"] is False and _layers(cli)[b[0]]["cluster_id"] == -1
    assert cli.json("characters", "list")["unassigned"] == 1
    _check_clean(cli)


def test_a_stage_and_a_manual_action_at_once_lose_nothing(cli, tmp_path):
    a = _members(cli)[0]
    env = {**os.environ, "CELVAULT_CATALOG": str(cli.catalog), "CELVAULT_NO_PROGRESS": "1"}
    stage = subprocess.Popen([sys.executable, "-m", "celvault", "run", "embed", "--force", "--profile", "offline",
                              "--json"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lock = cli.catalog / "celvault-writer.lock"
    for _ in range(200):  # until the stage holds the writer lock (or has finished)
        if stage.poll() is not None or (lock.exists() and "run" in lock.read_text()):
            break
        time.sleep(0.05)
    cli("characters", "split", *a[:2], "--name", "Bob")  # waits for the writer lock while the stage holds it
    out, err = stage.communicate(timeout=300)
    assert stage.returncode == 0, err
    assert any(r["stage"] == "embed" for r in __import__("json").loads(out[out.index("["):]))
    now = _layers(cli)
    assert [now[l]["cluster_id"] for l in a[:2]] == [2, 2]
    assert all(r["embed_model"] for r in table(cli, "layers", "kind = 'character'"))
    assert {r["name"] for r in table(cli, "characters")} >= {"Bob"}
    _check_clean(cli)
