"""`celvault check [--repair]` and what `status` says about it (issue 11, item 3), and the
status of an episode whose ingest is under way (header and row agree)."""

from __future__ import annotations

import lance
import pyarrow as pa
import pytest

from celvault.catalog import Catalog
from celvault.catalog.characters import member_counts, read_characters, write_characters
from celvault.catalog.fill import write_columns

from .conftest import Cli
from .test_writer_lock import CONFIG, copy_of, snapshot


@pytest.fixture(scope="module")
def run_catalog(tmp_path_factory):
    """A small video ingested and run through the offline pipeline (read-only: copy it)."""
    from celvault.synthetic import EpisodeSpec, make_episode

    root = tmp_path_factory.mktemp("check")
    video = root / "ep.mp4"
    make_episode(video, EpisodeSpec(seed=3, width=320, height=180, fps=12.0, duration_s=6.0, opening_s=0,
                                    moving_camera_shots=0, walkers=True, fade=False))
    (root / "small.yaml").write_text(CONFIG)
    cli = Cli(root / "cat.db")
    cli("init")
    cli("ingest", video, "--profile", "offline", "--config", root / "small.yaml")
    cli("run", "--profile", "offline", "--config", root / "small.yaml")
    return root / "cat.db"


def raw_append(cat: Catalog, table: str, rows: pa.Table) -> None:
    """What a second writer without the lock did: Lance's own append, no key check."""
    lance.write_dataset(rows, cat.uri(table), mode="append")


def test_check_finds_and_repairs_every_kind_of_problem(run_catalog, tmp_path):
    path = copy_of(run_catalog, tmp_path / "cat.db")
    cli = Cli(path)
    assert cli("check").output.strip() == f"{path}: no problems found"
    cat = Catalog.open(path)
    base = snapshot(path)
    layers = cat.read("layers", ["layer_id", "frame_id"]).to_pylist()
    assert layers, "the run made no layers to test with"
    # duplicates in every row table
    for table in ("episodes", "frames", "frame_media", "layers", "layer_media"):
        raw_append(cat, table, cat.read(table).slice(0, 2))
    # orphan media
    raw_append(cat, "frame_media", cat.read("frame_media").slice(0, 1).set_column(
        0, "frame_id", pa.array(["orphan-frame"])))
    raw_append(cat, "layer_media", cat.read("layer_media").slice(0, 1).set_column(
        0, "layer_id", pa.array(["orphan-layer"])))
    # a frame with layers stops being its group's representative (dedup redone after segment)
    demoted = layers[-1]["frame_id"]
    other = next(r["frame_id"] for r in cat.read("frames", ["frame_id"]).to_pylist() if r["frame_id"] != demoted)
    write_columns(cat.dataset("frames"), "frame_id", pa.table({"frame_id": [demoted], "dup_of": [other]}))
    demoted_layers = sorted(r["layer_id"] for r in layers if r["frame_id"] == demoted)
    # a stale member count
    known = read_characters(cat) or [{"cluster_id": 0, "name": None, "members": 0, "centroid": [1.0, 0, 0, 0],
                                      "radius": 0.1, "references": []}]
    known[0]["members"] += 7
    write_characters(cat, known, len(known[0]["centroid"]))

    status = cli.json("status", "--profile", "offline")
    assert any("layer_ids present more than once" in n for n in status["check"])
    assert any("member count differs" in n for n in status["check"])
    assert "celvault check --repair" in cli("status", "--profile", "offline").output

    versions = cat.versions()
    res = cli("check", ok=False)
    assert res.exit_code == 1
    for kind in ("duplicate-ids: episodes", "duplicate-ids: frames", "duplicate-ids: frame_media",
                 "duplicate-ids: layers", "duplicate-ids: layer_media", "orphan-media: frame_media",
                 "orphan-media: layer_media", "non-representative-layers: layers", "stale-members: characters"):
        assert kind in res.output, (kind, res.output)
    assert cat.versions() == versions  # check alone writes nothing
    found = {(p["kind"], p["table"]): p for p in cli.json("check", ok=False)["problems"]}
    assert found[("duplicate-ids", "layers")]["count"] == 2
    assert found[("non-representative-layers", "layers")]["count"] == len(demoted_layers)
    assert found[("orphan-media", "layer_media")]["keys"] == ["orphan-layer"]

    res = cli("check", "--repair")
    assert res.output.strip().endswith("no problems found after repair")
    assert cli("check").exit_code == 0 and cli.json("status", "--profile", "offline")["check"] == []

    after = snapshot(path)
    for table in ("episodes", "frame_media", "layer_media", "layers"):
        expect = [r for r in base[table] if table in ("episodes", "frame_media") or r["layer_id"] not in demoted_layers]
        assert after[table] == expect, table
    assert [r["frame_id"] for r in after["frames"]] == [r["frame_id"] for r in base["frames"]]
    counts = member_counts(Catalog.open(path))
    assert all(r["members"] == counts.get(r["cluster_id"], 0) for r in read_characters(Catalog.open(path)))


def test_status_header_and_rows_agree_while_an_ingest_is_under_way(run_catalog, tmp_path):
    path = copy_of(run_catalog, tmp_path / "cat.db")
    cat = Catalog.open(path)
    kept = cat.count("frames")
    # the moment between an ingest's episodes commit and its frames commit
    cat.delete("frames", "frame_id IS NOT NULL")
    cli = Cli(path)
    st = cli.json("status", "--profile", "offline")
    [ep] = st["episodes"]
    assert st["frames"] == ep["frames_kept"] == 0
    assert ep["frames_expected"] == kept and st["incomplete"] == [ep["episode_id"]]
    text = " ".join(cli("status", "--profile", "offline").output.split())
    assert "1 episodes, 0 frames" in text and f"{kept} frames expected" in text
