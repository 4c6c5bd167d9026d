"""Exporters on a small real catalogue: the EveryDream2 layout, and a kohya export that still
works after it is moved to another machine (dataset.toml's image_dir relative to it)."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pytest

from .helpers import table
from .small_catalog import build_small_catalog

# The keys sd-scripts' dataset config schema accepts (library/config_util.py, ConfigSanitizer:
# the general, dataset and DreamBooth subset schemas; alpha_mask is a subset key in versions
# from 2024 on). What celvault writes must stay inside these.
SD_SCRIPTS_GENERAL = {"caption_extension", "shuffle_caption", "keep_tokens", "class_tokens", "num_repeats",
                      "resolution", "batch_size", "enable_bucket", "min_bucket_reso", "max_bucket_reso",
                      "bucket_reso_steps", "bucket_no_upscale", "flip_aug", "color_aug", "random_crop"}
SD_SCRIPTS_DATASET = SD_SCRIPTS_GENERAL | {"subsets"}
SD_SCRIPTS_SUBSET = {"image_dir", "is_reg", "num_repeats", "class_tokens", "caption_extension", "keep_tokens",
                     "shuffle_caption", "alpha_mask", "flip_aug", "color_aug", "random_crop"}


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return build_small_catalog(tmp_path_factory.mktemp("exporters"))


def _character_layers(cli, cluster: int) -> list[str]:
    return sorted(r["layer_id"] for r in table(cli, "layers", f"kind = 'character' AND cluster_id = {cluster}"))


def test_everydream_writes_images_captions_and_multiply(small, tmp_path):
    out = tmp_path / "ed"
    done = small.json("export", "everydream", out, "--character", "0", "--character", "1",
                      "--trigger", "kx", "--trigger", "ky", "--repeats", "3")
    assert sorted(p.name for p in out.iterdir()) == ["kx", "ky", "manifest.json"]
    for trigger, cluster in (("kx", 0), ("ky", 1)):
        folder = out / trigger
        images = sorted(p.stem for p in folder.glob("*.png"))
        assert images == _character_layers(small, cluster)  # every layer of the identity, named by its id
        assert sorted(p.stem for p in folder.glob("*.txt") if p.name != "multiply.txt") == images
        for stem in images:
            caption = (folder / f"{stem}.txt").read_text(encoding="utf-8")
            assert caption.startswith(f"{trigger}, ") and caption.count("\n") == 1
        assert (folder / "multiply.txt").read_text() == "3\n"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["exporter"] == "everydream" and manifest["request"]["characters"] == ["0", "1"]
    assert manifest["files"] == sorted(manifest["files"]) and len(manifest["files"]) == sum(
        s["images"] for s in done["subsets"])
    assert [s["folder"] for s in done["subsets"]] == ["kx", "ky"]
    assert not list(tmp_path.glob(".*partial*"))
    # auto repeats balance the two characters; --overwrite replaces the earlier export only
    small("export", "everydream", out, "--character", "0", "--character", "1", "--overwrite")
    counts = {p.name: len(list(p.glob("*.png"))) * float((p / "multiply.txt").read_text()) for p in out.iterdir()
              if p.is_dir()}
    assert set(counts) == {"0", "1"} and max(counts.values()) <= 1.5 * min(counts.values())
    again = small("export", "everydream", out, "--character", "0", ok=False)
    assert again.exit_code == 1 and "--overwrite" in again.output


def test_kohya_export_works_after_it_is_moved(small, tmp_path, monkeypatch):
    out = tmp_path / "here" / "lora"
    small("export", "lora", out, "--character", "0", "--character", "1", "--class", "1girl")
    small("export", "backgrounds", tmp_path / "here" / "bg")
    for name in ("lora", "bg"):
        moved = tmp_path / "training-machine" / name
        shutil.move(str(tmp_path / "here" / name), moved)
        monkeypatch.chdir(moved)  # kohya's sd-scripts resolves image_dir against its working folder
        text = Path("dataset.toml").read_text(encoding="utf-8")
        assert str(tmp_path) not in text and text.startswith("# celvault export: image_dir paths are relative")
        config = tomllib.loads(text)
        subsets = config["datasets"][0]["subsets"]
        assert subsets
        for sub in subsets:
            image_dir = Path(sub["image_dir"])
            assert not image_dir.is_absolute() and image_dir.is_dir()
            images = sorted(image_dir.glob("*.png"))
            assert images and all(p.with_suffix(".txt").is_file() for p in images)
            assert image_dir.resolve().parent == (moved / "img").resolve()
        # only keys sd-scripts' schema knows
        assert set(config) == {"general", "datasets"} and set(config["general"]) <= SD_SCRIPTS_GENERAL
        assert set(config["datasets"][0]) <= SD_SCRIPTS_DATASET
        assert all(set(sub) <= SD_SCRIPTS_SUBSET for sub in subsets)


def test_absolute_paths_on_request(small, tmp_path):
    out = tmp_path / "abs"
    small("export", "backgrounds", out, "--absolute-paths")
    [sub] = tomllib.loads((out / "dataset.toml").read_text(encoding="utf-8"))["datasets"][0]["subsets"]
    assert Path(sub["image_dir"]).is_absolute() and Path(sub["image_dir"]).parent == out.resolve() / "img"
    assert sorted(Path(sub["image_dir"]).glob("*.png"))
