"""Scoring near-duplicate links against frame truth (tests and benchmarks import this).

A frame's truth key says what a frame shows, as finely as a link must respect: for example
`content_key(place_id, characters)` (the same characters in the same place), or a key that
also holds each character's position when a character moving must not link. Keys are any
hashable values; two frames may be linked exactly when their keys are equal.

- `dup_link_precision(links)`: the share of links (pairs of truth keys) that join equal keys.
- `opening_recall(frames, counted)`: of the frames whose key also appears in another episode
  (a shared opening), the share that sit in one group with such a frame.
- `exact_phash_links(frames)`: the baseline rule (data-juicer's exact pHash equality), as
  (frame_id, representative id) links, the sharpest frame of each hash representing it.
- `score_frames(rows, key_of, opening_of)`: both metrics for a catalogue's frames and for the
  baseline on the same frames.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Callable, Hashable, Iterable


@dataclass(frozen=True)
class Ratio:
    hits: int
    total: int

    @property
    def value(self) -> float:
        """hits / total; 1.0 when there is nothing to count (no link is never a wrong link)."""
        return self.hits / self.total if self.total else 1.0

    def __str__(self) -> str:
        return f"{self.value:.3f} ({self.hits}/{self.total})"


def content_key(place_id: Hashable, characters: Iterable[str]) -> tuple:
    """The same characters in the same place (the issue's rule for a permitted link)."""
    return (place_id, tuple(sorted(characters)))


def dup_link_precision(links: Iterable[tuple[Hashable, Hashable]]) -> Ratio:
    """Share of links (truth key of the frame, truth key of the frame it is a duplicate of)
    whose two keys are equal."""
    pairs = list(links)
    return Ratio(sum(1 for a, b in pairs if a == b), len(pairs))


def opening_recall(frames: Iterable[tuple[str, str, str | None, Hashable]],
                   counted: Callable[[tuple], bool] | None = None) -> Ratio:
    """frames: (frame_id, episode_id, dup_group, truth key). Of the frames (those `counted`
    accepts, e.g. opening frames of later episodes) whose key appears in another episode, the
    share whose group holds a frame of another episode with the same key."""
    frames = list(frames)
    episodes_of_key: dict[Hashable, set[str]] = defaultdict(set)
    members: dict[str, list[tuple]] = defaultdict(list)
    for f in frames:
        episodes_of_key[f[3]].add(f[1])
        if f[2] is not None:
            members[f[2]].append(f)
    hits = total = 0
    for f in frames:
        if (counted and not counted(f)) or not episodes_of_key[f[3]] - {f[1]}:
            continue
        total += 1
        group = members.get(f[2], []) if f[2] is not None else []
        hits += any(g[1] != f[1] and g[3] == f[3] for g in group)
    return Ratio(hits, total)


def exact_phash_links(frames: Iterable[tuple[str, int, float]]) -> list[tuple[str, str]]:
    """frames: (frame_id, phash, sharpness). Frames with equal pHash form a group whose
    sharpest frame (then smallest id) is the representative; one link per other member."""
    groups: dict[int, list[tuple[str, int, float]]] = defaultdict(list)
    for f in frames:
        groups[f[1]].append(f)
    links = []
    for members in groups.values():
        rep = min(members, key=lambda f: (-f[2], f[0]))
        links += [(f[0], rep[0]) for f in members if f[0] != rep[0]]
    return links


def _groups_from_links(ids: Iterable[str], links: list[tuple[str, str]]) -> dict[str, str]:
    group = {i: i for i in ids}
    for a, b in links:
        group[a] = b
    return group


@dataclass(frozen=True)
class DupScores:
    precision: Ratio
    recall: Ratio
    baseline_precision: Ratio
    baseline_recall: Ratio


def score_frames(rows: list[dict[str, Any]], key_of: Callable[[dict], Hashable],
                 opening_of: Callable[[dict], bool]) -> DupScores:
    """rows: frames with frame_id, episode_id, phash, sharpness, dup_of, dup_group (plus what
    `key_of` and `opening_of` read, e.g. frame_index). Scores the stage's links and, on the
    same frames, the exact-pHash baseline. Opening recall counts frames that `opening_of`
    accepts and whose key another episode also shows."""
    by_id = {r["frame_id"]: r for r in rows}
    keys = {fid: key_of(r) for fid, r in by_id.items()}
    counted = lambda f: opening_of(by_id[f[0]])
    stage_links = [(keys[r["frame_id"]], keys[r["dup_of"]]) for r in rows if r.get("dup_of")]
    stage_frames = [(fid, r["episode_id"], r["dup_group"], keys[fid]) for fid, r in by_id.items()]
    base = exact_phash_links((r["frame_id"], r["phash"], r["sharpness"] or 0.0) for r in rows)
    base_group = _groups_from_links(by_id, base)
    base_frames = [(fid, r["episode_id"], base_group[fid], keys[fid]) for fid, r in by_id.items()]
    return DupScores(
        precision=dup_link_precision(stage_links),
        recall=opening_recall(stage_frames, counted),
        baseline_precision=dup_link_precision((keys[a], keys[b]) for a, b in base),
        baseline_recall=opening_recall(base_frames, counted),
    )
