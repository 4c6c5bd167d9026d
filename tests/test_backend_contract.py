"""Every registered backend, of every kind, keeps its kind's contract.

Parametrised from the registry: a new backend (built-in or a plugin's) is tested here without
a line added. Each is built with its default settings, or, where its weights are big, with the
tiny model of the same library (`TINY`); weights come from tests/tiny_models.py and
tests/tiny_describe.py, placed in a temporary model cache where the library looks, with
downloads off. One call on a small synthetic shot, then the output contract is checked.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from celvault import registry
from celvault.run_options import RunOptions

CONTRACTS = ("segmenter", "inpainter", "embedder", "captioner", "effect_finder")
BACKENDS = [(d.kind, d.name) for d in registry.declarations() if d.kind != "stage"]
ONE_FRAME = {"sam2"}  # slow on a CPU even with the tiny model (a 1024 px image encoder per frame)


@pytest.fixture(scope="module")
def model_home(tmp_path_factory):
    """A temporary rembg home, Hugging Face cache and LaMa file; nothing can be downloaded."""
    root = tmp_path_factory.mktemp("model-home")
    mp = pytest.MonkeyPatch()
    mp.delenv("U2NET_HOME", raising=False)
    mp.setenv("REMBG_HOME", str(root / "rembg"))
    mp.setenv("HF_HOME", str(root / "hf"))
    mp.setenv("HF_HUB_OFFLINE", "1")
    mp.setenv("LAMA_MODEL", str(root / "big-lama.pt"))
    yield root
    mp.undo()


def _tiny_options(name: str, root: Path) -> dict:
    """Settings that point a backend with big default weights at its library's tiny model."""
    if name == "sam2":
        return {"sam2": {"model": "facebook/sam2.1-hiera-tiny", "points_per_side": 2, "points_per_batch": 4,
                         "pred_iou_thresh": 0.0, "stability_score_thresh": 0.0, "min_mask_region_area": 0}}
    if name == "open_clip":
        from .tiny_describe import open_clip_tiny

        model, config, ckpt = open_clip_tiny(root / "clip")
        return {"open_clip": {"model": model, "model_config": str(config), "pretrained": str(ckpt)}}
    if name == "blip":
        from .tiny_describe import BLIP_TINY_REPO

        return {"blip": {"model": BLIP_TINY_REPO, "max_new_tokens": 6, "num_beams": 1}}
    if name == "wd14":
        from .tiny_describe import WD14_TINY_REPO

        return {"wd14": {"model": WD14_TINY_REPO}}
    if name == "clipseg":
        from .tiny_effects import CLIPSEG_TINY_REPO

        return {"clipseg": {"model": CLIPSEG_TINY_REPO}}
    return {}


def _provide(spec, root: Path) -> None:
    """Write the tiny random-weight model for `spec` where its library looks for it."""
    from celvault.stages.backends.lama_inpainter import LamaModel
    from celvault.stages.backends.rembg_onnx import RembgModel
    from celvault.stages.backends.sam2_instances import SAM2_CONFIGS

    from . import tiny_describe, tiny_effects, tiny_models

    repo = getattr(spec, "repo_id", None)
    if isinstance(spec, RembgModel):
        tiny_models.rembg_home_model(root / "rembg", spec.name)
    elif isinstance(spec, LamaModel):
        tiny_models.lama_torchscript(root / "big-lama.pt")
    elif repo in SAM2_CONFIGS:
        tiny_models.sam2_checkpoint(root / "hf", repo)
    elif repo == tiny_describe.BLIP_TINY_REPO:
        tiny_describe.blip_tiny(root / "hf")
    elif repo == tiny_describe.WD14_TINY_REPO:
        tiny_describe.wd14_tiny(root / "hf")
    elif repo == tiny_effects.CLIPSEG_TINY_REPO:
        tiny_effects.clipseg_tiny(root / "hf")
    else:
        pytest.skip(f"no tiny model for {spec.name} ({type(spec).__name__}): add a builder to tests/tiny_models.py")


@pytest.fixture(scope="module")
def shot():
    """Six frames of one still-camera synthetic shot with characters walking across it."""
    from celvault.stages.layers import FrameIn
    from celvault.synthetic import EpisodeSpec, plan_episode, render_frame

    spec = EpisodeSpec(seed=4, walkers=True, duration_s=12.0)
    truth = plan_episode(spec)
    s = next(s for s in truth.shots if s.static_camera and s.characters and not s.is_opening and s.n_frames >= 12)
    picks = np.linspace(s.start_frame, s.end_frame - 1, 6).round().astype(int)
    return [FrameIn(f"ep-f{i:07d}", "ep", s.index, render_frame(spec, truth, int(i)).rgb) for i in picks]


def _shot_frames(shot):
    def frames_of(episode_id: str, shot_index: int, limit: int):
        return [(f.frame_id, f.rgb) for f in shot if (f.episode_id, f.shot_index) == (episode_id, shot_index)][:limit]

    return frames_of


def _build(kind: str, name: str, root: Path, shot):
    try:
        backend = registry.build(kind, name, _tiny_options(name, root), RunOptions(device="cpu", download=False))
        for spec in backend.models():
            if spec.locate() is None:
                _provide(spec, root)
    except ModuleNotFoundError as exc:
        pytest.skip(f"{exc.name} is not installed")
    backend.shot_frames = _shot_frames(shot)
    return backend


def _masks(frames) -> list[np.ndarray]:
    out = []
    for i, f in enumerate(frames):
        m = np.zeros(f.rgb.shape[:2], bool)
        h, w = m.shape
        m[h // 3: h // 3 + 40, w // 4 + 20 * i: w // 4 + 20 * i + 48] = True
        out.append(m)
    return out


@pytest.mark.parametrize("kind,name", BACKENDS, ids=[f"{k}-{n}" for k, n in BACKENDS])
def test_backend_keeps_its_contract(kind, name, model_home, shot):
    if kind not in CONTRACTS:
        pytest.skip(f"no contract written for backend kind {kind!r}")
    backend = _build(kind, name, model_home, shot)
    assert backend.registered_name == name and backend.kind == kind
    params = backend.params()
    assert json.loads(json.dumps(params)) == params  # goes into the config id as it is
    frames = shot[1:2] if name in ONE_FRAME else shot[1:3]
    try:
        if kind == "segmenter":
            _segmenter(backend, frames)
        elif kind == "inpainter":
            _inpainter(backend, frames)
        elif kind == "embedder":
            _embedder(backend, frames)
        elif kind == "effect_finder":
            _effect_finder(backend, frames)
        else:
            _captioner(backend, frames)
    except ModuleNotFoundError as exc:
        pytest.skip(f"{exc.name} is not installed")


def _segmenter(backend, frames):
    from celvault.stages.backends.segmenter import Segmentation

    out = backend.segment(frames)
    assert len(out) == len(frames)
    for f, seg in zip(frames, out):
        assert isinstance(seg, Segmentation) and seg.method and seg.skipped is None
        assert (seg.soft is None) != (seg.masks is None)
        if seg.soft is not None:
            assert seg.soft.shape == f.rgb.shape[:2] and seg.soft.dtype == np.uint8
        else:
            assert all(m.shape == f.rgb.shape[:2] and m.dtype == bool for m in seg.masks)
    if out[0].soft is not None:
        assert any(s.soft.std() > 0 for s in out)  # something was told apart from something else


def _inpainter(backend, frames):
    masks = _masks(frames)
    out = backend.inpaint(frames, masks)
    assert len(out) == len(frames)
    for f, m, (bg, method) in zip(frames, masks, out):
        assert isinstance(method, str) and method
        assert bg.shape == f.rgb.shape and bg.dtype == np.uint8
        assert np.array_equal(bg[~m], f.rgb[~m])  # only the holes are painted


def _embedder(backend, frames):
    rgba = np.dstack([frames[0].rgb, np.full(frames[0].rgb.shape[:2], 255, np.uint8)])
    rgba[: rgba.shape[0] // 2, :, 3] = 0  # a cut-out: half transparent
    images = [f.rgb for f in frames] + [rgba]
    vectors = backend.embed_images(images)
    assert vectors.shape == (len(images), backend.dim) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert isinstance(backend.model_id, str) and backend.model_id
    if backend.has_text:
        text = backend.embed_text(["a girl outdoors", "a room at night"])
        assert text.shape == (2, backend.dim) and np.allclose(np.linalg.norm(text, axis=1), 1.0, atol=1e-4)


def _captioner(backend, frames):
    import pyarrow as pa

    out = backend.describe([f.rgb for f in frames])
    assert len(out) == len(frames)
    pa.array(out, backend.arrow_type)  # fits the column it fills
    for one in out:
        assert isinstance(one, str) or (isinstance(one, list) and all(isinstance(t, str) for t in one))
    assert isinstance(backend.model_id, str) and backend.model_id


def _effect_finder(backend, frames):
    from celvault.stages.effect_vocabulary import load_effects

    vocabulary = load_effects("default")
    out = backend.find(frames, vocabulary)
    assert len(out) == len(frames)
    for f, maps in zip(frames, out):
        assert maps and set(maps) <= set(vocabulary.names)
        for prob in maps.values():
            assert prob.shape == f.rgb.shape[:2] and prob.dtype == np.float32
            assert 0.0 <= prob.min() and prob.max() <= 1.0
    assert all(isinstance(backend.prompt_of(e), str) and backend.prompt_of(e) for e in vocabulary.effects)
