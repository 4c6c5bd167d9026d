"""Model weights: where each library keeps them, whether they are here, and fetching them.

Weights live in each library's own cache and are fetched by its own downloader (rembg's
model home through pooch with its md5, the Hugging Face cache, torch hub). A backend module
declares the files it needs (celvault.registry); the kinds of file specific to one library
live beside their backend (rembg_onnx.RembgModel, lama_inpainter.LamaModel). Nothing here
downloads at import or construction; `pull` is called by `celvault models pull` and, when
`models.download` allows it, by a stage about to run.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from celvault.errors import CelvaultError


class MissingWeights(CelvaultError):
    def __init__(self, model: str, expected: Path | str, reason: str | None = None):
        why = f" ({reason})" if reason else ""
        super().__init__(
            f"model {model!r} has no weights here{why}: expected {expected}; "
            f"run `celvault models pull {model}` on a machine with network, or copy the file there"
        )
        self.model, self.expected = model, str(expected)


@dataclass(frozen=True)
class ModelSpec:
    name: str
    stage: str
    library: str

    def expected(self) -> Path:
        """Where the library looks for the file (whether or not it is there)."""
        raise NotImplementedError

    def locate(self) -> Path | None:
        path = self.expected()
        return path if path.is_file() else None

    def fetch(self) -> Path:
        raise NotImplementedError

    def pull(self) -> Path:
        """Download through the library's own mechanism; a one-line error on failure."""
        try:
            path = Path(self.fetch())
        except CelvaultError:
            raise
        except Exception as exc:  # network, checksum, disk: the library's own exception types
            raise MissingWeights(self.name, self.expected(), f"download failed: {_short(exc)}") from None
        if not path.is_file():
            raise MissingWeights(self.name, self.expected(), "download left no file")
        return path

    def require(self, download: bool) -> Path:
        path = self.locate()
        if path is not None:
            return path
        if not download:
            raise MissingWeights(self.name, self.expected(), "downloads are off (models.download: false)")
        return self.pull()

    def sha256(self) -> str | None:
        path = self.locate()
        return file_sha256(str(path), path.stat().st_size, path.stat().st_mtime_ns) if path else None


def _short(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{exc.__class__.__name__}: {text[:100]}" if text else exc.__class__.__name__


@lru_cache(maxsize=64)
def file_sha256(path: str, size: int, mtime_ns: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 22):
            h.update(block)
    return h.hexdigest()


@dataclass(frozen=True)
class HubModel(ModelSpec):
    """One file of a Hugging Face Hub repository, in the HF cache (HF_HOME)."""

    repo_id: str = ""
    filename: str = ""

    @staticmethod
    def cache_dir() -> Path:
        """The hub cache as the environment says now (huggingface_hub freezes it at import)."""
        if os.environ.get("HF_HUB_CACHE"):
            return Path(os.environ["HF_HUB_CACHE"]).expanduser()
        home = os.environ.get("HF_HOME") or os.path.join(os.environ.get("XDG_CACHE_HOME", "~/.cache"), "huggingface")
        return Path(home).expanduser() / "hub"

    def locate(self) -> Path | None:
        from huggingface_hub import try_to_load_from_cache

        found = try_to_load_from_cache(self.repo_id, self.filename, cache_dir=self.cache_dir())
        return Path(found) if isinstance(found, str) and Path(found).is_file() else None

    def expected(self) -> Path:
        found = self.locate()
        if found:
            return found
        return self.cache_dir() / f"models--{self.repo_id.replace('/', '--')}" / "snapshots" / "<revision>" / self.filename

    def fetch(self) -> Path:
        from huggingface_hub import hf_hub_download

        return Path(hf_hub_download(self.repo_id, self.filename, cache_dir=self.cache_dir()))


def inventory(specs: list[ModelSpec]) -> list[dict]:
    """One row per model: name, stage, library, where it is (or would be), present, size."""
    rows = []
    for spec in specs:
        found = spec.locate()
        rows.append({"name": spec.name, "stage": spec.stage, "library": spec.library,
                     "path": str(found or spec.expected()), "present": found is not None,
                     "size_bytes": found.stat().st_size if found else None})
    return rows
