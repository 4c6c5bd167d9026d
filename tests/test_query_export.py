"""`celvault query` and `celvault export` on synthetic episodes with known truth.

Identities come from the real offline pipeline (plate layers, palette vectors, HDBSCAN) and
are named after the character most of their layers show. Scene tags need CLIP weights, which
tests do not have, so the fixture writes `scene_tags` as a perfect tagger would (outdoor or
indoor from the episode's truth) with the catalogue's own column writer: what is under test
here is the query and the export, not the tagger.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pytest

from celvault.catalog import Catalog
from celvault.catalog.fill import write_by_fragment

from .conftest import Cli
from .helpers import table
from .identity_truth import MIXED, layer_truth

REPS = "dup_group IS NOT NULL AND dup_of IS NULL"


@pytest.fixture(scope="module")
def named(tmp_path_factory):
    from celvault.synthetic import EpisodeSpec, make_episode, render_frame

    root = tmp_path_factory.mktemp("query")
    truths = {}
    for i in (1, 2):
        truths[f"ep{i:02d}"] = make_episode(root / f"ep{i:02d}.mp4", EpisodeSpec(seed=i, walkers=True))
    cli = Cli(root / "cat.db")
    cli("init")
    cli("ingest", root / "ep01.mp4", root / "ep02.mp4", "--interval", "0.25")
    cli("run", "--profile", "offline")
    by_id = {e["episode_id"]: truths[e["name"]] for e in table(cli, "episodes")}
    truth = layer_truth(cli.catalog, by_id)
    clusters = {r["layer_id"]: r["cluster_id"] for r in table(cli, "layers", "kind = 'character'")}
    for cid in sorted(set(clusters.values()) - {-1}):
        votes = Counter(truth[lid] for lid, c in clusters.items() if c == cid)
        top, n = votes.most_common(1)[0]
        if top != MIXED and n >= 0.9 * sum(votes.values()):
            cli("characters", "name", cid, top)
    frames = table(cli, "frames", columns=["frame_id", "episode_id", "frame_index"])
    outdoor = {f["frame_id"]: by_id[f["episode_id"]].shot_of(f["frame_index"]).outdoor for f in frames}
    tags = pa.table({"frame_id": pa.array(sorted(outdoor), pa.string()),
                     "scene_tags": pa.array([["outdoor"] if outdoor[f] else ["indoor"] for f in sorted(outdoor)],
                                            pa.list_(pa.string()))})
    cat = Catalog.open(cli.catalog)
    cat.ensure_columns("frames", [pa.field("scene_tags", pa.list_(pa.string()))])
    write_by_fragment(cat, "frames", "frame_id", tags)
    visible = {}
    for f in frames:
        masks = render_frame(by_id[f["episode_id"]].spec, by_id[f["episode_id"]], f["frame_index"]).masks
        visible[f["frame_id"]] = {name for name, m in masks.items() if m.sum() >= 0.002 * m.size}
    return cli, truths, outdoor, visible, root


def _named(cli) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for c in table(cli, "characters"):
        if c["name"]:
            out.setdefault(c["name"], []).append(c["cluster_id"])
    return out


def test_character_in_outdoor_scenes(named):
    cli, _, outdoor, visible, _ = named
    names = _named(cli)
    assert len(names) >= 3
    for name, ids in names.items():
        got = cli.json("query", "--character", name, "--scene", "outdoor", "--limit", "1000")
        found = {r["frame_id"] for r in got["rows"]}
        # exactly the representative frames whose identities include the character, outdoors
        reps = table(cli, "frames", REPS, columns=["frame_id", "characters"])
        expect = {f["frame_id"] for f in reps if outdoor[f["frame_id"]] and set(f["characters"] or []) & set(ids)}
        assert found == expect and got["matched"] == len(expect)
        # and against the truth: every frame returned shows the character, outdoors
        assert found and all(outdoor[f] and name in visible[f] for f in found)
        truth = {f["frame_id"] for f in reps if outdoor[f["frame_id"]] and name in visible[f["frame_id"]]
                 and f["characters"] is not None}
        assert len(found) >= 0.6 * len(truth)  # frames where the layer was cut with another character are missed
        assert all(name in r["characters"] for r in got["rows"])


def test_filters_formats_and_errors(named, tmp_path):
    cli, _, outdoor, _, _ = named
    name = sorted(_named(cli))[0]
    every = cli.json("query", "--limit", "1000")
    assert every["matched"] == len(table(cli, "frames", REPS))  # duplicates left out
    dups = cli.json("query", "--include-duplicates", "--limit", "1000")
    assert dups["matched"] == len(table(cli, "frames"))
    ep = table(cli, "episodes")[0]
    one = cli.json("query", "--episode", ep["name"], "--limit", "1000")
    assert {r["episode_id"] for r in one["rows"]} == {ep["episode_id"]}
    sharp = cli.json("query", "--where", "sharpness > 100 AND time_s < 10", "--limit", "1000")
    assert all(r["time_s"] < 10 for r in sharp["rows"]) and 0 < sharp["matched"] < every["matched"]
    ordered = [(r["episode"], r["time_s"]) for r in every["rows"]]
    assert ordered == sorted(ordered)
    lay = cli.json("query", "--character", name, "--layers", "--limit", "5")
    assert len(lay["rows"]) == 5 and {r["character"] for r in lay["rows"]} == {name}
    csv_out = cli("query", "--character", name, "--format", "csv", "--limit", "3").output.splitlines()
    assert csv_out[0].startswith("id,episode,time_s,characters") and len(csv_out) == 4
    paths = cli("query", "--character", name, "--layers", "--format", "paths", "--limit", "3",
                "--out", tmp_path / "imgs").output.split()
    assert len(paths) == 3 and all(Path(p).is_file() and "-character" in Path(p).stem for p in paths)
    sheet = tmp_path / "s.png"
    cli("query", "--character", name, "--scene", "outdoor", "--sheet", sheet, "--limit", "8")
    from PIL import Image

    assert Image.open(sheet).width > 300
    for args, msg in ((["--where", "nosuch > 1"], "unknown column 'nosuch'"),
                      (["--where", "sharpness > 1; drop"], "--where: cannot read"),
                      (["--character", "nobody"], "is not a known character"),
                      (["--scene", "moon"], "unknown scene tag 'moon'"),
                      (["--text", "a boy"], "hold vectors of palette")):
        res = cli("query", *args, ok=False)
        assert res.exit_code == 1 and msg in res.output and len(res.output.strip().splitlines()) == 1


def _read_kohya(out: Path) -> dict:
    """Read an export as kohya_ss does: folders `<repeats>_<class tokens>`, image + caption pairs,
    dataset.toml naming existing folders."""
    subsets = {}
    for folder in sorted((out / "img").iterdir()):
        repeats, _, tokens = folder.name.partition("_")
        assert repeats.isdigit() and int(repeats) >= 1 and tokens.strip()
        images = sorted(p for p in folder.iterdir() if p.suffix == ".png")
        for img in images:
            cap = img.with_suffix(".txt").read_text(encoding="utf-8")
            assert cap.strip() and "\n" not in cap.strip()
        assert sorted(p.stem for p in folder.iterdir() if p.suffix == ".txt") == [p.stem for p in images]
        subsets[folder.name] = images
    config = tomllib.loads((out / "dataset.toml").read_text(encoding="utf-8"))
    for sub in config["datasets"][0]["subsets"]:
        image_dir = out / sub["image_dir"]  # relative to the export folder (sd-scripts is run from there)
        assert not Path(sub["image_dir"]).is_absolute()
        assert image_dir.is_dir() and image_dir.parent == out / "img"
        assert sub["num_repeats"] == int(image_dir.name.split("_", 1)[0])
    return {"subsets": subsets, "toml": config}


def test_export_lora_is_what_kohya_reads(named, tmp_path):
    cli, _, outdoor, visible, _ = named
    name = sorted(_named(cli))[0]
    out = tmp_path / "lora"
    done = cli.json("export", "lora", out, "--character", name, "--trigger", "kx", "--class", "1girl",
                    "--scene", "outdoor", "--background", "keep-alpha", "--repeats", "7")
    read = _read_kohya(out)
    [(folder, images)] = read["subsets"].items()
    assert folder == "7_kx 1girl" and done["subsets"][0]["images"] == len(images)
    sub = read["toml"]["datasets"][0]["subsets"][0]
    assert sub["alpha_mask"] is True and sub["class_tokens"] == "kx 1girl"
    from PIL import Image

    assert Image.open(images[0]).mode == "RGBA"
    assert all(p.with_suffix(".txt").read_text().startswith("kx, ") for p in images)
    query = cli.json("query", "--character", name, "--scene", "outdoor", "--layers", "--limit", "10000")
    assert [p.stem for p in images] == sorted(r["layer_id"] for r in query["rows"])
    manifest = (out / "manifest.json").read_text()
    assert '"exporter": "lora"' in manifest and '"catalog_versions"' in manifest
    again = cli("export", "lora", out, "--character", name, ok=False)
    assert again.exit_code == 1 and "--overwrite" in again.output
    # hostile names cannot leave the output folder; repeats auto balances two subsets
    evil = tmp_path / "evil"
    names = sorted(_named(cli))[:2]
    cli("export", "lora", evil, "--character", names[0], "--character", names[1], "--trigger", "../../x",
        "--trigger", 'a/b:"c', "--class", "1boy", "--layer", "frame")
    read = _read_kohya(evil)
    assert len(read["subsets"]) == 2 and not (tmp_path / "x").exists()
    assert all(f.parent == evil / "img" for f in (evil / "img").iterdir())
    counts = {k: len(v) * int(k.split("_", 1)[0]) for k, v in read["subsets"].items()}
    lo, hi = min(counts.values()), max(counts.values())
    assert hi <= 1.5 * lo  # images x repeats about equal per subset


def test_export_backgrounds_one_per_shot(named, tmp_path):
    cli, _, outdoor, _, _ = named
    out = tmp_path / "bg"
    done = cli.json("export", "backgrounds", out, "--scene", "outdoor", "--dedup")
    read = _read_kohya(out)
    [(folder, images)] = read["subsets"].items()
    assert folder.endswith("_bgscene scenery") and len(images) == done["subsets"][0]["images"]
    layers = {r["layer_id"]: r for r in table(cli, "layers", "kind = 'background'")}
    shots = [(layers[p.stem]["episode_id"], layers[p.stem]["shot_index"]) for p in images]
    assert len(shots) == len(set(shots))  # one per shot
    assert all(outdoor[layers[p.stem]["frame_id"]] for p in images)
    assert not list(tmp_path.glob(".*partial*"))  # nothing left behind


@pytest.fixture(scope="module")
def solo(tmp_path_factory):
    """Episodes with one character per shot (no opening): no two characters touch, so every
    character layer shows one character and the truth can be matched exactly."""
    from celvault.synthetic import EpisodeSpec, make_episode

    root = tmp_path_factory.mktemp("solo")
    truths = {}
    for i in (1, 2):
        truths[f"solo{i}"] = make_episode(root / f"solo{i}.mp4",
                                          EpisodeSpec(seed=10 + i, walkers=True, n_characters=1, opening_s=0.0))
    cli = Cli(root / "cat.db")
    cli("init")
    cli("ingest", root / "solo1.mp4", root / "solo2.mp4", "--interval", "0.25")
    cli("run", "--profile", "offline")
    return cli, {e["episode_id"]: truths[e["name"]] for e in table(cli, "episodes")}


def test_query_returns_exactly_the_truth_frames(solo):
    from celvault.synthetic import render_frame

    cli, by_id = solo
    truth = layer_truth(cli.catalog, by_id)
    clusters = {r["layer_id"]: r["cluster_id"] for r in table(cli, "layers", "kind = 'character'")}
    named = set()
    for cid in sorted(set(clusters.values()) - {-1}):
        votes = Counter(truth[lid] for lid, c in clusters.items() if c == cid)
        top, n = votes.most_common(1)[0]
        if top != MIXED and n >= 0.9 * sum(votes.values()):
            cli("characters", "name", cid, top)
            named.add(top)
    assert len(named) == 2
    frames = table(cli, "frames", REPS, columns=["frame_id", "episode_id", "frame_index", "segment_method"])
    outdoor = {f["frame_id"]: by_id[f["episode_id"]].shot_of(f["frame_index"]).outdoor for f in frames}
    cat = Catalog.open(cli.catalog)
    cat.ensure_columns("frames", [pa.field("scene_tags", pa.list_(pa.string()))])
    write_by_fragment(cat, "frames", "frame_id", pa.table({
        "frame_id": pa.array(sorted(outdoor), pa.string()),
        "scene_tags": pa.array([["outdoor" if outdoor[f] else "indoor"] for f in sorted(outdoor)], pa.list_(pa.string()))}))
    for name in sorted(named):
        # truth: representative frames of outdoor shots that show the character (>= 0.2% of the
        # frame), among the frames the segmenter could cut (static shots: segment_method plate)
        want = set()
        for f in frames:
            t = by_id[f["episode_id"]]
            if outdoor[f["frame_id"]] and f["segment_method"] == "plate":
                mask = render_frame(t.spec, t, f["frame_index"]).masks.get(name)
                if mask is not None and mask.sum() >= 0.002 * mask.size:
                    want.add(f["frame_id"])
        got = cli.json("query", "--character", name.lower(), "--scene", "outdoor", "--limit", "1000")
        assert want and {r["frame_id"] for r in got["rows"]} == want
