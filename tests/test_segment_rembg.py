"""rembg backends through a tiny random-weight ONNX file where rembg looks for it."""

from __future__ import annotations

import numpy as np
import pytest

from celvault.catalog import Catalog
from celvault.synthetic import EpisodeSpec, plan_episode, render_frame

from .helpers import table, version
from .tiny_models import rembg_home_model


@pytest.fixture
def rembg_home(tmp_path, monkeypatch):
    home = tmp_path / "rembg"
    monkeypatch.delenv("U2NET_HOME", raising=False)
    monkeypatch.setenv("REMBG_HOME", str(home))
    return home


def _frames():
    spec = EpisodeSpec(seed=3)
    truth = plan_episode(spec)
    return [render_frame(spec, truth, i).rgb for i in (40, 90, 150)]


@pytest.mark.parametrize("name", ["u2netp", "isnet-anime"])
def test_batched_onnx_path_agrees_with_rembg_session(rembg_home, name):
    from PIL import Image
    from rembg import new_session

    from celvault import registry
    from celvault.run_options import RunOptions

    rembg_home_model(rembg_home, name)
    images = _frames()
    images.append(np.ascontiguousarray(images[0][:, :200]))  # another size in the same batch
    batched = registry.build("segmenter", name, {"rembg": {"batched": True, "batch": 4}}, RunOptions(device="cpu"))
    ours = batched.soft_alphas(images)
    session = new_session(name, providers=["CPUExecutionProvider"])
    for img, mine in zip(images, ours):
        ref = np.asarray(session.predict(Image.fromarray(img))[0])
        assert mine.shape == ref.shape == img.shape[:2]
        diff = np.abs(mine.astype(int) - ref.astype(int))
        assert diff.max() <= 2 and diff.mean() < 0.05
        assert ref.std() > 5  # the tiny model's output is not constant: the comparison means something
    # rembg's own one-at-a-time session is the `batched: false` path
    single = registry.build("segmenter", name, {"rembg": {"batched": False}}, RunOptions(device="cpu"))
    for a, b in zip(single.soft_alphas(images[:2]), ours[:2]):
        assert np.abs(a.astype(int) - b.astype(int)).max() <= 2


def test_segment_stage_with_isnet_anime(cli, episodes, rembg_home):
    rembg_home_model(rembg_home, "isnet-anime")
    cli("ingest", episodes["ep01"][0])
    out = cli.json("run", "dedup", "segment", "--preset", "expand")
    seg = out[1]
    reps = table(cli, "frames", "dup_group IS NOT NULL AND dup_of IS NULL")
    assert seg["rows"] == len(reps) > 0 and seg["backend"] == "isnet-anime"
    assert {f["segment_method"] for f in reps} == {"isnet-anime"}
    layers = table(cli, "layers")
    assert sum(f["layer_count"] for f in reps) == len(layers)
    assert all(r["method"] == "isnet-anime" and r["kind"] == "character" for r in layers)
    runs = table(cli, "runs", "stage = 'segment'")
    assert runs[0]["weights_sha"] and len(runs[0]["weights_sha"]) == 64  # the file's sha256 is recorded
    assert '"expand"' in runs[0]["params"]


def test_missing_weights_is_one_line_and_writes_nothing(cli, episodes, rembg_home, tmp_path):
    cli("ingest", episodes["ep01"][0])
    cli("run", "dedup")
    before = {t: version(cli, t) for t in ("frames", "layers", "layer_media")}
    offline = tmp_path / "no-downloads.yaml"
    offline.write_text("models:\n  download: false\n")
    res = cli("run", "segment", "--config", offline, ok=False)
    assert res.exit_code == 1
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: model 'isnet-anime'")
    assert str(rembg_home / "models" / "isnet-anime" / "isnet-anime.onnx") in lines[0]
    assert "celvault models pull isnet-anime" in lines[0]
    assert {t: version(cli, t) for t in before} == before
    assert "segment_method" not in Catalog.open(cli.catalog).dataset("frames").schema.names
    assert all(f["phash"] is not None for f in table(cli, "frames"))  # dedup's work is intact


def test_failed_download_is_a_clear_error(monkeypatch, rembg_home):
    from celvault import registry
    from celvault.stages.backends.rembg_onnx import RembgModel
    from celvault.stages.backends.weights import MissingWeights

    def offline(*a, **k):
        raise ConnectionError("Name or service not known")

    monkeypatch.setattr(RembgModel, "fetch", offline)
    [spec] = registry.build("segmenter", "u2netp").models()  # what the backend would load
    with pytest.raises(MissingWeights) as err:
        spec.require(download=True)
    assert "download failed: ConnectionError" in str(err.value) and "celvault models pull u2netp" in str(err.value)


def test_models_list_shows_what_is_here(cli, rembg_home):
    path = rembg_home_model(rembg_home, "u2netp")
    rows = {r["name"]: r for r in cli.json("models", "list")}
    assert rows["u2netp"]["present"] and rows["u2netp"]["path"] == str(path)
    assert rows["u2netp"]["size_bytes"] == path.stat().st_size
    assert not rows["isnet-anime"]["present"]
    assert {"isnet-anime", "u2net", "u2netp", "isnet-general-use", "lama", "sam2.1-hiera-large"} <= set(rows)
    res = cli("models", "pull", "no-such-model", ok=False)
    assert res.exit_code == 1 and "unknown model backend 'no-such-model'" in res.output


def test_unknown_backend_and_preset_are_one_line_errors(cli):
    res = cli("run", "segment", "--backend", "segment=nope", ok=False)
    assert res.exit_code == 1 and "unknown segment (segmenter) backend 'nope'" in res.output
    assert "isnet-anime" in res.output and "plate" in res.output
    res = cli("run", "segment", "--preset", "fuzzy", ok=False)
    assert res.exit_code == 1 and "unknown refinement preset 'fuzzy'" in res.output
    res = cli("run", "--backend", "colour=x", ok=False)
    assert res.exit_code == 2 and "unknown stage 'colour'" in res.output
