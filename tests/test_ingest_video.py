"""Video ingest against the synthetic episodes' ground truth."""

import numpy as np

from celvault.synthetic import render_frame

from .helpers import decode, frames_of, table, version


def _ingest(cli, path):
    [rep] = cli.json("ingest", path)
    assert rep["status"] == "ingested", rep
    return rep


def test_shots_held_frames_and_interval(cli, episodes):
    path, truth = episodes["ep01"]
    rep = _ingest(cli, path)
    assert rep["frame_count"] == truth.n_frames
    rows = frames_of(cli, rep["episode_id"])
    assert rep["frames_kept"] == len(rows) > 0
    assert rep["shots"] == len(truth.shots)

    # every kept frame: not black, not a held copy, in the truth shot its shot index says
    shot_map = {}
    for r in rows:
        ft = truth.frames[r["frame_index"]]
        assert ft.fade_factor > 0
        assert not ft.held or r["frame_index"] == truth.shots[ft.shot].start_frame
        shot_map.setdefault(r["shot_index"], set()).add(ft.shot)
        assert abs(r["time_s"] - ft.time_s) < 1e-3
    assert all(len(s) == 1 for s in shot_map.values()), shot_map  # detected shots never mix truth shots
    assert sorted(next(iter(s)) for s in shot_map.values()) == list(range(len(truth.shots)))

    # the first kept frame of each shot is the shot's first visible frame
    for shot in truth.shots:
        visible = [f.index for f in truth.frames[shot.start_frame:shot.end_frame] if f.fade_factor > 0.06]
        first = min(r["frame_index"] for r in rows if truth.frames[r["frame_index"]].shot == shot.index)
        assert first <= visible[0], (shot, first)

    # at most one frame per interval (1 s) within a shot, after the first
    by_shot = {}
    for r in rows:
        by_shot.setdefault(r["shot_index"], []).append(r["time_s"])
    for times in by_shot.values():
        assert all(b - a >= 1.0 - 1e-6 for a, b in zip(times, times[1:]))
    # moving shots longer than 2 s keep more than their first frame
    for shot in truth.shots:
        if shot.n_frames / truth.fps > 2.2 and shot.characters:
            assert sum(1 for r in rows if truth.frames[r["frame_index"]].shot == shot.index) >= 2


def test_frames_stored_losslessly(cli, episodes):
    path, truth = episodes["ep01"]
    rep = _ingest(cli, path)
    media = {m["frame_id"]: m for m in table(cli, "frame_media", f"episode_id = '{rep['episode_id']}'")}
    rows = frames_of(cli, rep["episode_id"])
    assert set(media) == {r["frame_id"] for r in rows}
    for r in rows[:: max(1, len(rows) // 6)]:
        m = media[r["frame_id"]]
        assert m["format"] == "png"
        img = decode(m["data"])
        assert img.shape == (180, 320, 3) == (r["height"], r["width"], 3)
        want = render_frame(truth.spec, truth, r["frame_index"]).rgb
        assert np.abs(img.astype(int) - want).mean() < 4.0  # only the video codec's loss


def test_reingest_is_a_noop_that_says_so(cli, episodes):
    path, _ = episodes["ep01"]
    first = _ingest(cli, path)
    versions = {t: version(cli, t) for t in ("episodes", "frames", "frame_media")}
    res = cli("ingest", path)
    assert "already ingested" in res.output
    [again] = cli.json("ingest", path)
    assert again["status"] == "already-ingested" and again["episode_id"] == first["episode_id"]
    assert {t: version(cli, t) for t in versions} == versions


def test_new_episode_touches_no_existing_rows(cli, episodes):
    a = _ingest(cli, episodes["ep01"][0])
    before = table(cli, "frames", f"episode_id = '{a['episode_id']}'")
    b = _ingest(cli, episodes["ep02"][0])
    assert a["episode_id"] != b["episode_id"]
    assert table(cli, "frames", f"episode_id = '{a['episode_id']}'") == before
    assert len(table(cli, "episodes")) == 2


def test_webp_option_is_lossless(cli, episodes, tmp_path):
    path, _ = episodes["ep02"]
    rep = cli.json("ingest", path, "--format", "webp")[0]
    m = table(cli, "frame_media", f"episode_id = '{rep['episode_id']}'")[0]
    assert m["format"] == "webp"
    png_cli = type(cli)(tmp_path / "png.db")
    png_cli("init")
    png_rep = png_cli.json("ingest", path)[0]
    p = table(png_cli, "frame_media", f"frame_id = '{m['frame_id']}'")[0]
    assert png_rep["episode_id"] == rep["episode_id"]
    assert np.array_equal(decode(m["data"]), decode(p["data"]))
