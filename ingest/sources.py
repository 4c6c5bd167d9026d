"""What a source yields: kept frames with their place in the episode."""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field


@dataclass
class KeptFrame:
    frame_index: int
    time_s: float | None
    shot_index: int
    width: int
    height: int
    fmt: str
    data: Future | bytes  # encoded bytes, or a future of them while encoding runs

    def payload(self) -> bytes:
        return self.data.result() if isinstance(self.data, Future) else self.data


@dataclass
class SourceSummary:
    kind: str  # video | frames
    fps: float | None = None
    duration_s: float | None = None
    frame_count: int = 0
    shots: int = 0
    width: int = 0
    height: int = 0
    notes: list[str] = field(default_factory=list)
