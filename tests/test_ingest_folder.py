"""Frame-folder ingest: names give shot, frame and time; other names keep their order."""

import shutil

from celvault.synthetic import EpisodeSpec, write_frame_folder

from .helpers import frames_of, table

SPEC = EpisodeSpec(seed=3, duration_s=10.0, fade=False)


def test_named_frames_parse_shot_frame_time(cli, tmp_path):
    folder = tmp_path / "episode_003"
    truth = write_frame_folder(folder, SPEC, named=True, ext="png")
    files = sorted(folder.iterdir())
    [rep] = cli.json("ingest", folder, "--series", "Test")
    assert rep["status"] == "ingested" and rep["frames_kept"] == len(files)
    rows = frames_of(cli, rep["episode_id"])
    for r in rows:
        ft = truth.frames[r["frame_index"]]
        assert r["shot_index"] == ft.shot
        assert abs(r["time_s"] - ft.time_s) < 0.006
    assert [r["frame_index"] for r in rows] == sorted(truth.distinct_frames())
    media = table(cli, "frame_media", f"episode_id = '{rep['episode_id']}'")
    by_name = {f.name: f.read_bytes() for f in files}
    assert sorted(m["data"] for m in media) == sorted(by_name.values())  # stored byte for byte
    assert table(cli, "episodes")[0]["series"] == "Test"


def test_other_names_keep_order_and_find_shots(cli, tmp_path):
    folder = tmp_path / "plain"
    truth = write_frame_folder(folder, SPEC, named=False, ext="png")
    [rep] = cli.json("ingest", folder)
    rows = frames_of(cli, rep["episode_id"])
    assert [r["frame_index"] for r in rows] == list(range(len(rows)))
    assert all(r["time_s"] is None for r in rows)
    distinct = sorted(truth.distinct_frames())
    assert len(rows) == len(distinct)
    # shots found by the cut detector agree with the truth
    assert [r["shot_index"] for r in rows] == [truth.frames[i].shot for i in distinct]


def test_unreadable_image_names_the_file_and_other_inputs_go_in(cli, tmp_path, episodes):
    folder = tmp_path / "broken"
    write_frame_folder(folder, SPEC, named=True)
    victim = sorted(folder.iterdir())[3]
    victim.write_bytes(victim.read_bytes()[:40])
    res = cli("ingest", folder, episodes["ep01"][0], ok=False)
    assert res.exit_code == 1
    errors = [l for l in res.output.splitlines() if l.startswith("Error:")]
    assert len(errors) == 1 and victim.name in errors[0]
    assert [e["name"] for e in table(cli, "episodes")] == ["ep01"]
    assert {m["episode_id"] for m in table(cli, "frame_media", columns=["episode_id"])} == {
        table(cli, "episodes")[0]["episode_id"]}


def test_same_folder_twice_is_a_noop(cli, tmp_path):
    folder = tmp_path / "again"
    write_frame_folder(folder, SPEC, named=True)
    first = cli.json("ingest", folder)[0]
    copy = tmp_path / "copy_of_again"
    shutil.copytree(folder, copy)
    assert cli.json("ingest", copy)[0]["status"] == "already-ingested"  # same content, same id
    assert len(table(cli, "frames")) == first["frames_kept"]
