"""Weights made of several files of a Hugging Face repository, and plain local files.

transformers models (BLIP), WD14 taggers (model.onnx + selected_tags.csv) and open_clip
checkpoints live in the Hugging Face cache; a model can also be a file the user names
(`pretrained: /path/to/checkpoint.pt`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .weights import HubModel, ModelSpec


@dataclass(frozen=True)
class HubRepo(HubModel):
    """The weights file (first of `alternatives` present) plus companion files of a repo."""

    alternatives: tuple[str, ...] = ()
    companions: tuple[str, ...] = ()  # must be there too (checked and fetched by name)
    patterns: tuple[str, ...] = ()  # fetched along (e.g. "*.json", "*.txt": processor, tokenizer)

    def _cached(self, filename: str) -> Path | None:
        from huggingface_hub import try_to_load_from_cache

        found = try_to_load_from_cache(self.repo_id, filename, cache_dir=self.cache_dir())
        return Path(found) if isinstance(found, str) and Path(found).is_file() else None

    def locate(self) -> Path | None:
        if any(self._cached(f) is None for f in self.companions):
            return None
        for filename in (self.filename, *self.alternatives):
            found = self._cached(filename)
            if found:
                return found
        return None

    def fetch(self) -> Path:
        from huggingface_hub import hf_hub_download

        if self.patterns:
            from huggingface_hub import snapshot_download

            snapshot_download(self.repo_id, allow_patterns=list(self.patterns), cache_dir=self.cache_dir())
        for filename in self.companions:
            hf_hub_download(self.repo_id, filename, cache_dir=self.cache_dir())
        last: Exception | None = None
        for filename in (self.filename, *self.alternatives):
            try:
                return Path(hf_hub_download(self.repo_id, filename, cache_dir=self.cache_dir()))
            except Exception as exc:  # this repo has the other format: try the next name
                last = exc
        raise last or FileNotFoundError(self.filename)


@dataclass(frozen=True)
class LocalFile(ModelSpec):
    """A weights file the user points at; it cannot be downloaded, only copied there."""

    path: str = ""

    def expected(self) -> Path:
        return Path(self.path).expanduser()

    def fetch(self) -> Path:
        raise FileNotFoundError(f"{self.path} is a local file: copy it there")


def transformers_repo(repo_id: str, stage: str) -> HubRepo:
    """A transformers model repository: weights, config and preprocessing/tokenizer files."""
    return HubRepo(repo_id.split("/")[-1], stage, "transformers (huggingface)", repo_id=repo_id,
                   filename="model.safetensors", alternatives=("pytorch_model.bin",),
                   companions=("config.json",), patterns=("*.json", "*.txt"))


def tagger_repo(repo_id: str) -> HubRepo:
    """A WD14 (SmilingWolf) tagger: ONNX graph and its tag list."""
    return HubRepo(repo_id.split("/")[-1], "caption", "onnxruntime (huggingface)", repo_id=repo_id,
                   filename="model.onnx", companions=("selected_tags.csv",))


def open_clip_weights(model: str, pretrained: str) -> ModelSpec:
    """The checkpoint open_clip loads for `model` + `pretrained` (a tag of open_clip's, or a path)."""
    name = f"{model}/{pretrained}"
    if "/" in pretrained or pretrained.endswith((".pt", ".pth", ".bin", ".safetensors")):
        return LocalFile(name, "embed", "open_clip (file)", path=pretrained)
    from open_clip.pretrained import HF_SAFE_WEIGHTS_NAME, HF_WEIGHTS_NAME, get_pretrained_cfg

    hub = get_pretrained_cfg(model, pretrained).get("hf_hub", "")
    if not hub:
        from celvault.errors import ConfigError

        raise ConfigError(f"open_clip has no Hugging Face source for {model} / {pretrained!r}: download the "
                          "checkpoint and give its path as stages.embed.open_clip.pretrained")
    repo, filename = os.path.split(hub)  # "org/repo/" (default file names) or "org/repo/file"
    if filename:
        return HubRepo(name, "embed", "open_clip (huggingface)", repo_id=repo, filename=filename)
    return HubRepo(name, "embed", "open_clip (huggingface)", repo_id=repo, filename=HF_SAFE_WEIGHTS_NAME,
                   alternatives=(HF_WEIGHTS_NAME,))


DEFAULT_CLIP = ("ViT-B-32", "laion2b_s34b_b79k")
DEFAULT_BLIP = "Salesforce/blip-image-captioning-base"
DEFAULT_TAGGER = "SmilingWolf/wd-swinv2-tagger-v3"


# open_clip's own source for the default (open_clip.pretrained: laion2b_s34b_b79k), written out
# so listing models does not import open_clip and torch
DEFAULT_CLIP_HUB = "laion/CLIP-ViT-B-32-laion2B-s34B-b79K"


def describe_models() -> list[ModelSpec]:
    """The default describing models, for `celvault models list|pull`."""
    clip = HubRepo("/".join(DEFAULT_CLIP), "embed", "open_clip (huggingface)", repo_id=DEFAULT_CLIP_HUB,
                   filename="open_clip_model.safetensors", alternatives=("open_clip_pytorch_model.bin",))
    return [clip, transformers_repo(DEFAULT_BLIP, "caption"), tagger_repo(DEFAULT_TAGGER)]
