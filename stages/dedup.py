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
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from celvault.errors import CatalogError
from celvault.registry import register
from celvault.settings import StageSettings, setting

from .base import IndexSpec
from .dup_confirm import THUMB_BYTES, as_array, comparable, pair_scores, thumbnail_bgr, thumbnail_of_image
from .hamming import HammingIndex, popcount
from .row_stage import LinkedRowStage


HASH_SIDE = 256


def _bits_to_u64(bits: np.ndarray) -> int:
    return int.from_bytes(np.packbits(bits.astype(bool).ravel()).tobytes(), "big")


# libpng's rgb_to_gray(0.299, 0.587) with truncation, which is what OpenCV's grayscale PNG read
# gives: one colour decode then yields the same grey frame (hashes, sharpness) and the thumbnail.
_GRAY = np.array([[3736 / 32768, 19234 / 32768, 9798 / 32768, -0.5 + 1e-4]])


def frame_features(data: bytes, frame_id: str) -> tuple[int, int, float, bytes]:
    """pHash, dHash, sharpness and the colour thumbnail (stages/dup_confirm.py) of a frame."""
    import cv2
    import imagehash
    from PIL import Image

    bgr = cv2.imdecode(np.frombuffer(data or b"", np.uint8), cv2.IMREAD_COLOR) if data else None
    if bgr is None:
        raise CatalogError(f"frame {frame_id}: stored image cannot be decoded")
    img = cv2.transform(bgr, _GRAY)
    img = img if img.ndim == 2 else img[:, :, 0]
    # int16 Laplacian: exact (|value| <= 1020) and faster than float32
    sharpness = float(cv2.meanStdDev(cv2.Laplacian(img, cv2.CV_16S))[1][0, 0] ** 2)
    # imagehash shrinks to 32x32 (pHash) and 9x8 (dHash) anyway; an area pre-shrink makes
    # that ~25x cheaper on 720p frames and moves the hashes by a bit or two (see tests).
    h, w = img.shape
    if w > HASH_SIDE or h > HASH_SIDE:
        scale = HASH_SIDE / max(w, h)
        img = cv2.resize(img, (max(32, round(w * scale)), max(32, round(h * scale))), interpolation=cv2.INTER_AREA)
    pil = Image.fromarray(img)
    return (_bits_to_u64(imagehash.phash(pil).hash), _bits_to_u64(imagehash.dhash(pil).hash), sharpness,
            thumbnail_bgr(bgr))


def frame_signature(data: bytes, frame_id: str) -> tuple[int, int, float]:
    """pHash, dHash and sharpness of a frame (as the stage computes them)."""
    return frame_features(data, frame_id)[:3]


@dataclass(frozen=True)
class DedupSettings(StageSettings):
    radius: int = setting(6, "Hamming radius on the 64-bit pHash", min=0, max=31)
    dhash_radius: int = setting(16, "and on dHash, to keep flat scenes apart", min=0, max=64)
    max_change: float = setting(7.0, "a hash match links only if no 3x3 block of the 64x36 colour thumbnails "
                                     "changed by more than this (levels of 255)", min=0, max=255)


@register("stage", "dedup")
class DedupStage(LinkedRowStage):
    name = "dedup"
    version = 1
    order = 10
    Settings = DedupSettings
    default_backend = "imagehash"
    table = "frames"
    key = "frame_id"
    inputs = []
    media = "frame_media"
    outputs = [pa.field("phash", pa.uint64()), pa.field("dhash", pa.uint64()), pa.field("sharpness", pa.float32()),
               pa.field("dup_thumb", pa.large_binary())]  # colour thumbnail (THUMB_BYTES): confirms a hash match
    link_outputs = [pa.field("dup_group", pa.string()), pa.field("dup_of", pa.string())]
    link_inputs = ["phash", "dhash", "sharpness", "dup_thumb"]
    default_batch_size = 128

    def indexes(self) -> list[IndexSpec]:
        # every query's "representatives only", the key, and an episode's frames (the review app)
        return [IndexSpec("frames", column, "BTREE") for column in ("dup_group", "dup_of", "frame_id", "episode_id")]

    def __init__(self, settings=None, run=None, uses=None):
        super().__init__(settings, run, uses)
        self.radius, self.dhash_radius = self.settings.radius, self.settings.dhash_radius
        self.max_change = self.settings.max_change
        self._decoded = 0  # thumbnails made at link time from stored frames (older catalogues)

    def run(self, rows: pa.Table) -> dict[str, pa.Array]:
        keys = rows.column(self.key).to_pylist()
        images = rows.column("image").to_pylist()
        workers = min(len(keys), os.cpu_count() or 1) or 1
        with ThreadPoolExecutor(workers) as pool:
            sigs = list(pool.map(frame_features, images, keys))
        return {
            "phash": pa.array([s[0] for s in sigs], pa.uint64()),
            "dhash": pa.array([s[1] for s in sigs], pa.uint64()),
            "sharpness": pa.array([s[2] for s in sigs], pa.float32()),
            "dup_thumb": pa.array([s[3] for s in sigs], pa.large_binary()),
        }

    # -- grouping ------------------------------------------------------------------------
    def _close(self, dph: np.ndarray, a_dh: np.ndarray, b_dh: np.ndarray) -> np.ndarray:
        return (dph <= self.radius) & (popcount(a_dh ^ b_dh) <= self.dhash_radius)

    def _thumbs(self, view, keys: list, stored: list) -> np.ndarray:
        """`comparable` thumbnails for `keys`; a missing one (a frame hashed before thumbnails
        existed, or one of another size) is made from the frame's stored image."""
        from celvault.catalog.store import sql_in

        stored = [t if t is not None and len(t) == THUMB_BYTES else None for t in stored]
        lacking = [k for k, t in zip(keys, stored) if t is None]
        if lacking:
            media = view.read(self.media, [self.key, "data"], sql_in(self.key, lacking))
            made = {}
            for k, data in zip(media.column(self.key).to_pylist(), media.column("data").to_pylist()):
                made[k] = thumbnail_of_image(data)
            stored = [t if t is not None else made.get(k) for k, t in zip(keys, stored)]
            if any(t is None for t in stored):
                bad = next(k for k, t in zip(keys, stored) if t is None)
                raise CatalogError(f"frame {bad}: stored image cannot be decoded")
            self._decoded += len(lacking)
        return comparable(as_array(stored))

    def summary(self) -> list[str]:
        if self._decoded:
            return [f"{self._decoded} frames hashed before thumbnails existed: their stored frames were decoded to confirm"]
        return []

    def link(self, pending: pa.Table, view) -> pa.Table:
        """Groups for `pending`, keeping the manual decisions (catalog/duplicates.py): an
        unlinked frame stands alone (no frame joins it, it joins none), a chosen
        representative stays the representative of whatever group it falls in."""
        unlinked, chosen = self._manual(view)
        alone = pc.is_in(pending.column(self.key), value_set=pa.array(sorted(unlinked), pa.string()))
        rest = pending.filter(pc.invert(alone))
        out = self._group(rest, view, unlinked) if rest.num_rows else None
        if out is not None and chosen:
            group = out.column("dup_group").to_pylist()
            keys = out.column(self.key).to_pylist()
            for key, g in zip(keys, list(group)):
                if key in chosen and g != key:  # its group follows it
                    group = [key if x == g else x for x in group]
            out = pa.table({self.key: pa.array(keys, pa.string()), "dup_group": pa.array(group, pa.string()),
                            "dup_of": pa.array([g if g != k else None for g, k in zip(group, keys)], pa.string())})
        own = pending.filter(alone).column(self.key).to_pylist()
        solo = pa.table({self.key: pa.array(own, pa.string()), "dup_group": pa.array(own, pa.string()),
                         "dup_of": pa.nulls(len(own), pa.string())})
        return solo if out is None else pa.concat_tables([out, solo])

    @staticmethod
    def _manual(view) -> tuple[set, set]:
        """Frames unlinked by hand, and frames chosen as representatives."""
        try:
            rows = view.read("frames", ["frame_id", "dup_manual"], "dup_manual IS NOT NULL").to_pylist()
        except (ValueError, OSError, RuntimeError):  # no decision yet: no column
            return set(), set()
        return ({r["frame_id"] for r in rows if r["dup_manual"] == "unlinked"},
                {r["frame_id"] for r in rows if r["dup_manual"] == "representative"})

    def _group(self, pending: pa.Table, view, unlinked: set) -> pa.Table:
        keys = np.array(pending.column(self.key).to_pylist(), dtype=object)
        ph = pending.column("phash").to_numpy().astype(np.uint64)
        dh = pending.column("dhash").to_numpy().astype(np.uint64)
        sharp = pending.column("sharpness").to_numpy(zero_copy_only=False).astype(np.float64)
        thumbs = self._thumbs(view, keys.tolist(), pending.column("dup_thumb").to_pylist())
        group = np.array([None] * len(keys), dtype=object)

        # 1. join groups whose representative is already in the catalogue
        reps = view.read(self.table, [self.key, "phash", "dhash"], "dup_group IS NOT NULL AND dup_of IS NULL")
        if reps.num_rows:
            # vectorised throughout: a catalogue can hold millions of representatives
            skip = pa.concat_arrays([pending.column(self.key).combine_chunks(),
                                     pa.array(sorted(unlinked), pa.string())])
            keep = pc.invert(pc.is_in(reps.column(self.key), value_set=skip))
            reps = reps.filter(keep)
            rep_ph = reps.column("phash").to_numpy().astype(np.uint64)
            rep_dh = reps.column("dhash").to_numpy().astype(np.uint64)
            qi, ci, dist = HammingIndex(rep_ph, self.radius).query(ph)
            ok = self._close(dist, dh[qi], rep_dh[ci])
            qi, ci, dist = qi[ok], ci[ok], dist[ok]
            # a hash match is a candidate: confirm it on the thumbnails of both frames
            uniq, local = np.unique(ci, return_inverse=True)
            rep_keys = np.array(reps.column(self.key).take(pa.array(uniq, pa.int64())).to_pylist(), dtype=object)
            if len(uniq):
                from celvault.catalog.store import sql_in

                stored = view.read(self.table, [self.key, "dup_thumb"], sql_in(self.key, rep_keys.tolist()))
                by_key = dict(zip(stored.column(self.key).to_pylist(), stored.column("dup_thumb").to_pylist()))
                rep_thumbs = self._thumbs(view, rep_keys.tolist(), [by_key.get(k) for k in rep_keys])
                score = pair_scores(thumbs, qi, rep_thumbs, local, self.max_change)
                ok = score <= self.max_change
                qi, local, dist, score = qi[ok], local[ok], dist[ok], score[ok]
            else:
                score = np.zeros(0, np.float32)
            cand_keys = rep_keys[local]
            # the confirmed representative that changed least, then the nearest hash; ties
            # broken by frame id for determinism
            order = np.lexsort((cand_keys.astype(str), dist, score, qi))
            q_sorted = qi[order]
            _, first = np.unique(q_sorted, return_index=True)
            group[q_sorted[first]] = cand_keys[order][first]

        # 2. the rest group among themselves, sharpest first, each member confirmed against
        #    its representative (never through a chain of small changes)
        rest = np.nonzero(np.array([g is None for g in group], dtype=bool))[0]
        if len(rest):
            qi, ci, dist = HammingIndex(ph[rest], self.radius).query(ph[rest])
            ok = self._close(dist, dh[rest][qi], dh[rest][ci]) & (qi < ci)  # each pair once
            qi, ci = qi[ok], ci[ok]
            ok = pair_scores(thumbs[rest], qi, thumbs[rest], ci, self.max_change) <= self.max_change
            qi, ci = qi[ok], ci[ok]
            qi, ci = np.concatenate([qi, ci]), np.concatenate([ci, qi])  # both directions
            by_q = np.lexsort((ci, qi))
            qi, ci = qi[by_q], ci[by_q]
            neighbours = np.split(ci, np.searchsorted(qi, np.arange(1, len(rest))))
            order = np.lexsort((keys[rest].astype(str), -sharp[rest]))
            leader_of = np.full(len(rest), -1, np.int64)
            for i in order:  # one step per frame; neighbours are assigned as arrays
                if leader_of[i] >= 0:
                    continue
                leader_of[i] = i
                nb = neighbours[i]
                leader_of[nb[leader_of[nb] < 0]] = i
            group[rest] = keys[rest][leader_of]

        dup_of = [g if g != k else None for g, k in zip(group, keys)]
        return pa.table({
            self.key: pa.array(keys.tolist(), pa.string()),
            "dup_group": pa.array(group.tolist(), pa.string()),
            "dup_of": pa.array(dup_of, pa.string()),
        })
