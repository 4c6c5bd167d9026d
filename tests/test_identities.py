"""Character identities with the weight-free palette embedder, scored against ground truth.

Episodes whose characters walk across the frame are cut by the plate segmenter (offline
profile); each character layer's truth is the character covering >= 80% of its mask
(touching characters cut as one layer are "mixed" and not scored).
"""

from __future__ import annotations

import shutil
from collections import Counter

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from .conftest import Cli
from .helpers import table
from .identity_truth import MIXED, layer_truth


@pytest.fixture(scope="module")
def season(tmp_path_factory):
    """ep01 + ep02 through the offline pipeline; ep03 made, not ingested."""
    from celvault.synthetic import EpisodeSpec, make_episode

    root = tmp_path_factory.mktemp("season")
    truths, paths = {}, {}
    for i in (1, 2, 3):
        paths[f"ep{i:02d}"] = root / f"ep{i:02d}.mp4"
        truths[f"ep{i:02d}"] = make_episode(paths[f"ep{i:02d}"], EpisodeSpec(seed=i, walkers=True))
    cli = Cli(root / "cat.db")
    cli("init")
    cli("ingest", paths["ep01"], paths["ep02"], "--interval", "0.25")
    reports = cli.json("run", "--profile", "offline")
    return cli, truths, paths, reports


def _copy(season, tmp_path) -> Cli:
    cli = Cli(tmp_path / "cat.db")
    shutil.copytree(season[0].catalog, cli.catalog)
    return cli


def _truth(cli, truths) -> dict[str, str]:
    by_id = {e["episode_id"]: truths[e["name"]] for e in table(cli, "episodes")}
    return layer_truth(cli.catalog, by_id)


def _clusters(cli) -> dict[str, int]:
    return {r["layer_id"]: r["cluster_id"] for r in table(cli, "layers", "kind = 'character'")}


def _name_by_majority(cli, truths) -> dict[int, str]:
    truth, clusters = _truth(cli, truths), _clusters(cli)
    names = {}
    for cid in sorted(set(clusters.values()) - {-1}):
        votes = Counter(truth[lid] for lid, c in clusters.items() if c == cid)
        top, n = votes.most_common(1)[0]
        if top != MIXED and n >= 0.9 * sum(votes.values()) and top not in names.values():
            names[cid] = top
            cli("characters", "name", cid, top)
    return names


def test_identities_match_the_true_characters(season):
    cli, truths, _, reports = season
    cluster = [r for r in reports if r["stage"] == "cluster"][0]
    assert cluster["status"] == "done" and "identities" in cluster["notes"][0]
    truth, clusters = _truth(cli, truths), _clusters(cli)
    pure = sorted(lid for lid, t in truth.items() if t != MIXED)
    assert len(pure) >= 80
    # noise counts as a label of its own, so unassigned layers lower the score too
    ari = adjusted_rand_score([truth[i] for i in pure], [clusters[i] for i in pure])
    assert ari >= 0.9, ari
    counts = Counter(truth[i] for i in pure)
    common = [i for i in pure if counts[truth[i]] >= 10]  # characters seen often enough for an identity
    assert np.mean([clusters[i] >= 0 for i in common]) >= 0.9
    for cid in set(clusters[i] for i in pure) - {-1}:
        members = Counter(truth[i] for i in pure if clusters[i] == cid)
        assert members.most_common(1)[0][1] >= 0.95 * sum(members.values())  # one character per identity


def test_frames_list_the_identities_they_show(season):
    cli = season[0]
    frames = {f["frame_id"]: f for f in table(cli, "frames", columns=["frame_id", "characters", "layer_count"])}
    want: dict[str, set] = {}
    for lay in table(cli, "layers", "kind = 'character'"):
        want.setdefault(lay["frame_id"], set())
        if lay["cluster_id"] >= 0:
            want[lay["frame_id"]].add(lay["cluster_id"])
    assert want
    for fid, ids in want.items():
        assert frames[fid]["characters"] == sorted(ids)
    known = {c["cluster_id"] for c in table(cli, "characters")}
    assert set().union(*want.values()) == known


def test_new_episode_joins_named_identities_without_reclustering(season, tmp_path):
    _, truths, paths, _ = season
    cli = _copy(season, tmp_path)
    names = _name_by_majority(cli, truths)
    assert len(names) >= 4
    before = {c["cluster_id"]: c for c in table(cli, "characters")}
    old_layers = _clusters(cli)
    cli("ingest", paths["ep03"], "--interval", "0.25")
    reports = cli.json("run", "--profile", "offline")
    [cluster] = [r for r in reports if r["stage"] == "cluster"]
    assert "placed without reclustering" in cluster["notes"][0]
    after = {c["cluster_id"]: c for c in table(cli, "characters")}
    assert {c: r["name"] for c, r in after.items() if r["name"]} == names  # no name lost or moved
    assert {r["generation"] for r in after.values()} == {r["generation"] for r in before.values()}
    clusters = _clusters(cli)
    assert all(clusters[lid] == c for lid, c in old_layers.items())  # earlier layers untouched
    ep03 = {e["episode_id"] for e in table(cli, "episodes") if e["name"] == "ep03"}
    new = {r["layer_id"] for r in table(cli, "layers", "kind = 'character'") if r["episode_id"] in ep03}
    truth = _truth(cli, truths)
    scored = [lid for lid in new if truth[lid] in names.values()]
    assert len(scored) >= 20
    right = [lid for lid in scored if names.get(clusters[lid]) == truth[lid]]
    wrong = [lid for lid in new if clusters[lid] in names and names[clusters[lid]] != truth[lid] and truth[lid] != MIXED]
    assert len(right) >= 0.9 * len(scored), (len(right), len(scored))
    assert len(wrong) <= 0.05 * len(scored)
    grown = {c: after[c]["members"] - before[c]["members"] for c in names}
    assert sum(grown.values()) == sum(1 for lid in new if clusters[lid] in names)
    # and a rerun finds nothing to place
    [again] = [r for r in cli.json("run", "cluster", "--profile", "offline")]
    assert again["status"] == "nothing-to-do"


def test_recluster_carries_ids_and_names(season, tmp_path):
    _, truths, _, _ = season
    cli = _copy(season, tmp_path)
    names = _name_by_majority(cli, truths)
    cli("characters", "name", min(names), "Endou Mamoru")  # a name that is not the truth label
    names[min(names)] = "Endou Mamoru"
    [rep] = cli.json("run", "cluster", "--recluster", "--profile", "offline")
    assert rep["status"] == "done" and "identities" in rep["notes"][0]
    after = {c["cluster_id"]: c["name"] for c in table(cli, "characters") if c["name"]}
    assert after == names


def test_characters_commands(season, tmp_path):
    _, truths, _, _ = season
    cli = _copy(season, tmp_path)
    listed = cli.json("characters", "list")
    ids = [c["cluster_id"] for c in listed["characters"]]
    unassigned = sum(1 for r in table(cli, "layers", "kind = 'character'") if r["cluster_id"] == -1)
    assert len(ids) >= 4 and listed["unassigned"] == unassigned
    assert [c["members"] for c in listed["characters"]] == sorted((c["members"] for c in listed["characters"]), reverse=True)
    big, other = ids[0], ids[1]
    cli("characters", "name", big, "Endou Mamoru")
    text = cli("characters", "list").output
    assert "Endou Mamoru" in text
    shown = cli.json("characters", "show", "endou")  # case-insensitive prefix
    assert shown["cluster_id"] == big and len(shown["layers"]) == min(48, shown["members"])  # --limit 48
    dists = [m["distance"] for m in shown["layers"]]
    assert dists == sorted(dists)
    sheet = tmp_path / "sheets" / "endou.png"
    res = cli.json("characters", "show", "Endou Mamoru", "--sheet", sheet, "--limit", "12")
    from PIL import Image

    img = Image.open(sheet)
    assert res["shown"] == 12 and img.width > 4 * 128 and img.height > 2 * 128
    # mistakes are one-line errors that name what exists
    res = cli("characters", "name", 999, "x", ok=False)
    assert res.exit_code == 1 and res.output.startswith("Error: character '999' is not a known character")
    assert "Endou Mamoru" in res.output and len(res.output.strip().splitlines()) == 1
    res = cli("characters", "show", "nobody", ok=False)
    assert res.exit_code == 1 and "known:" in res.output
    assert cli("characters", "name", big, "  ", ok=False).exit_code == 1
    # merge: the other identity's layers and frames move over, its row goes
    members = {c["cluster_id"]: c["members"] for c in listed["characters"]}
    moved_frames = {r["frame_id"] for r in table(cli, "layers", f"cluster_id = {other}")}
    done = cli.json("characters", "merge", "endou", other)
    assert done["cluster_id"] == big and done["moved_layers"] == members[other]
    after = {c["cluster_id"]: c for c in table(cli, "characters")}
    assert other not in after and after[big]["members"] == members[big] + members[other]
    assert after[big]["name"] == "Endou Mamoru"
    assert not table(cli, "layers", f"cluster_id = {other}")
    for f in table(cli, "frames", columns=["frame_id", "characters"]):
        if f["frame_id"] in moved_frames:
            assert big in f["characters"] and other not in f["characters"]
    assert cli("characters", "merge", big, big, ok=False).exit_code == 1


def test_an_interrupted_refit_is_finished_by_the_next_run(season, tmp_path):
    from celvault.catalog import Catalog
    from celvault.catalog.fill import write_by_fragment
    import pyarrow as pa

    cli = _copy(season, tmp_path)
    want = _clusters(cli)
    frames_before = {f["frame_id"]: f["characters"] for f in table(cli, "frames", columns=["frame_id", "characters"])}
    # a refit that died after writing the new identities and some layers: the rest still
    # carry another clustering's generation (and, here, wrong ids and frames)
    some = sorted(want)[::3]
    cat = Catalog.open(cli.catalog)
    write_by_fragment(cat, "layers", "layer_id", pa.table({
        "layer_id": pa.array(some, pa.string()), "cluster_id": pa.array([-1] * len(some), pa.int64()),
        "cluster_config": pa.array(["an-older-generation"] * len(some), pa.string())}))
    [rep] = cli.json("run", "cluster", "--profile", "offline")
    assert rep["status"] == "done" and rep["notes"][0] == "finishing a refit that was interrupted"
    assert _clusters(cli) == want
    assert {f["frame_id"]: f["characters"] for f in table(cli, "frames", columns=["frame_id", "characters"])} == frames_before
    assert cli.json("run", "cluster", "--profile", "offline")[0]["status"] == "nothing-to-do"


def test_force_on_one_episode_places_its_layers_again_without_refitting(season, tmp_path):
    cli = _copy(season, tmp_path)
    before = {c["cluster_id"]: c["generation"] for c in table(cli, "characters")}
    ep = table(cli, "episodes")[0]["episode_id"]
    mine = [r for r in table(cli, "layers", f"kind = 'character' AND episode_id = '{ep}'")]
    [rep] = cli.json("run", "cluster", "--force", "--episode", ep, "--profile", "offline")
    assert rep["rows"] == len(mine) and "placed without reclustering" in rep["notes"][0]
    assert {c["cluster_id"]: c["generation"] for c in table(cli, "characters")} == before
