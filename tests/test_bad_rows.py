"""One bad row never stops a stage: it is recorded (`<stage>_error`), reported, listed by
`status`, left alone by a plain rerun and retried by `--redo`. A stage that crashes as a
whole still lets the summaries of the stages before it be printed, then one Error line."""

from __future__ import annotations

import pyarrow as pa
import pytest

from celvault.catalog import Catalog
from celvault.synthetic import EpisodeSpec, write_frame_folder

from .helpers import table

SPEC = EpisodeSpec(seed=6, width=320, height=180, duration_s=5.0, opening_s=0, fade=False, moving_camera_shots=0,
                   walkers=True)


@pytest.fixture
def ingested(cli, tmp_path):
    write_frame_folder(tmp_path / "ep", SPEC)
    cli("ingest", tmp_path / "ep")
    return cli


def _replace_media(cli, frame_id: str, data: bytes) -> bytes:
    cat = Catalog.open(cli.catalog)
    [row] = cat.read("frame_media", where=f"frame_id = '{frame_id}'").to_pylist()
    cat.delete("frame_media", f"frame_id = '{frame_id}'")
    cat.append("frame_media", pa.Table.from_pylist([{**row, "data": data}]))
    return row["data"]


def test_a_bad_frame_is_recorded_reported_and_retried_by_redo(ingested):
    cli = ingested
    frames = sorted(r["frame_id"] for r in table(cli, "frames"))
    bad = frames[len(frames) // 2]
    good_bytes = _replace_media(cli, bad, b"this is not an image")

    [rep] = cli.json("run", "dedup")
    assert rep["status"] == "done" and rep["rows"] == len(frames) and rep["errors"] == 1
    assert any(n.startswith("1 rows failed (frames.dedup_error") and bad in n for n in rep["notes"])
    rows = {r["frame_id"]: r for r in table(cli, "frames")}
    assert rows[bad]["phash"] is None and rows[bad]["dedup_error"] and rows[bad]["dedup_config"]
    others = [r for k, r in rows.items() if k != bad]
    assert all(r["phash"] is not None and r["dup_group"] is not None and r["dedup_error"] is None for r in others)

    text = cli("run", "dedup").output  # a plain rerun does not retry it forever
    assert "dedup: nothing to do" in text
    info = cli.json("status")
    [err] = info["errors"]
    assert err["stage"] == "dedup" and err["rows"] == 1 and err["examples"][0].startswith(bad)
    assert "dedup: 1 frames rows failed" in cli("status").output

    _replace_media(cli, bad, good_bytes)
    [again] = cli.json("run", "dedup", "--redo")
    assert again["rows"] == 1 and again["errors"] == 0
    [row] = table(cli, "frames", f"frame_id = '{bad}'")
    assert row["phash"] is not None and row["dup_group"] is not None and row["dedup_error"] is None
    assert cli.json("status")["errors"] == []


def test_a_bad_layer_image_fails_that_layer_only(ingested):
    cli = ingested
    cli("run", "dedup", "segment", "--profile", "offline")
    layers = sorted(r["layer_id"] for r in table(cli, "layers", "kind = 'character'"))
    assert len(layers) >= 4
    cat = Catalog.open(cli.catalog)
    bad = layers[1]
    [row] = cat.read("layer_media", where=f"layer_id = '{bad}'").to_pylist()
    cat.delete("layer_media", f"layer_id = '{bad}'")
    cat.append("layer_media", pa.Table.from_pylist([{**row, "data": b"\x89PNG broken"}]))
    reps = cli.json("run", "embed", "--profile", "offline")
    by_table = {r["table"]: r for r in reps}
    assert by_table["layers"]["errors"] == 1 and by_table["frames"]["errors"] == 0
    done = {r["layer_id"]: r for r in table(cli, "layers", "kind = 'character'")}
    assert done[bad]["embedding"] is None and done[bad]["embed_error"]
    assert all(r["embedding"] is not None for k, r in done.items() if k != bad)


def test_a_crashing_stage_still_shows_the_stages_before_it(ingested, monkeypatch):
    from celvault.stages.cluster import ClusterStage

    def boom(self, *a, **kw):
        raise RuntimeError("the whole stage broke")

    monkeypatch.setattr(ClusterStage, "apply", boom)
    res = ingested("run", "--profile", "offline", ok=False)
    assert res.exit_code == 1
    lines = res.output.strip().splitlines()
    assert any(line.startswith("dedup [imagehash]:") for line in lines)
    assert any(line.startswith("embed [palette]:") for line in lines)
    assert lines[-1] == ("Error: stage cluster failed: RuntimeError: the whole stage broke "
                         "(the stages before it are saved; `celvault run` resumes)")
    assert "Traceback" not in res.output
