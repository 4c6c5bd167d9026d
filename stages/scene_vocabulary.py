"""The scene vocabulary (configs/tags/*.yaml) and zero-shot multi-label scoring with CLIP."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from celvault.errors import ConfigError

from .vocabulary_file import read_vocabulary

LOGIT_SCALE = 100.0  # CLIP's trained temperature (logit_scale.exp() of the released models)


@dataclass(frozen=True)
class Vocabulary:
    none: str
    groups: dict[str, dict[str, tuple[str, ...]]]  # group -> tag -> prompts

    def digest(self) -> str:
        body = json.dumps({"none": self.none, "groups": self.groups}, sort_keys=True)
        return hashlib.sha256(body.encode()).hexdigest()[:16]

    @property
    def tags(self) -> list[str]:
        return [t for g in self.groups.values() for t in g]


def _group(name: str, body, template: str) -> dict[str, tuple[str, ...]]:
    if isinstance(body, list):
        body = {str(t): None for t in body}
    if not isinstance(body, dict) or not body:
        raise ConfigError(f"scene vocabulary group {name!r}: a list of tags or a mapping tag -> prompt")
    out = {}
    for tag, prompt in body.items():
        prompts = prompt if isinstance(prompt, list) else [prompt or template.format(tag)]
        out[str(tag)] = tuple(str(p) for p in prompts)
    return out


def load_vocabulary(name_or_path: str, extra: dict | None = None) -> Vocabulary:
    """The vocabulary `name_or_path` (a shipped name or a YAML file) plus `extra` groups."""
    path = Path(name_or_path).expanduser()
    stamp = (path.stat().st_mtime_ns, path.stat().st_size) if path.suffix and path.is_file() else None
    return _load(name_or_path, json.dumps(extra, sort_keys=True, default=str) if extra else "", stamp)


@lru_cache(maxsize=8)
def _load(name_or_path: str, extra_json: str, _stamp) -> Vocabulary:  # _stamp: a changed file is read again
    extra = json.loads(extra_json) if extra_json else None
    path, data = read_vocabulary(name_or_path, "tags", "scene")
    if not isinstance(data, dict) or not isinstance(data.get("groups", {}), dict) or not isinstance(extra or {}, dict):
        raise ConfigError(f"{path}: a mapping with `groups:` (group name -> tags); stages.tag.extra likewise")
    template = str(data.get("prompt", "an anime screenshot of {}"))
    groups = {**(data.get("groups") or {}), **(extra or {})}
    if not groups:
        raise ConfigError(f"{path}: no tag groups")
    vocab = Vocabulary(str(data.get("none", "an anime screenshot")),
                       {str(g): _group(str(g), body, template) for g, body in groups.items()})
    dup = {t for t in vocab.tags if vocab.tags.count(t) > 1}
    if dup:
        raise ConfigError(f"{path}: tags in more than one group: {', '.join(sorted(dup))}")
    return vocab


class SceneScorer:
    """Group-wise softmax of image-text similarities; tags at or over `threshold` are kept."""

    def __init__(self, vocab: Vocabulary, embed_text, threshold: float):
        self.threshold = threshold
        none = embed_text([vocab.none])[0]
        self.groups = []
        for tags in vocab.groups.values():
            names = list(tags)
            vectors = [none]
            for t in names:
                v = embed_text(list(tags[t])).mean(axis=0)
                vectors.append(v / max(float(np.linalg.norm(v)), 1e-12))
            self.groups.append((names, np.stack(vectors).astype(np.float32)))

    def probabilities(self, images: np.ndarray) -> list[tuple[list[str], np.ndarray]]:
        out = []
        for names, vectors in self.groups:
            logits = LOGIT_SCALE * images @ vectors.T
            logits -= logits.max(axis=1, keepdims=True)
            p = np.exp(logits)
            out.append((names, (p / p.sum(axis=1, keepdims=True))[:, 1:]))
        return out

    def tags(self, images: np.ndarray) -> list[list[str]]:
        result: list[list[str]] = [[] for _ in range(len(images))]
        for names, probs in self.probabilities(images):
            for i, row in enumerate(probs):
                result[i] += [names[j] for j in np.argsort(-row, kind="stable") if row[j] >= self.threshold]
        return result
