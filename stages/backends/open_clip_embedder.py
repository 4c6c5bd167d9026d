"""open_clip image and text embeddings (default ViT-B-32, laion2b_s34b_b79k).

Any open_clip architecture and pretrained tag works by config; `pretrained` may also be a
checkpoint file, and `model_config` a JSON architecture open_clip does not ship (its file
name, without .json, is the model name). Weights come from the Hugging Face cache through
open_clip's own downloader.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from celvault.errors import ConfigError
from celvault.registry import register

from .embedders import Embedder, normalise
from .hub_files import DEFAULT_CLIP, LocalFile, open_clip_weights


def _open_clip():
    import open_clip

    return open_clip


@register("embedder", "open_clip")
class OpenClipEmbedder(Embedder):
    section = "open_clip"
    defaults = {"model": DEFAULT_CLIP[0], "pretrained": DEFAULT_CLIP[1], "model_config": None, "batch": 64}
    has_text = True

    def __init__(self, settings, device="cpu", catalog=None):
        super().__init__(settings, device, catalog)
        self.name, self.pretrained = str(self.options["model"]), str(self.options["pretrained"])
        self.batch = self.number("batch", int, 1)
        self._net = self._preprocess = self._tokenizer = None
        self._registered = False

    def _register_config(self):
        if self._registered:
            return
        config = self.options.get("model_config")
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
        return [open_clip_weights(self.name, self.pretrained)]

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
                out.append(self._net.encode_image(batch.to(self.device)).float().cpu().numpy())
        return normalise(np.concatenate(out)) if out else np.zeros((0, self.dim), np.float32)

    def embed_text(self, texts: list[str]) -> np.ndarray:
        import torch

        self._load()
        with torch.inference_mode(), self._autocast():
            vec = self._net.encode_text(self._tokenizer(texts).to(self.device)).float().cpu().numpy()
        return normalise(vec)
