"""embed, caption and tag through the real loaders with tiny random-weight models:
open_clip (config JSON + checkpoint), transformers BLIP and a WD14 ONNX tagger in the
Hugging Face cache. Outputs are checked against the libraries run directly."""

from __future__ import annotations

import numpy as np
import pytest

from celvault.catalog import Catalog
from celvault.media.codec import decode_png

from .conftest import Cli
from .helpers import table
from .tiny_describe import BLIP_TINY_WORDS, WD14_ALWAYS_HIGH, WD14_ALWAYS_LOW, blip_tiny, open_clip_tiny, wd14_tiny

REPS = "dup_group IS NOT NULL AND dup_of IS NULL"


def _tag(name: str) -> str:
    return name.replace("_", " ")


@pytest.fixture(scope="module")
def described(tmp_path_factory):
    from celvault.synthetic import EpisodeSpec, make_episode

    root = tmp_path_factory.mktemp("describe")
    mp = pytest.MonkeyPatch()
    mp.setenv("HF_HOME", str(root / "hf"))
    mp.setenv("HF_HUB_OFFLINE", "1")
    name, config_json, ckpt = open_clip_tiny(root / "clip")
    blip_tiny(root / "hf")
    wd14_tiny(root / "hf")
    cfg = root / "tiny.yaml"
    cfg.write_text(
        "stages:\n"
        "  embed:\n    backend: open_clip\n    index_min_rows: 40\n    index_type: IVF_HNSW_SQ\n"
        f"    open_clip: {{model: {name}, model_config: '{config_json}', pretrained: '{ckpt}'}}\n"
        "  caption:\n    enabled: true\n    backend: [blip, wd14]\n"
        "    blip: {model: celvault-test/tiny-blip, max_new_tokens: 6, num_beams: 1}\n"
        "    wd14: {model: celvault-test/tiny-wd14}\n"
        "  tag:\n    enabled: true\n    threshold: 0.3\n")
    path = root / "walk.mp4"
    make_episode(path, EpisodeSpec(seed=5, walkers=True))
    cli = Cli(root / "cat.db")
    cli("init")
    cli("ingest", path, "--interval", "0.25")
    reports = cli.json("run", "--profile", "offline", "--config", cfg)
    yield cli, reports, cfg, (name, config_json, ckpt)
    mp.undo()


def _vectors(rows, col="embedding"):
    return np.array([r[col] for r in rows], np.float32)


def test_embeddings_are_open_clip_vectors(described):
    cli, reports, _, (name, config_json, ckpt) = described
    frames = table(cli, "frames", REPS)
    chars = table(cli, "layers", "kind = 'character'")
    assert frames and len(chars) >= 10
    for rows in (frames, chars):
        v = _vectors(rows)
        assert v.shape[1] == 32 and np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
        assert {r["embed_model"] for r in rows} == {f"open_clip:{name}/{ckpt.name}"}
    assert all(r["embedding"] is None for r in table(cli, "layers", "kind = 'background'"))
    # the same vectors as open_clip computes itself, on white for cut-outs
    import open_clip
    import torch
    from PIL import Image

    open_clip.add_model_config(config_json)
    model, _, preprocess = open_clip.create_model_and_transforms(name, pretrained=str(ckpt))
    cat = Catalog.open(cli.catalog)
    f = frames[0]
    rgb = decode_png(cat.read("frame_media", ["data"], f"frame_id = '{f['frame_id']}'")["data"][0].as_py())
    lay = chars[0]
    rgba = decode_png(cat.read("layer_media", ["data"], f"layer_id = '{lay['layer_id']}'")["data"][0].as_py())
    a = rgba[..., 3:].astype(np.float32) / 255
    white = (rgba[..., :3] * a + 255 * (1 - a)).round().astype(np.uint8)
    with torch.no_grad():
        direct = model.encode_image(torch.stack([preprocess(Image.fromarray(rgb)), preprocess(Image.fromarray(white))]))
    direct = torch.nn.functional.normalize(direct, dim=-1).numpy()
    assert np.allclose(direct[0], f["embedding"], atol=1e-4)
    assert np.allclose(direct[1], lay["embedding"], atol=1e-4)


def test_vector_index_made_once_large_enough_and_kept_current(described):
    cli, reports, _, _ = described
    notes = [n for r in reports if r["stage"] == "embed" for n in r["notes"]]
    assert any("vector index on frames.embedding created" in n for n in notes)
    assert any("vector index on layers.embedding created" in n for n in notes)
    cat = Catalog.open(cli.catalog)
    for t in ("frames", "layers"):
        ds = cat.dataset(t)
        [idx] = [i for i in ds.describe_indices() if list(i.field_names) == ["embedding"]]
        stats = ds.stats.index_stats(idx.name)
        assert stats["num_unindexed_rows"] == 0
    # nearest neighbours through the index: a frame's own vector finds the frame
    f = table(cli, "frames", REPS)[3]
    hit = cat.dataset("frames").to_table(nearest={"column": "embedding", "q": f["embedding"], "k": 1},
                                          columns=["frame_id"])
    assert hit["frame_id"][0].as_py() == f["frame_id"]


def test_blip_captions_and_wd14_tags_side_by_side(described):
    cli, reports, _, _ = described
    caps = [r for r in reports if r["stage"] == "caption"]
    assert [(r["backend"], r["table"], r["status"]) for r in caps] == [
        ("blip", "frames", "done"), ("blip", "layers", "done"), ("wd14", "frames", "done"), ("wd14", "layers", "done")]
    words = set(BLIP_TINY_WORDS)
    for rows in (table(cli, "frames", REPS), table(cli, "layers", "kind = 'character'")):
        for r in rows:
            assert r["caption"] and set(r["caption"].split()) <= words
            assert r["caption_model"] == "blip:celvault-test/tiny-blip"
            assert r["tags_model"] == "wd14:celvault-test/tiny-wd14"
            # the character tag (over its own threshold) first, then general tags by score
            assert r["tags"][0] == "aoi (celvault)"
            assert set(map(_tag, WD14_ALWAYS_HIGH)) == set(r["tags"])
            assert not set(map(_tag, WD14_ALWAYS_LOW)) & set(r["tags"])
            assert "general" not in r["tags"]  # ratings are not tags
    # rerunning one backend leaves the other's column alone
    before = {r["frame_id"]: (r["tags"], r["tags_config"]) for r in table(cli, "frames", REPS)}
    out = cli.json("run", "caption", "--backend", "caption=blip", "--force", "--profile", "offline",
                   "--config", described[2])
    assert [r["backend"] for r in out] == ["blip", "blip"] and out[0]["rows"] == len(before)
    assert {r["frame_id"]: (r["tags"], r["tags_config"]) for r in table(cli, "frames", REPS)} == before


def test_scene_tags_from_the_vocabulary(described):
    cli, reports, _, _ = described
    from celvault.stages.scene_vocabulary import load_vocabulary

    [tag] = [r for r in reports if r["stage"] == "tag"]
    assert tag["status"] == "done" and tag["rows"] == len(table(cli, "frames", REPS))
    vocab = set(load_vocabulary("scenes").tags)
    frames = table(cli, "frames", REPS)
    assert all(r["scene_tags"] is not None and set(r["scene_tags"]) <= vocab for r in frames)
    cat = Catalog.open(cli.catalog)
    ds = cat.dataset("frames")
    assert any(list(i.field_names) == ["scene_tags"] and "LabelList" in i.type_url for i in ds.describe_indices())
    for t in {t for r in frames for t in r["scene_tags"]}:  # the index answers as a scan does
        assert ds.count_rows(f"array_has_any(scene_tags, ['{t}'])") == sum(t in r["scene_tags"] for r in frames)


def test_switching_the_embedder_needs_redo(described, tmp_path):
    import shutil

    src, _, cfg, _ = described
    cli = Cli(tmp_path / "cat.db")
    shutil.copytree(src.catalog, cli.catalog)
    before = table(cli, "frames", REPS)
    res = cli("run", "embed", "--backend", "embed=palette", "--force", "--episode", before[0]["episode_id"],
              "--profile", "offline", "--config", cfg, ok=False)
    assert res.exit_code == 1 and "--redo" in res.output and len(res.output.strip().splitlines()) == 1
    res = cli("run", "embed", "--backend", "embed=palette", "--profile", "offline", "--config", cfg, ok=False)
    assert res.exit_code == 1 and "frames.embedding holds values of open_clip:celvault-tiny-clip" in res.output
    assert "embed [palette] makes palette:hsv-12x3x3-v56" in res.output
    assert [r["embedding"] for r in table(cli, "frames", REPS)] == [r["embedding"] for r in before]
    out = cli.json("run", "--backend", "embed=palette", "--redo", "--profile", "offline", "--config", cfg)
    by = {(r["stage"], r["table"]): r for r in out}
    assert by[("embed", "frames")]["rows"] == len(before)
    assert len(table(cli, "frames", REPS)[0]["embedding"]) == 108
    assert by[("tag", "frames")]["status"] == "skipped" and "no text side" in by[("tag", "frames")]["notes"][0]
    assert by[("cluster", "layers")]["status"] == "done"  # identities refit in the new vector space
    assert {c["embed_model"] for c in table(cli, "characters")} <= {"palette:hsv-12x3x3-v56"}


def test_missing_default_weights_fail_before_writing(cli, episodes, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "empty-hf"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    cli("ingest", episodes["ep01"][0], "--interval", "2")
    cli("run", "dedup", "segment", "--profile", "offline")
    cfg = tmp_path / "c.yaml"
    cfg.write_text("models: {download: false}\n")
    res = cli("run", "embed", "--config", cfg, ok=False)
    assert res.exit_code == 1 and len(res.output.strip().splitlines()) == 1
    assert "model 'ViT-B-32/laion2b_s34b_b79k' has no weights here" in res.output
    assert "celvault models pull ViT-B-32/laion2b_s34b_b79k" in res.output
    assert "embedding" not in Catalog.open(cli.catalog).dataset("frames").schema.names
    for backend, model in (("blip", "blip-image-captioning-base"), ("wd14", "wd-swinv2-tagger-v3")):
        res = cli("run", "caption", "--backend", f"caption={backend}", "--config", cfg, ok=False)
        assert res.exit_code == 1 and f"celvault models pull {model}" in res.output
    rows = {r["name"]: r for r in cli.json("models", "list")}
    assert {"ViT-B-32/laion2b_s34b_b79k", "blip-image-captioning-base", "wd-swinv2-tagger-v3"} <= set(rows)
    assert not rows["blip-image-captioning-base"]["present"]


def test_models_list_and_pull_know_the_configured_models(described):
    cli, _, cfg, (name, _, ckpt) = described
    rows = {r["name"]: r for r in cli.json("models", "list", "--config", cfg)}
    assert rows["tiny-blip"]["present"] and rows["tiny-wd14"]["present"]
    assert rows[f"{name}/{ckpt}"]["present"] and rows[f"{name}/{ckpt}"]["path"] == str(ckpt)
    assert "tiny-blip" not in {r["name"] for r in cli.json("models", "list")}  # only with that config
    out = cli("models", "pull", "tiny-wd14", "--config", cfg)  # already in the cache: nothing to fetch
    assert "tiny-wd14:" in out.output and "model.onnx" in out.output
