"""Weights made of several files of a Hugging Face repository, and plain local files.

transformers models (BLIP), WD14 taggers (model.onnx + selected_tags.csv) and open_clip
checkpoints live in the Hugging Face cache; a model can also be a file the user names
(`pretrained: /path/to/checkpoint.pt`). Which files each backend needs is declared in its
own module.
"""

from __future__ import annotations

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
