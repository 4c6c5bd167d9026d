"""dedup: perceptual hashes, sharpness, and near-duplicate groups across episodes.

Per frame: 64-bit pHash and dHash (imagehash) and sharpness (variance of the Laplacian).
Across frames (the link pass): every frame gets `dup_group`, the frame id of its group's
representative, and `dup_of`, the same id for a duplicate or null for the representative.
New frames join an existing group when they are within `radius` (pHash) and `dhash_radius`
(dHash) of its representative; representatives already in the catalogue stay put, so work
done on them by later stages stays valid. Frames that join no group are grouped among
themselves, sharpest first: the sharpest frame of a group is its representative.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from celvault.errors import CatalogError, ConfigError
from celvault.registry import register

from .base import Stage
from .hamming import HammingIndex, popcount


HASH_SIDE = 256


def _bits_to_u64(bits: np.ndarray) -> int:
    return int.from_bytes(np.packbits(bits.astype(bool).ravel()).tobytes(), "big")


def frame_signature(data: bytes, frame_id: str) -> tuple[int, int, float]:
    import cv2
    import imagehash
    from PIL import Image

    img = cv2.imdecode(np.frombuffer(data or b"", np.uint8), cv2.IMREAD_GRAYSCALE) if data else None
    if img is None:
        raise CatalogError(f"frame {frame_id}: stored image cannot be decoded")
    sharpness = float(cv2.meanStdDev(cv2.Laplacian(img, cv2.CV_32F))[1][0, 0] ** 2)
    # imagehash shrinks to 32x32 (pHash) and 9x8 (dHash) anyway; an area pre-shrink makes
    # that ~25x cheaper on 720p frames and moves the hashes by a bit or two (see tests).
    h, w = img.shape
    if w > HASH_SIDE or h > HASH_SIDE:
        scale = HASH_SIDE / max(w, h)
        img = cv2.resize(img, (max(32, round(w * scale)), max(32, round(h * scale))), interpolation=cv2.INTER_AREA)
    pil = Image.fromarray(img)
    return (_bits_to_u64(imagehash.phash(pil).hash), _bits_to_u64(imagehash.dhash(pil).hash), sharpness)


@register("stage", "dedup")
class DedupStage(Stage):
    name = "dedup"
    version = 1
    table = "frames"
    key = "frame_id"
    inputs = []
    media = "frame_media"
    outputs = [pa.field("phash", pa.uint64()), pa.field("dhash", pa.uint64()), pa.field("sharpness", pa.float32())]
    link_outputs = [pa.field("dup_group", pa.string()), pa.field("dup_of", pa.string())]
    link_inputs = ["phash", "dhash", "sharpness"]
    default_batch_size = 128

    @property
    def backend(self) -> str:
        return str(self.settings.get("backend", "imagehash"))

    def after(self, catalog) -> list[str]:
        from celvault.catalog.indexes import ensure_scalar_index

        for column in ("dup_group", "dup_of", "frame_id"):  # every query's "representatives only", and the key
            ensure_scalar_index(catalog, "frames", column, "BTREE")
        return []

    def __init__(self, settings=None, device: str = "auto"):
        super().__init__(settings, device)
        try:
            self.radius = int(self.settings.get("radius", 6))
            self.dhash_radius = int(self.settings.get("dhash_radius", 16))
        except (TypeError, ValueError):
            raise ConfigError("stages.dedup: radius and dhash_radius must be whole numbers") from None
        if not 0 <= self.radius <= 31 or not 0 <= self.dhash_radius <= 64:
            raise ConfigError("stages.dedup: radius must be 0-31 and dhash_radius 0-64 (bits of 64)")

    def run(self, rows: pa.Table) -> dict[str, pa.Array]:
        keys = rows.column(self.key).to_pylist()
        images = rows.column("image").to_pylist()
        workers = min(len(keys), os.cpu_count() or 1) or 1
        with ThreadPoolExecutor(workers) as pool:
            sigs = list(pool.map(frame_signature, images, keys))
        return {
            "phash": pa.array([s[0] for s in sigs], pa.uint64()),
            "dhash": pa.array([s[1] for s in sigs], pa.uint64()),
            "sharpness": pa.array([s[2] for s in sigs], pa.float32()),
        }

    # -- grouping ------------------------------------------------------------------------
    def _close(self, dph: np.ndarray, a_dh: np.ndarray, b_dh: np.ndarray) -> np.ndarray:
        return (dph <= self.radius) & (popcount(a_dh ^ b_dh) <= self.dhash_radius)

    def link(self, catalog, pending: pa.Table) -> pa.Table:
        keys = np.array(pending.column(self.key).to_pylist(), dtype=object)
        ph = pending.column("phash").to_numpy().astype(np.uint64)
        dh = pending.column("dhash").to_numpy().astype(np.uint64)
        sharp = pending.column("sharpness").to_numpy(zero_copy_only=False).astype(np.float64)
        group = np.array([None] * len(keys), dtype=object)

        # 1. join groups whose representative is already in the catalogue
        reps = catalog.read(self.table, [self.key, "phash", "dhash"], "dup_group IS NOT NULL AND dup_of IS NULL")
        if reps.num_rows:
            # vectorised throughout: a catalogue can hold millions of representatives
            keep = pc.invert(pc.is_in(reps.column(self.key), value_set=pending.column(self.key)))
            reps = reps.filter(keep)
            rep_ph = reps.column("phash").to_numpy().astype(np.uint64)
            rep_dh = reps.column("dhash").to_numpy().astype(np.uint64)
            qi, ci, dist = HammingIndex(rep_ph, self.radius).query(ph)
            ok = self._close(dist, dh[qi], rep_dh[ci])
            qi, ci, dist = qi[ok], ci[ok], dist[ok]
            rep_keys = np.array(reps.column(self.key).take(pa.array(ci, pa.int64())).to_pylist(), dtype=object)
            # nearest representative first; ties broken by frame id for determinism
            order = np.lexsort((rep_keys.astype(str), dist, qi))
            q_sorted = qi[order]
            _, first = np.unique(q_sorted, return_index=True)
            group[q_sorted[first]] = rep_keys[order][first]

        # 2. the rest group among themselves, sharpest first
        rest = np.nonzero(np.array([g is None for g in group], dtype=bool))[0]
        if len(rest):
            qi, ci, dist = HammingIndex(ph[rest], self.radius).query(ph[rest])
            ok = self._close(dist, dh[rest][qi], dh[rest][ci])
            qi, ci = qi[ok], ci[ok]
            neighbours = np.split(ci, np.searchsorted(qi, np.arange(1, len(rest))))
            order = np.lexsort((keys[rest].astype(str), -sharp[rest]))
            leader_of = np.full(len(rest), -1, np.int64)
            for i in order:  # one step per frame; neighbours are assigned as arrays
                if leader_of[i] >= 0:
                    continue
                nb = neighbours[i]
                leader_of[nb[leader_of[nb] < 0]] = i
            group[rest] = keys[rest][leader_of]

        dup_of = [g if g != k else None for g, k in zip(group, keys)]
        return pa.table({
            self.key: pa.array(keys.tolist(), pa.string()),
            "dup_group": pa.array(group.tolist(), pa.string()),
            "dup_of": pa.array(dup_of, pa.string()),
        })
