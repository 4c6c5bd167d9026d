"""Bad inputs: one-line errors naming the file; the other inputs still go in; nothing lost."""

import pytest

from celvault.catalog import Catalog
from celvault.ingest import ingest as ingest_mod

from .helpers import table


def _errors(res):
    return [l for l in res.output.splitlines() if l.startswith("Error:")]


@pytest.mark.parametrize("kind", ["empty", "text", "truncated_mp4", "truncated_mkv", "missing"])
def test_bad_input_is_named_and_others_still_ingested(cli, episodes, tmp_path, kind):
    good, truth = episodes["ep01"]
    first = cli.json("ingest", episodes["ep02"][0])[0]  # already in the catalogue
    bad = tmp_path / {"empty": "e.mkv", "text": "notes.mp4", "truncated_mp4": "cut.mp4",
                      "truncated_mkv": "cut.mkv", "missing": "nope.mkv"}[kind]
    if kind == "empty":
        bad.write_bytes(b"")
    elif kind == "text":
        bad.write_text("this is not a video\n" * 50)
    elif kind == "truncated_mp4":
        data = good.read_bytes()
        bad.write_bytes(data[: len(data) // 2])
    elif kind == "truncated_mkv":
        from celvault.synthetic import EpisodeSpec, make_episode

        full = tmp_path / "full.mkv"
        make_episode(full, EpisodeSpec(seed=5, duration_s=12.0))
        data = full.read_bytes()
        bad.write_bytes(data[: len(data) // 2])
    res = cli("ingest", bad, good, ok=False)
    assert res.exit_code == 1
    errors = _errors(res)
    assert len(errors) == 1 and str(bad) in errors[0], res.output
    assert "Traceback" not in res.output
    eps = {e["name"]: e for e in table(cli, "episodes")}
    assert set(eps) == {"ep01", "ep02"}
    assert len(table(cli, "frames", f"episode_id = '{first['episode_id']}'")) == first["frames_kept"]
    # nothing of the bad input stays behind
    known = {e["episode_id"] for e in eps.values()}
    assert {m["episode_id"] for m in table(cli, "frame_media", columns=["episode_id"])} == known


def test_missing_catalogue_is_a_clear_error(tmp_path):
    from .conftest import Cli

    res = Cli(tmp_path / "none.db")("status", ok=False)
    assert res.exit_code == 1
    assert res.output.startswith("Error:") and "celvault init" in res.output


def test_interrupted_ingest_is_invisible_and_completed_by_rerun(cli, episodes, monkeypatch):
    path, _ = episodes["ep01"]
    real_append = Catalog.append

    def crash_before_frames(self, name, data):
        if name == "frames":
            raise KeyboardInterrupt  # the process dies after media and episode rows, before frames
        return real_append(self, name, data)

    monkeypatch.setattr(Catalog, "append", crash_before_frames)
    monkeypatch.setattr(ingest_mod, "_remove_episode", lambda *a: None)  # a kill runs no cleanup
    with pytest.raises(KeyboardInterrupt):
        ingest_mod.ingest_paths(Catalog.open(cli.catalog), [path])
    monkeypatch.undo()

    assert table(cli, "frames") == []  # not visible to stages and queries
    status = cli.json("status")
    assert len(status["incomplete"]) == 1
    [rep] = cli.json("ingest", path)
    assert rep["status"] == "ingested" and "interrupted" in " ".join(rep["notes"])
    frames = table(cli, "frames", columns=["frame_id"])
    media = table(cli, "frame_media", columns=["frame_id"])
    assert len(frames) == rep["frames_kept"] == len(media) == len({m["frame_id"] for m in media})
    assert len(table(cli, "episodes")) == 1
    assert cli.json("status")["incomplete"] == []


def test_unreadable_file_and_bad_settings(cli, episodes, tmp_path):
    import os

    locked = tmp_path / "locked.mkv"
    locked.write_bytes(episodes["ep02"][0].read_bytes())
    locked.chmod(0)
    try:
        if os.access(locked, os.R_OK):  # root reads anything: make it a folder we cannot list instead
            locked.chmod(0o644)
            locked = tmp_path / "nolist"
            locked.mkdir()
            (locked / "a.png").write_bytes(b"")
            locked.chmod(0)
        res = cli("ingest", locked, episodes["ep01"][0], ok=False)
        assert res.exit_code == 1
        errors = _errors(res)
        assert len(errors) == 1 and str(locked) in errors[0] and "Traceback" not in res.output
        assert [e["name"] for e in table(cli, "episodes")] == ["ep01"]
    finally:
        locked.chmod(0o755)
    res = cli("ingest", episodes["ep02"][0], "--interval", "-1", ok=False)
    assert res.exit_code == 1 and "Error: ingest.interval: must be at least 0, got -1" in res.output


def test_all_black_video_and_one_image_folder(cli, tmp_path):
    import av
    import cv2
    import numpy as np

    black = tmp_path / "black.mp4"
    with av.open(str(black), "w") as out:
        stream = out.add_stream("libx264", rate=12)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for _ in range(24):
            out.mux(stream.encode(av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24")))
        out.mux(stream.encode())
    folder = tmp_path / "single"
    folder.mkdir()
    cv2.imwrite(str(folder / "only.png"), np.full((48, 64, 3), 120, np.uint8))
    reps = {r["name"]: r for r in cli.json("ingest", black, folder)}
    assert reps["black"]["status"] == "ingested" and reps["black"]["frames_kept"] == 0
    assert reps["single"]["frames_kept"] == 1
    assert cli.json("run", "--profile", "offline")[0]["rows"] == 1
    assert cli.json("ingest", black)[0]["status"] == "already-ingested"
