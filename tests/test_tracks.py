"""Tracks: a shot's character layers linked into the same character frame after frame, and
identities voted per track.

Episodes whose characters walk across the frame are cut by the plate segmenter (offline
profile); each layer's truth is the character covering >= 80% of its mask (tests/identity_truth.py).
"""

from __future__ import annotations

import shutil
from collections import Counter, defaultdict

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from celvault.stages.tracking import LinkRules, ShotLayer, link_shot

from .conftest import Cli
from .helpers import table, version
from .identity_truth import MIXED, layer_truth


@pytest.fixture(scope="module")
def season(tmp_path_factory):
    """ep01 through the offline pipeline (fit), then ep02 ingested and run (placed)."""
    from celvault.synthetic import EpisodeSpec, make_episode

    root = tmp_path_factory.mktemp("tracks")
    truths, paths = {}, {}
    for i in (1, 2):
        paths[f"ep{i:02d}"] = root / f"ep{i:02d}.mp4"
        truths[f"ep{i:02d}"] = make_episode(paths[f"ep{i:02d}"], EpisodeSpec(seed=i, walkers=True))
    cli = Cli(root / "cat.db")
    cli("init")
    cli("ingest", paths["ep01"], "--interval", "0.25")
    first = cli.json("run", "--profile", "offline")
    cli("ingest", paths["ep02"], "--interval", "0.25")
    second = cli.json("run", "--profile", "offline")
    return cli, truths, first, second


def _copy(season, tmp_path) -> Cli:
    cli = Cli(tmp_path / "cat.db")
    shutil.copytree(season[0].catalog, cli.catalog)
    return cli


def _truth(cli, truths) -> dict[str, str]:
    return layer_truth(cli.catalog, {e["episode_id"]: truths[e["name"]] for e in table(cli, "episodes")})


def _layers(cli) -> list[dict]:
    return table(cli, "layers", "kind = 'character'")


def _report(reports, stage):
    return [r for r in reports if r["stage"] == stage][0]


def test_tracks_follow_one_true_character_through_a_shot(season):
    cli, truths, first, _ = season
    assert _report(first, "track")["status"] == "done"
    truth, layers = _truth(cli, truths), _layers(cli)
    assert all(r["track_id"] for r in layers)
    tracks = defaultdict(list)
    for r in layers:
        tracks[r["track_id"]].append(r)
    for members in tracks.values():  # a track stays in one shot of one episode, one layer per frame
        assert len({(r["episode_id"], r["shot_index"]) for r in members}) == 1
        assert len({r["frame_id"] for r in members}) == len(members)
    pure = total = 0
    for members in tracks.values():
        labels = [truth[r["layer_id"]] for r in members if truth[r["layer_id"]] != MIXED]
        if len(labels) >= 2:
            pure, total = pure + Counter(labels).most_common(1)[0][1], total + len(labels)
    assert total >= 0.7 * len(layers), (total, len(layers))  # most layers are linked to others
    assert pure / total >= 0.98, (pure, total)


def _walker(fid: str, instance: int, x: int, vec: np.ndarray) -> ShotLayer:
    mask = np.zeros((60, 30), bool)
    mask[5:55, 5:25] = True
    return ShotLayer(f"{fid}-character{instance:02d}", fid, (x, 20, x + 30, 80), mask, vec)


def test_two_characters_crossing_are_not_merged():
    """A walks right, B walks left; they pass each other mid-shot."""
    rules = LinkRules()
    for va, vb in [(np.array([1.0, 0.0]), np.array([0.0, 1.0])),  # unlike each other
                   (np.array([1.0, 0.0]), np.array([1.0, 0.0]))]:  # looking alike: only motion tells them apart
        layers, who = [], {}
        for f in range(9):
            fid = f"ep-f{f:07d}"
            xa, xb = 40 + 12 * f, 136 - 12 * f
            for i, (name, x, v) in enumerate(sorted([("A", xa, va), ("B", xb, vb)], key=lambda t: t[1])):
                lay = _walker(fid, i, x, v)
                layers.append(lay)
                who[lay.layer_id] = name
        tracks = defaultdict(list)
        for lid, t in link_shot(layers, rules).items():
            tracks[t].append(who[lid])
        assert all(len(set(names)) == 1 for names in tracks.values()), tracks
        assert sorted(len(names) for names in tracks.values())[-2:] >= [3, 3]  # both are followed


def test_track_ids_are_deterministic_and_ambiguous_links_stay_open():
    mask = np.ones((50, 20), bool)
    v = np.array([1.0, 0.0])
    one = [ShotLayer("e-f0000001-character00", "e-f0000001", (100, 10, 120, 60), mask, v)]
    # next frame: two look-alikes equally close on either side: neither continues the track
    two = [ShotLayer("e-f0000002-character00", "e-f0000002", (90, 10, 110, 60), mask, v),
           ShotLayer("e-f0000002-character01", "e-f0000002", (110, 10, 130, 60), mask, v)]
    out = link_shot(one + two, LinkRules())
    assert len(set(out.values())) == 3
    assert out == link_shot(list(reversed(one + two)), LinkRules())


def test_a_new_episode_is_tracked_and_placed_track_by_track(season):
    cli, truths, _, second = season
    track, cluster = _report(second, "track"), _report(second, "cluster")
    eps = {e["name"]: e["episode_id"] for e in table(cli, "episodes")}
    new = [r for r in _layers(cli) if r["episode_id"] == eps["ep02"]]
    assert track["status"] == "done" and track["rows"] == len(new)
    assert "placed without reclustering" in cluster["notes"][0] and cluster["rows"] == len(new)
    by_track = defaultdict(list)
    for r in new:
        by_track[r["track_id"]].append(r["cluster_id"])
    voted = 0
    for ids in by_track.values():
        own = Counter(c for c in ids if c >= 0)
        if len(set(ids)) > 1:  # only a track whose layers strongly disagree keeps several identities
            assert own and own.most_common(1)[0][1] < 0.6 * sum(own.values()), ids
        elif len(ids) > 1:
            voted += 1
    assert voted >= 5


def test_a_rerun_tracks_nothing(season, tmp_path):
    cli = _copy(season, tmp_path)
    before = version(cli, "layers")
    [report] = cli.json("run", "track", "--profile", "offline")
    assert report["status"] == "nothing-to-do" and report["rows"] == 0
    assert version(cli, "layers") == before
    forced = cli.json("run", "track", "--profile", "offline", "--force")[0]
    assert forced["status"] == "done"
    assert {r["layer_id"]: r["track_id"] for r in _layers(cli)} == \
        {r["layer_id"]: r["track_id"] for r in _layers(season[0])}


def test_voting_assigns_at_least_as_many_layers_as_per_layer_clustering(season, tmp_path):
    cli, truths = _copy(season, tmp_path), season[1]
    truth = _truth(cli, truths)
    pure = sorted(lid for lid, t in truth.items() if t != MIXED)
    scores = {}
    for vote in ("false", "true"):
        conf = tmp_path / f"vote-{vote}.yaml"
        conf.write_text(f"stages:\n  cluster:\n    track_vote: {vote}\n")
        cli.json("run", "cluster", "--profile", "offline", "--config", conf, "--recluster")
        clusters = {r["layer_id"]: r["cluster_id"] for r in _layers(cli)}
        scores[vote] = (sum(clusters[i] >= 0 for i in pure),
                        adjusted_rand_score([truth[i] for i in pure], [clusters[i] for i in pure]))
    assert scores["true"][0] >= scores["false"][0], scores
    assert scores["true"][1] >= scores["false"][1] - 0.01, scores


def test_a_name_given_to_one_layer_goes_to_its_whole_track(season, tmp_path):
    cli = _copy(season, tmp_path)
    layers = _layers(cli)
    sizes = Counter(r["track_id"] for r in layers)
    track = max(sorted(sizes), key=lambda t: sizes[t])
    members = sorted(r["layer_id"] for r in layers if r["track_id"] == track)
    assert len(members) >= 3
    done = cli.json("characters", "split", members[0], "--name", "Kazemaru", "--track")
    assert done["members"] == len(members)
    moved = {r["layer_id"]: r for r in _layers(cli) if r["layer_id"] in members}
    assert {r["cluster_id"] for r in moved.values()} == {done["cluster_id"]}
    assert all(r["cluster_manual"] for r in moved.values())
    cli.json("run", "cluster", "--profile", "offline", "--recluster")  # a manual decision wins over the vote
    assert {r["cluster_id"] for r in _layers(cli) if r["layer_id"] in members} == {done["cluster_id"]}
    other = next(r["layer_id"] for r in layers if r["track_id"] != track and r["cluster_id"] >= 0)
    back = cli.json("characters", "move", other, "--to", "Kazemaru", "--track")
    assert back["moved"] == sizes[next(r["track_id"] for r in layers if r["layer_id"] == other)]


def test_a_track_votes_unless_its_layers_strongly_disagree():
    from celvault.stages.track_vote import NOISE, vote

    v = np.eye(4, dtype=np.float32)[[0, 0, 0, 3, 1, 1, 2, 2, 2, 2, 2, 2, 3]]
    labels = np.array([5, 5, NOISE, 7, 5, 7, NOISE, NOISE, NOISE, NOISE, NOISE, NOISE, NOISE])
    tracks = ["a", "a", "a", "a", "b", "b", "c", "c", "c", "c", "c", "c", None]
    out = vote(labels, tracks, 0.6, v, place=lambda c: np.full(len(c), NOISE), new_min=6, first_new=9)
    assert out[:4].tolist() == [5, 5, 5, 5]  # 2 of 3 votes: the track's identity, noise included
    assert out[4:6].tolist() == [5, 7]  # 1 against 1: each keeps its own
    assert out[6:12].tolist() == [9] * 6 and out[12] == NOISE  # a long unplaced track: a new identity
    far = vote(labels, tracks, 0.6, v, agrees=lambda idx, label: v[idx, 0] > 0.5)
    assert far[:4].tolist() == [5, 5, 5, 7]  # layer 3's own evidence is far from 5: it keeps its own
    placed = vote(labels, tracks, 0.6, v, place=lambda c: np.full(len(c), 4))
    assert placed[6:12].tolist() == [4] * 6  # a track without a label placed by its centroid
