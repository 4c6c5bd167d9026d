"""Character identities from layer embeddings: HDBSCAN, centroids, assignment, id matching.

Vectors are L2-normalised, so Euclidean distance orders pairs as cosine distance does; they
are projected (PCA, fixed seed) to a few dimensions before HDBSCAN, whose trees are fast only
in low dimensions. Past `max_fit` layers, HDBSCAN fits a fixed-seed sample and the rest join
the nearest identity exactly as a new episode's layers do.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NOISE = -1


@dataclass
class Identity:
    centroid: np.ndarray  # L2-normalised mean of the members
    radius: float  # 95th percentile of the members' cosine distance to the centroid
    count: int


def project(vectors: np.ndarray, dims: int, sample: int = 20000) -> np.ndarray:
    if vectors.shape[1] <= dims or len(vectors) <= dims:
        return vectors
    rng = np.random.default_rng(0)
    fit_rows = vectors if len(vectors) <= sample else vectors[np.sort(rng.choice(len(vectors), sample, replace=False))]
    mean = fit_rows.mean(axis=0)
    _, _, vt = np.linalg.svd(fit_rows - mean, full_matrices=False)
    return (vectors - mean) @ vt[:dims].T


def hdbscan_labels(points: np.ndarray, min_cluster_size: int, min_samples: int) -> np.ndarray:
    if len(points) < max(min_cluster_size, 2):
        return np.full(len(points), NOISE)
    import hdbscan

    model = hdbscan.HDBSCAN(min_cluster_size=min_cluster_size, min_samples=min(min_samples, len(points) - 1),
                            core_dist_n_jobs=1)
    return model.fit_predict(points.astype(np.float64))


def identities(vectors: np.ndarray, labels: np.ndarray) -> dict[int, Identity]:
    out = {}
    for label in sorted(set(labels.tolist()) - {NOISE}):
        members = vectors[labels == label]
        c = members.mean(axis=0)
        c = c / max(float(np.linalg.norm(c)), 1e-12)
        dist = 1.0 - members @ c
        out[int(label)] = Identity(c.astype(np.float32), float(np.percentile(dist, 95)), len(members))
    return out


def assign(vectors: np.ndarray, known: dict[int, Identity], factor: float, margin: float) -> tuple[np.ndarray, np.ndarray]:
    """Nearest identity within `factor` x its radius + `margin` (cosine distance), else noise.
    Returns the labels and the distance to the nearest identity."""
    if not known or len(vectors) == 0:
        return np.full(len(vectors), NOISE), np.full(len(vectors), np.inf)
    ids = np.array(list(known))
    centroids = np.stack([known[i].centroid for i in ids])
    reach = np.array([factor * known[i].radius + margin for i in ids])
    dist = 1.0 - vectors @ centroids.T
    nearest = dist.argmin(axis=1)
    best = dist[np.arange(len(vectors)), nearest]
    return np.where(best <= reach[nearest], ids[nearest], NOISE), best


TIGHT = 0.2  # cosine distance: joins and noise placement only involve identities this tight


def merge_close(vectors: np.ndarray, labels: np.ndarray, factor: float) -> np.ndarray:
    """Join clusters whose centroids are closer than `factor` x the larger of their radii (and
    than TIGHT): HDBSCAN splits one character into two dense clusters when it is seen lit from
    two sides or half cut; two characters lie many radii apart. Radii are HDBSCAN's own, so
    joins do not snowball."""
    if factor <= 0:
        return labels
    known = identities(vectors, labels)
    ids = sorted(known)
    parent = {i: i for i in ids}

    def root(i):
        while parent[i] != i:
            i = parent[i]
        return i

    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            d = 1.0 - float(known[a].centroid @ known[b].centroid)
            if d < min(factor * max(known[a].radius, known[b].radius), TIGHT):
                parent[root(b)] = root(a)
    joined = np.array([root(int(v)) if v != NOISE else NOISE for v in labels])
    kept = sorted(set(joined.tolist()) - {NOISE})  # renumbered 0..k-1
    remap = {old: new for new, old in enumerate(kept)}
    return np.array([remap.get(int(v), NOISE) for v in joined])


def fit(vectors: np.ndarray, *, min_cluster_size: int, min_samples: int, reduce_dims: int, max_fit: int,
        factor: float, margin: float, merge: float = 0.0) -> np.ndarray:
    """HDBSCAN labels (NOISE for unassigned) for L2-normalised `vectors`, close clusters joined."""
    n = len(vectors)
    if n <= max_fit:
        labels = merge_close(vectors, hdbscan_labels(project(vectors, reduce_dims), min_cluster_size, min_samples), merge)
        return _place_noise(vectors, labels, factor, margin)
    chosen = np.sort(np.random.default_rng(0).choice(n, max_fit, replace=False))
    labels = np.full(n, NOISE)
    labels[chosen] = merge_close(vectors[chosen], hdbscan_labels(project(vectors[chosen], reduce_dims), min_cluster_size,
                                                                 min_samples), merge)
    rest = np.setdiff1d(np.arange(n), chosen)
    labels[rest], _ = assign(vectors[rest], identities(vectors[chosen], labels[chosen]), factor, margin)
    return _place_noise(vectors, labels, factor, margin)


def _place_noise(vectors: np.ndarray, labels: np.ndarray, factor: float, margin: float) -> np.ndarray:
    """Layers HDBSCAN left as noise join the nearest identity within its reach, as a new
    episode's layers do (a character seen half cut or in odd light is still that character)."""
    noise = labels == NOISE
    tight = {k: v for k, v in identities(vectors, labels).items() if v.radius <= TIGHT}
    if noise.any() and tight:  # a loose identity's reach would take in anything
        labels = labels.copy()
        labels[noise], _ = assign(vectors[noise], tight, factor, margin)
    return labels


def match_previous(new: dict[int, set[str]], old: dict[int, set[str]]) -> dict[int, int]:
    """new label -> old cluster id, greedily by shared members (each old id used once)."""
    pairs = sorted(((len(m & o), -nl, -ol) for nl, m in new.items() for ol, o in old.items() if m & o), reverse=True)
    taken_new, taken_old, out = set(), set(), {}
    for _, nl, ol in pairs:
        nl, ol = -nl, -ol
        if nl not in taken_new and ol not in taken_old:
            out[nl] = ol
            taken_new.add(nl)
            taken_old.add(ol)
    return out
