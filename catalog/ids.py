"""Deterministic ids: from content and keys, never from time, pids or counters."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

CHUNK = 1 << 20


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(CHUNK):
            h.update(block)
    return h.hexdigest()


def sha256_files(root: Path, files: list[Path]) -> str:
    """Content hash of a folder of frames: names relative to root and each file's hash."""
    h = hashlib.sha256()
    for f in files:
        h.update(str(f.relative_to(root)).encode())
        h.update(b"\0")
        h.update(sha256_file(f).encode())
        h.update(b"\n")
    return h.hexdigest()


def episode_id(source_sha256: str) -> str:
    return source_sha256[:16]


def frame_id(episode: str, frame_index: int) -> str:
    return f"{episode}-f{frame_index:07d}"


def layer_id(frame: str, kind: str, instance: int) -> str:
    return f"{frame}-{kind}{instance:02d}"


def config_id(**parts) -> str:
    """Id of a stage configuration (stage, version, backend, params, weights)."""
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]
