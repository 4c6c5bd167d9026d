"""Tiny random-weight models in the real file formats, placed where the real libraries look.

Tests use these so that rembg, simple-lama-inpainting and SAM2 run their own loading and
inference code with no network and no real weights. Every builder is deterministic (seed 0,
taken inside ``torch.random.fork_rng`` so the caller's RNG state is left alone).

* :func:`rembg_home_model` mimics a rembg ``.onnx`` download (u2net, u2netp, isnet-anime,
  isnet-general-use): written to ``$REMBG_HOME/models/<name>/<name>.onnx``, i.e.
  ``BaseSession.model_dir()``. Tests set ``REMBG_HOME`` and must unset ``U2NET_HOME`` (which
  would win). Fixed batch 1, like a plain export; input ``[1,3,S,S]`` float32 (S=320 for
  u2net/u2netp, 1024 for isnet); first output ``[1,1,S,S]`` sigmoid map that follows colour
  saturation (grey -> background, saturated -> foreground), so masks are not constant.
* :func:`lama_torchscript` mimics ``big-lama.pt`` for simple-lama-inpainting (env
  ``LAMA_MODEL``): a scripted ``forward(image[1,3,H,W] 0..1, mask[1,1,H,W] int64 or float)``
  returning ``image*(1-mask) + generated*mask``. H and W must be multiples of 8 (as for real
  LaMa, which simple-lama guarantees by padding).
* :func:`sam2_checkpoint` mimics a SAM2 checkpoint on the Hugging Face hub: random weights for
  the packaged config, ``{"model": state_dict}``, in the hub cache layout under
  ``$HF_HOME/hub`` so ``hf_hub_download`` / ``build_sam2_hf`` find it with
  ``HF_HUB_OFFLINE=1``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import warnings
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["REMBG_INPUT_SIZE", "rembg_home_model", "lama_torchscript", "sam2_checkpoint"]

REMBG_INPUT_SIZE = {"u2net": 320, "u2netp": 320, "isnet-anime": 1024, "isnet-general-use": 1024}


class _TinySeg(nn.Module):
    """Pool down, two small convs, per-head 1x1 conv plus a saturation prior, upsample, sigmoid."""

    def __init__(self, down: int, n_out: int):
        super().__init__()
        self.down = down
        self.enc = nn.Conv2d(4, 8, 3, padding=1)
        self.mid = nn.Conv2d(8, 8, 3, padding=1)
        self.heads = nn.ModuleList(nn.Conv2d(8, 1, 1) for _ in range(n_out))

    def forward(self, x):
        x = F.avg_pool2d(x, self.down)
        sat = x.amax(1, keepdim=True) - x.amin(1, keepdim=True)
        prior = 3.0 * (sat - sat.mean(dim=(2, 3), keepdim=True))  # per image: batch-independent
        h1 = torch.relu(self.enc(torch.cat([x, sat], 1)))
        h2 = torch.relu(self.mid(h1))
        outs = []
        for i, head in enumerate(self.heads):
            logit = head(h2 if i == 0 else h1) * 0.5 + prior
            up = F.interpolate(logit, scale_factor=float(self.down), mode="bilinear", align_corners=False)
            outs.append(torch.sigmoid(up))
        return tuple(outs)


def rembg_home_model(home: Path, name: str) -> Path:
    """Write a tiny ONNX model for rembg session ``name`` under ``home`` (the REMBG_HOME).

    u2net/u2netp: input ``input.1`` [1,3,320,320], outputs ``d0`` (fused map), ``d1``, ``d2``
    each [1,1,320,320]. isnet-*: input ``img`` [1,3,1024,1024], output ``mask`` [1,1,1024,1024].
    """
    import onnx

    if name not in REMBG_INPUT_SIZE:
        raise ValueError(f"no tiny model for rembg {name!r}; known: {sorted(REMBG_INPUT_SIZE)}")
    size = REMBG_INPUT_SIZE[name]
    u2 = name.startswith("u2net")
    in_name, out_names = ("input.1", ["d0", "d1", "d2"]) if u2 else ("img", ["mask"])
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = _TinySeg(down=4 if u2 else 8, n_out=len(out_names)).eval()
        dummy = torch.rand(1, 3, size, size)
    path = Path(home) / "models" / name / f"{name}.onnx"
    path.parent.mkdir(parents=True, exist_ok=True)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the legacy exporter announces itself
        torch.onnx.export(model, (dummy,), str(path), input_names=[in_name], output_names=out_names,
                          opset_version=17, do_constant_folding=True, dynamo=False)
    onnx.checker.check_model(str(path))
    return path


class _TinyLama(nn.Module):
    """``image*(1-mask) + generated*mask``; generated from convs over a 1/8 scale, like LaMa's
    downsampling encoder, so H and W must be multiples of 8."""

    def __init__(self):
        super().__init__()
        self.enc = nn.Conv2d(4, 8, 3, padding=1)
        self.mid = nn.Conv2d(8, 8, 3, padding=2, dilation=2)
        self.dec = nn.Conv2d(8 + 4, 3, 3, padding=1)

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        m = (mask > 0).to(image.dtype)
        masked = image * (1 - m)
        x = torch.cat([masked, m], 1)
        h = torch.relu(self.enc(F.avg_pool2d(x, 8)))
        h = torch.relu(self.mid(h))
        h = F.interpolate(h, scale_factor=8.0, mode="bilinear", align_corners=False)
        generated = torch.sigmoid(self.dec(torch.cat([h, x], 1)))
        return masked + generated * m


def lama_torchscript(path: Path) -> Path:
    """Save a scripted tiny LaMa at ``path`` (point ``LAMA_MODEL`` at it).

    ``model(image, mask)``: image [1,3,H,W] float 0..1, mask [1,1,H,W] (int64 0/1 as
    simple-lama passes it, or float); returns [1,3,H,W] float in 0..1; H, W multiples of 8.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with torch.random.fork_rng(devices=[]), warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # torch.jit.* "deprecated" notices
        torch.manual_seed(0)
        torch.jit.save(torch.jit.script(_TinyLama().eval()), str(path))
    return path


def sam2_checkpoint(hf_home: Path, model_id: str = "facebook/sam2.1-hiera-tiny") -> Path:
    """Random-weight SAM2 checkpoint for ``model_id`` in the HF hub cache under ``hf_home``.

    Layout (as huggingface_hub writes it): ``hf_home/hub/models--<org>--<name>/``
    ``blobs/<sha256>``, ``snapshots/<commit>/<ckpt name>`` (relative symlink to the blob) and
    ``refs/main`` holding ``<commit>``. Returns the snapshot path, which is what
    ``hf_hub_download(model_id, <ckpt name>)`` returns with HF_HOME=hf_home, HF_HUB_OFFLINE=1.
    """
    from sam2.build_sam import HF_MODEL_ID_TO_FILENAMES, build_sam2

    config, filename = HF_MODEL_ID_TO_FILENAMES[model_id]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = build_sam2(config, ckpt_path=None, device="cpu")
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        ckpt = Path(tmp) / filename
        torch.save({"model": model.state_dict()}, ckpt)
        snapshot = hf_cache_repo(hf_home, model_id, {filename: ckpt}) / filename
    return snapshot


def hf_cache_commit(repo_id: str) -> str:
    """The fixed fake commit hash (40 hex digits) used for ``repo_id``'s snapshot."""
    return hashlib.sha1(f"tiny-{repo_id}".encode()).hexdigest()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 22), b""):
            digest.update(chunk)
    return digest.hexdigest()


def hf_cache_repo(hf_home: Path, repo_id: str, files: dict[str, Path]) -> Path:
    """Place ``files`` (path in the repo -> local source file) into the HF hub cache of ``repo_id``.

    Writes, as huggingface_hub does, ``hf_home/hub/models--<org>--<name>/``: ``blobs/<sha256>``
    (a copy of each source), ``snapshots/<commit>/<path in repo>`` (relative symlinks to the
    blobs; copies where symlinks are not supported) and ``refs/main`` holding ``<commit>``
    (:func:`hf_cache_commit`). Sources are left in place. Calling it again for the same repo
    replaces the snapshot's entries. Returns the snapshot directory, i.e. what
    ``snapshot_download(repo_id)`` returns with ``HF_HOME=hf_home`` and ``HF_HUB_OFFLINE=1``;
    transformers finds it with ``cache_dir=hf_home / "hub"`` (or ``HF_HOME``) and
    ``local_files_only=True``.
    """
    repo = Path(hf_home) / "hub" / ("models--" + repo_id.replace("/", "--"))
    commit = hf_cache_commit(repo_id)
    snapshot = repo / "snapshots" / commit
    blobs = repo / "blobs"
    blobs.mkdir(parents=True, exist_ok=True)
    snapshot.mkdir(parents=True, exist_ok=True)
    for rel, source in files.items():
        target = snapshot / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        blob = blobs / _sha256(Path(source))
        if not blob.exists():
            tmp = blobs / f"{blob.name}.incomplete"
            shutil.copyfile(source, tmp)
            os.replace(tmp, blob)
        if target.is_symlink() or target.exists():
            target.unlink()
        try:
            target.symlink_to(os.path.relpath(blob, target.parent))
        except OSError:  # no symlinks (e.g. some Windows setups): huggingface_hub then stores copies
            shutil.copyfile(blob, target)
    (repo / "refs").mkdir(exist_ok=True)
    (repo / "refs" / "main").write_text(commit)
    return snapshot
