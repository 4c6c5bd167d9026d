"""open_clip image and text embeddings (default ViT-B-32, laion2b_s34b_b79k).

Any open_clip architecture and pretrained tag works by config; `pretrained` may also be a
checkpoint file, and `model_config` a JSON architecture open_clip does not ship (its file
name, without .json, is the model name). Weights come from the Hugging Face cache through
open_clip's own downloader.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from celvault.errors import ConfigError
from celvault.registry import register
from celvault.settings import setting
from celvault.timing import phase

from .embedders import Embedder, normalise
from .hub_files import HubRepo, LocalFile
from .weights import ModelSpec

DEFAULT_MODEL, DEFAULT_PRETRAINED = "ViT-B-32", "laion2b_s34b_b79k"
# open_clip's own source for the default (open_clip.pretrained), written out so that listing
# models does not import open_clip and torch
DEFAULT_HUB = "laion/CLIP-ViT-B-32-laion2B-s34B-b79K"
SAFE_WEIGHTS, WEIGHTS = "open_clip_model.safetensors", "open_clip_pytorch_model.bin"  # open_clip's HF file names


def _open_clip():
    import open_clip

    return open_clip


def clip_weights(model: str, pretrained: str) -> ModelSpec:
    """The checkpoint open_clip loads for `model` + `pretrained` (a tag of open_clip's, or a path)."""
    name = f"{model}/{pretrained}"
    if "/" in pretrained or pretrained.endswith((".pt", ".pth", ".bin", ".safetensors")):
        return LocalFile(name, "embed", "open_clip (file)", path=pretrained)
    if (model, pretrained) == (DEFAULT_MODEL, DEFAULT_PRETRAINED):
        hub = f"{DEFAULT_HUB}/"
    else:
        hub = _open_clip().pretrained.get_pretrained_cfg(model, pretrained).get("hf_hub", "")
    if not hub:
        raise ConfigError(f"open_clip has no Hugging Face source for {model} / {pretrained!r}: download the "
                          "checkpoint and give its path as stages.embed.open_clip.pretrained")
    repo, filename = os.path.split(hub)  # "org/repo/" (default file names) or "org/repo/file"
    if filename:
        return HubRepo(name, "embed", "open_clip (huggingface)", repo_id=repo, filename=filename)
    return HubRepo(name, "embed", "open_clip (huggingface)", repo_id=repo, filename=SAFE_WEIGHTS,
                   alternatives=(WEIGHTS,))


@dataclass(frozen=True)
class OpenClipSettings:
    model: str = setting(DEFAULT_MODEL, "any open_clip architecture")
    pretrained: str = setting(DEFAULT_PRETRAINED, "an open_clip pretrained tag, or a checkpoint file")
    model_config: str | None = setting(None, "JSON of an architecture open_clip does not ship")
    batch: int = setting(64, "images per model call", min=1, runtime=True)


@register("embedder", "open_clip", settings=OpenClipSettings,
          weights=lambda o: [clip_weights(o.model, o.pretrained)])
class OpenClipEmbedder(Embedder):
    has_text = True

    def __init__(self, settings=None, run=None):
        super().__init__(settings, run)
        self.name, self.pretrained = self.options.model, self.options.pretrained
        self.batch = self.options.batch
        self._net = self._preprocess = self._tokenizer = None
        self._registered = False

    def _register_config(self):
        if self._registered:
            return
        config = self.options.model_config
        if config:
            path = Path(str(config)).expanduser()
            if not path.is_file():
                raise ConfigError(f"stages.embed.open_clip.model_config: {path} does not exist")
            _open_clip().add_model_config(path)
        if _open_clip().get_model_config(self.name) is None:
            raise ConfigError(f"open_clip has no model {self.name!r} (see open_clip.list_models(), or give "
                              "stages.embed.open_clip.model_config)")
        self._registered = True

    def params(self):
        return {"model": self.name, "pretrained": self.pretrained}

    @property
    def dim(self) -> int:
        self._register_config()
        return int(_open_clip().get_model_config(self.name)["embed_dim"])

    @property
    def model_id(self) -> str:
        return f"open_clip:{self.name}/{Path(self.pretrained).name}"

    def models(self):
        self._register_config()
        return super().models()

    def _load(self):
        if self._net is not None:
            return
        oc = _open_clip()
        spec = self.models()[0]
        path = spec.require(self.download)
        extra = {}
        if not isinstance(spec, LocalFile):
            cfg = oc.get_pretrained_cfg(self.name, self.pretrained)
            extra = {k: cfg[c] for k, c in (("image_mean", "mean"), ("image_std", "std"),
                                            ("image_interpolation", "interpolation"),
                                            ("image_resize_mode", "resize_mode")) if cfg.get(c)}
            extra["force_quick_gelu"] = bool(cfg.get("quick_gelu", False))
        net, _, preprocess = oc.create_model_and_transforms(self.name, pretrained=str(path), device=self.device, **extra)
        self._net, self._preprocess = net.eval(), preprocess
        self._tokenizer = oc.get_tokenizer(self.name)

    def _autocast(self):
        import contextlib

        import torch

        return torch.autocast("cuda", dtype=torch.float16) if self.device == "cuda" else contextlib.nullcontext()

    def embed_images(self, images: list[np.ndarray]) -> np.ndarray:
        import torch

        from celvault.media.codec import to_pil

        self._load()
        out = []
        step = self.batch
        for start in range(0, len(images), step):
            batch = torch.stack([self._preprocess(to_pil(img)) for img in images[start:start + step]])
            with torch.inference_mode(), self._autocast():
                with phase("model"):
                    out.append(self._net.encode_image(batch.to(self.device)).float().cpu().numpy())
        return normalise(np.concatenate(out)) if out else np.zeros((0, self.dim), np.float32)

    def embed_text(self, texts: list[str]) -> np.ndarray:
        import torch

        self._load()
        with torch.inference_mode(), self._autocast():
            vec = self._net.encode_text(self._tokenizer(texts).to(self.device)).float().cpu().numpy()
        return normalise(vec)
