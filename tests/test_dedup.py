"""dedup: hashes, sharpness and near-duplicate groups that span episodes."""


from .helpers import frames_of, table, version


def _ingest(cli, *paths):
    return [r["episode_id"] for r in cli.json("ingest", *paths)]


def _truth_shot(truth, frame_index):
    ft = truth.frames[frame_index]
    return ("opening", ft.shot) if ft.opening else ("own", ft.shot)


def test_groups_span_episodes_and_keep_the_sharpest(cli, episodes):
    (p1, t1), (p2, t2) = episodes["ep01"], episodes["ep02"]
    e1, e2 = _ingest(cli, p1, p2)
    [rep] = cli.json("run", "dedup")
    rows = {r["frame_id"]: r for r in table(cli, "frames")}
    assert rep["status"] == "done" and rep["rows"] == len(rows)
    for r in rows.values():
        assert r["phash"] is not None and r["dhash"] is not None and r["sharpness"] > 0
        assert r["dup_group"] is not None
        assert (r["dup_of"] is None) == (r["dup_group"] == r["frame_id"])

    truth = {e1: t1, e2: t2}
    # groups never join different content: each group sits in one truth shot (the opening's
    # shots being the same content in both episodes)
    groups = {}
    for r in rows.values():
        groups.setdefault(r["dup_group"], []).append(r)
    for gid, members in groups.items():
        kinds = {_truth_shot(truth[m["episode_id"]], m["frame_index"]) for m in members}
        own = {(m["episode_id"], k) for m, k in ((m, _truth_shot(truth[m["episode_id"]], m["frame_index"])) for m in members) if k[0] == "own"}
        assert len(kinds) == 1 and len(own) <= 1, members
        assert rows[gid]["sharpness"] == max(m["sharpness"] for m in members)

    # every opening frame of ep02 is a duplicate of ep01's copy of it (one representative)
    opening2 = [r for r in frames_of(cli, e2) if t2.frames[r["frame_index"]].opening]
    assert opening2
    for r in opening2:
        group = [m for m in groups[r["dup_group"]] if m["episode_id"] == e1]
        assert group, "each opening frame of ep02 shares its group with ep01's copy"
        assert len(groups[r["dup_group"]]) >= 2
    # every episode-specific shot keeps at least one representative of its own
    own_shots = {(r["episode_id"], truth[r["episode_id"]].frames[r["frame_index"]].shot) for r in rows.values()
                 if not truth[r["episode_id"]].frames[r["frame_index"]].opening}
    rep_shots = {(r["episode_id"], truth[r["episode_id"]].frames[r["frame_index"]].shot) for r in rows.values()
                 if r["dup_of"] is None}
    assert own_shots <= rep_shots


def test_incremental_episode_joins_existing_groups_without_touching_them(cli, episodes):
    (p1, t1), (p2, t2) = episodes["ep01"], episodes["ep02"]
    [e1] = _ingest(cli, p1)
    cli("run", "dedup")
    before = {r["frame_id"]: r for r in table(cli, "frames")}
    [e2] = _ingest(cli, p2)
    [rep] = cli.json("run", "dedup")
    assert rep["rows"] == len(frames_of(cli, e2))  # only the new episode's frames were hashed
    after = {r["frame_id"]: r for r in table(cli, "frames")}
    for fid, row in before.items():
        assert after[fid] == row
    for r in frames_of(cli, e2):
        if t2.frames[r["frame_index"]].opening:
            assert r["dup_of"] in before and before[r["dup_of"]]["dup_of"] is None


def test_idle_rerun_does_no_work_and_no_commit(cli, episodes):
    _ingest(cli, episodes["ep01"][0])
    cli("run", "--profile", "offline")  # every stage, none needing weights
    tables = ("frames", "runs", "frame_media", "layers", "layer_media", "characters")
    versions = {t: version(cli, t) for t in tables}
    runs = len(table(cli, "runs"))
    reps = cli.json("run", "--profile", "offline")
    assert [(r["stage"], r["table"]) for r in reps] == [
        ("dedup", "frames"), ("segment", "frames"), ("effects", "frames"), ("effects", "layers"), ("inpaint", "frames"),
        ("embed", "frames"), ("embed", "layers"), ("track", "layers"), ("caption", "frames"), ("tag", "frames"),
        ("cluster", "layers")]
    working = [r for r in reps if r["stage"] not in ("caption", "tag")]
    assert all(r["status"] == "nothing-to-do" and r["rows"] == 0 for r in working)
    assert [r["status"] for r in reps if r["stage"] in ("caption", "tag")] == ["off", "off"]
    assert {t: version(cli, t) for t in versions} == versions
    assert len(table(cli, "runs")) == runs
    # and an idle run loads no model library (a fresh process: this one has loaded them)
    import subprocess
    import sys

    probe = ("import sys; from click.testing import CliRunner; from celvault.cli import main; "
             "r = CliRunner().invoke(main, ['run', '--profile', 'offline'], "
             f"env={{'CELVAULT_CATALOG': {str(cli.catalog)!r}, 'CELVAULT_NO_PROGRESS': '1'}}); "
             "assert r.exit_code == 0, r.output; "
             "print(sorted(m for m in ('torch', 'open_clip', 'transformers', 'onnxruntime') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_provenance_and_force(cli, episodes):
    [e1] = _ingest(cli, episodes["ep01"][0])
    cli("run", "dedup")
    [run] = table(cli, "runs")
    assert run["stage"] == "dedup" and run["backend"] == "imagehash" and run["stage_version"] == 1
    assert '"radius": 6' in run["params"] and run["rows_done"] == len(frames_of(cli, e1))
    cfg = {r["dedup_config"] for r in table(cli, "frames")}
    assert cfg == {run["config_id"]}
    [forced] = cli.json("run", "dedup", "--force")
    assert forced["rows"] == len(frames_of(cli, e1)) and len(table(cli, "runs")) == 2


def test_episode_scope_and_radius_option(cli, episodes, tmp_path):
    e1, e2 = _ingest(cli, episodes["ep01"][0], episodes["ep02"][0])
    [rep] = cli.json("run", "dedup", "--episode", "ep02")
    assert rep["rows"] == len(frames_of(cli, e2))
    assert all(r["phash"] is None for r in frames_of(cli, e1))
    res = cli("run", "dedup", "--episode", "ep99", ok=False)
    assert res.exit_code == 1 and "unknown episode 'ep99'" in res.output and "ep01" in res.output
    cfg = tmp_path / "tight.yaml"
    cfg.write_text("stages:\n  dedup:\n    radius: 0\n    dhash_radius: 0\n")
    cli("run", "dedup", "--config", cfg)
    assert len({r["dedup_config"] for r in table(cli, "frames")}) == 2  # settings are recorded per row
    assert '"radius": 0' in table(cli, "runs")[-1]["params"] or any('"radius": 0' in r["params"] for r in table(cli, "runs"))


def test_redo_with_new_settings_regroups(cli, episodes, tmp_path):
    _ingest(cli, episodes["ep01"][0], episodes["ep02"][0])
    loose = tmp_path / "loose.yaml"  # hash matches unconfirmed by the thumbnails: many links
    loose.write_text("stages:\n  dedup:\n    max_change: 255\n")
    cli("run", "dedup", "--config", loose)
    grouped = sum(r["dup_of"] is not None for r in table(cli, "frames"))
    assert grouped > 0
    cfg = tmp_path / "exact.yaml"
    cfg.write_text("stages:\n  dedup:\n    radius: 0\n    dhash_radius: 0\n")
    [rep] = cli.json("run", "dedup", "--redo", "--config", cfg)
    rows = table(cli, "frames")
    assert rep["rows"] == len(rows) and rep["linked"] == len(rows)
    assert sum(r["dup_of"] is not None for r in rows) < grouped  # tighter radius, fewer duplicates
    # every duplicate now is an exact hash match of its representative
    by_id = {r["frame_id"]: r for r in rows}
    for r in rows:
        if r["dup_of"]:
            assert by_id[r["dup_of"]]["phash"] == r["phash"] and by_id[r["dup_of"]]["dup_of"] is None
    assert cli.json("run", "dedup", "--redo", "--config", cfg)[0]["status"] == "nothing-to-do"


def test_bad_dedup_settings_are_a_config_error(cli, episodes, tmp_path):
    _ingest(cli, episodes["ep01"][0])
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("stages:\n  dedup:\n    radius: 40\n")
    res = cli("run", "dedup", "--config", cfg, ok=False)
    assert res.exit_code == 1 and "stages.dedup.radius: must be 0-31, got 40" in res.output
    assert all(r.get("phash") is None for r in table(cli, "frames"))  # refused before any work
