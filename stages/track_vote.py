"""Identities voted per track: a character seen in 12 frames of a shot is one character.

Each layer first gets its own label (HDBSCAN, or placement into a known identity); then the
layers of a track take the label most of its labelled layers have, when at least `share` of
them agree. A track whose layers disagree more than that keeps each layer's own label (the
tracker may have joined two characters). A track none of whose layers was labelled is placed
as a whole: its centroid (the mean of its layers' vectors, steadier than any one of them)
joins the nearest identity within that identity's reach. The tracks still unlabelled then
form identities of their own (in a fit, and when a new episode is placed): tracks whose centroids lie within TIGHT of
each other are one character, and such a group of at least `new_min` layers is a new
identity (a character seen in two 8-frame shots is a character, though each shot alone is
fewer layers than an identity needs), reaching at least TRACK_RADIUS (one shot's light says
little of how far the character's other shots lie). The rest stay unassigned. Layers without a track
(null, or the track stage off) keep their own labels.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np

NOISE = -1


TIGHT = 0.2  # cosine distance: tracks of one character (as stages/clustering.py's tight identities)


def vote(labels: np.ndarray, tracks: list, share: float, vectors: np.ndarray | None = None,
         place=None, new_min: int | None = None, agrees=None, first_new: int | None = None) -> np.ndarray:
    """`labels` (NOISE: unassigned) after each track's vote; `tracks[i]` is layer i's track id.
    `place(centroids) -> labels` places the centroids of tracks without a label (None: they
    stay unassigned); with `new_min`, groups of the tracks left over with that many layers
    become new labels (from `first_new`, else after the largest one). `agrees(indices, label) -> bool array` says
    which layers may take a label their track voted for (the others strongly disagree: their
    own vectors are far from that identity; they keep their own label)."""
    out = np.array(labels, copy=True)

    def give(members: list[int], label: int) -> None:
        idx = np.array(members)
        if agrees is not None and label != NOISE:
            idx = idx[np.asarray(agrees(idx, label), bool) | (labels[idx] == label)]
        out[idx] = label

    groups: dict = defaultdict(list)
    for i, t in enumerate(tracks):
        if t is not None:
            groups[t].append(i)
    unplaced = []
    for t in sorted(groups):
        members = groups[t]
        if len(members) < 2:
            continue
        votes = Counter(int(labels[i]) for i in members if labels[i] != NOISE)
        if not votes:
            unplaced.append(members)
            continue
        top, n = min(votes.items(), key=lambda kv: (-kv[1], kv[0]))
        if n >= share * sum(votes.values()):
            give(members, top)
    if not unplaced or vectors is None:
        return out
    centroids = np.stack([vectors[m].mean(axis=0) for m in unplaced])
    centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-12)
    placed = np.asarray(place(centroids)) if place is not None else np.full(len(unplaced), NOISE)
    for members, label in zip(unplaced, placed):
        give(members, int(label))
    if new_min is not None:
        left = [k for k, label in enumerate(placed) if label == NOISE]
        next_label = first_new if first_new is not None else int(max(out.max(initial=NOISE), NOISE)) + 1
        for group in _groups(centroids[left]):
            members = [i for g in group for i in unplaced[left[g]]]
            if len(members) >= new_min:
                out[members] = next_label
                next_label += 1
    return out


def _groups(centroids: np.ndarray) -> list[list[int]]:
    """Single-linkage groups of centroids closer than TIGHT, each sorted, in order of their first."""
    parent = list(range(len(centroids)))

    def root(i):
        while parent[i] != i:
            i = parent[i]
        return i

    dist = 1.0 - centroids @ centroids.T
    for i in range(len(centroids)):
        for j in range(i + 1, len(centroids)):
            if dist[i, j] < TIGHT:
                parent[root(j)] = root(i)
    groups: dict[int, list[int]] = {}
    for i in range(len(centroids)):
        groups.setdefault(root(i), []).append(i)
    return sorted(groups.values())


TRACK_RADIUS = 0.1  # an identity made of tracks (one shot's light) reaches at least this far


def born_identity(vectors: np.ndarray, labels: np.ndarray, ids: list[str], cid: int, template: dict,
                  references: int = 8) -> dict:
    """A `characters` row for the layers labelled `cid` (an identity a placement made of tracks)."""
    members = np.flatnonzero(labels == cid)
    c = vectors[members].mean(axis=0)
    c = (c / max(float(np.linalg.norm(c)), 1e-12)).astype(np.float32)
    dist = 1.0 - vectors[members] @ c
    closest = members[np.argsort(dist, kind="stable")[:references]]
    return {"cluster_id": int(cid), "name": None, "members": len(members), "centroid": c,
            "radius": max(float(np.percentile(dist, 95)), TRACK_RADIUS), "references": [ids[i] for i in closest],
            **{k: template.get(k) for k in ("embed_model", "generation", "config")}}


def track_column(rows) -> list:
    """The rows' track ids (all None when the table has no `track_id` column)."""
    if "track_id" in rows.column_names:
        return rows.column("track_id").to_pylist()
    return [None] * rows.num_rows
