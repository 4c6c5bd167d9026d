"""cluster: character layers grouped into identities, kept across new episodes.

The first run (and `run cluster --recluster`) fits HDBSCAN over every character layer's
embedding: each cluster becomes a row of `characters`, noise stays unassigned (-1). Ids and
names of an earlier clustering carry over to the new cluster sharing most of their members.
Later runs only place the layers that have no identity yet: each joins the nearest identity
within its reach (factor x radius + margin) or stays unassigned, and the identity's centroid
moves with its new members, so names survive new episodes without reclustering the season.
With tracks (the track stage), both vote per track (stages/track_vote.py): a track's layers
share the identity most of them have, a track with none is placed by its centroid, and a
fit makes tracks left over with `track_identity` layers a new identity.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from celvault.catalog.characters import member_counts, read_characters, refresh_frame_characters, write_characters
from celvault.catalog.fill import and_filters, write_by_fragment
from celvault.errors import ConfigError
from celvault.registry import register
from celvault.settings import StageSettings, setting

from celvault.catalog.decisions import FREE, LAYER_FIELDS

from .base import CHARACTER_LAYERS, IndexSpec
from .table_job import TableJob, WholeTableResult
from .clustering import NOISE, TIGHT, Identity, assign, fit, identities, match_previous
from .track_vote import TRACK_RADIUS, born_identity, track_column, vote

REFERENCES = 8
FIT_COLUMNS = ["layer_id", "frame_id", "embedding", "cluster_id", "cluster_manual", "not_character"]


@dataclass(frozen=True)
class ClusterSettings(StageSettings):
    min_cluster_size: int = setting(10, "HDBSCAN: the fewest layers an identity can have", min=2)
    min_samples: int = setting(5, "HDBSCAN: higher is more conservative (more layers left unassigned)", min=1)
    reduce_dims: int = setting(16, "vectors are projected (PCA) to this many dimensions before HDBSCAN", min=1)
    max_fit: int = setting(50000, "HDBSCAN sees at most this many layers; the rest join like new episodes", min=1)
    assign_factor: float = setting(2.0, "a new layer joins the nearest identity within this x its radius", min=0)
    assign_margin: float = setting(0.05, "... plus this cosine distance", min=0)
    merge_factor: float = setting(2.0, "clusters closer than this x the larger radius are one character (0: off)",
                                  min=0)
    track_vote: bool = setting(True, "the layers of a track (the track stage) share the identity most of them have")
    vote_share: float = setting(0.6, "... when at least this share of its assigned layers have it (else each keeps "
                                "its own)", min=0.5, max=1)
    vote_reach: float = setting(2.0, "... except layers farther from that identity than this x its reach (they keep "
                                "their own)", min=0)
    track_identity: int = setting(6, "a fit makes unassigned tracks with this many layers between them (centroids "
                                  "within 0.2 cosine) a new identity (0: never)", min=0)


@register("stage", "cluster")
class ClusterStage(TableJob):
    name = "cluster"
    version = 1
    order = 70
    Settings = ClusterSettings
    default_backend = "hdbscan"
    table, key = "layers", "layer_id"
    where = f"{CHARACTER_LAYERS} AND embedding IS NOT NULL"
    requires = ["embedding"]

    def __init__(self, settings=None, run=None, uses=None):
        super().__init__(settings, run, uses)
        s = self.settings
        self.options = {"min_cluster_size": s.min_cluster_size, "min_samples": s.min_samples,
                        "reduce_dims": s.reduce_dims, "max_fit": s.max_fit}
        self.factor, self.margin, self.merge = s.assign_factor, s.assign_margin, s.merge_factor
        self.share = s.vote_share if s.track_vote else None
        self.track_identity = s.track_identity or None
        self.vote_reach = s.vote_reach

    def params(self):
        return {**self.options, "assign_factor": self.factor, "assign_margin": self.margin, "merge_factor": self.merge,
                **({"vote_share": self.share, "vote_reach": self.vote_reach, "track_identity": self.track_identity or 0}
                   if self.share is not None
                   else {"track_vote": False})}

    def _voted(self, labels: np.ndarray, tracks: list, vectors: np.ndarray, reach: dict, fit: bool,
                first_new: int | None = None) -> np.ndarray:
        """Each track's vote; a track without a labelled layer is placed by its centroid;
        tracks left over may make new identities (ids from `first_new` when placing)."""
        if self.share is None:
            return labels
        shapes = identities(vectors, labels) if fit else reach  # a fit's own labels; else the known identities

        def agrees(idx: np.ndarray, label: int) -> np.ndarray:
            ident = shapes.get(label)
            if ident is None:
                return np.ones(len(idx), bool)
            far = self.vote_reach * (self.factor * ident.radius + self.margin)
            return 1.0 - vectors[idx] @ ident.centroid <= far

        return vote(labels, tracks, self.share, vectors, lambda c: assign(c, reach, self.factor, self.margin)[0],
                    self.track_identity, agrees, first_new)

    def _columns(self, catalog, columns: list[str]) -> list[str]:
        """`columns`, plus `track_id` where the layers have tracks."""
        has = "track_id" in catalog.dataset("layers").schema.names
        return columns + (["track_id"] if has and self.share is not None else [])

    def declared_columns(self):
        return [pa.field("cluster_id", pa.int64()), pa.field("cluster_config", pa.string())]

    # -- the work --------------------------------------------------------------------------
    def apply(self, catalog, *, scope, progress, begin=None) -> WholeTableResult:
        self._begin = begin or (lambda rows: None)
        force, redo = self.run_options.force, self.run_options.redo
        catalog.ensure_columns("layers", self.declared_columns())
        catalog.ensure_columns("frames", [pa.field("characters", pa.list_(pa.int64()))])
        catalog.ensure_columns("layers", LAYER_FIELDS)  # manual decisions: never placed or refitted here
        known = read_characters(catalog)
        generation = known[0]["generation"] if known else None
        stale = "cluster_id IS NULL OR cluster_config IS NULL"
        if known:
            stale += f" OR cluster_config != '{generation}'"
        scoped = scope != self.where  # --episode: only these episodes' layers
        pending_where = scope if force and scoped else and_filters(scope, stale)  # --force --episode: place again
        pending_where = and_filters(pending_where, FREE)
        pending = catalog.count("layers", pending_where)
        recluster = (force and not scoped) or self.run_options.recluster
        if redo and known and known[0]["config"] != self.config_id():
            recluster = True
        if not recluster and pending == 0:
            return WholeTableResult()
        models = set(catalog.read("layers", ["embed_model"], self.where).column("embed_model").unique().to_pylist())
        if len(models) > 1:
            raise ConfigError(f"character layers carry vectors of {len(models)} models ({', '.join(sorted(models))}): "
                              "run `celvault run embed --redo` first")
        model = next(iter(models), None)
        notes = []
        resume = None if recluster else self._unfinished_fit(catalog, known, model)
        if resume is not None:
            notes.append("finishing a refit that was interrupted")
            done = self._fit_all(catalog, resume, known, model, progress, resume=True)
            done.notes[:0] = notes
            return done
        if known and known[0]["embed_model"] != model:
            recluster = True
        elif known and catalog.count("layers", and_filters(
                self.where, f"cluster_config IS NOT NULL AND cluster_config != '{generation}'")):
            recluster = True  # a refit stopped midway: finish it (it is deterministic)
            notes.append("finishing a refit that was interrupted")
        if recluster or not known:
            rows = catalog.read("layers", self._columns(catalog, FIT_COLUMNS), self.where)
            done = self._fit_all(catalog, rows, known, model, progress)
        else:
            done = self._place_new(catalog, pending_where, known, progress)
        done.notes[:0] = notes
        return done

    def _vectors(self, rows: pa.Table) -> np.ndarray:
        col = rows.column("embedding").combine_chunks()
        dim = col.type.list_size if pa.types.is_fixed_size_list(col.type) else 0
        return np.asarray(col.flatten(), np.float32).reshape(len(col), dim)

    def _generation(self, model, ids: list[str]) -> str:
        return hashlib.sha256((self.config_id() + str(model) + "".join(ids)).encode()).hexdigest()[:16]

    def _unfinished_fit(self, catalog, known: list[dict], model) -> pa.Table | None:
        """The layers of a fit that wrote its identities but was stopped before every layer
        carried them: the same layers, this configuration and model made the identities."""
        if not known or known[0]["embed_model"] != model or known[0]["config"] != self.config_id():
            return None
        generation = known[0]["generation"]
        unfinished = and_filters(self.where, f"cluster_config IS NULL OR cluster_config != '{generation}'")
        if catalog.count("layers", unfinished) == 0:
            return None
        rows = catalog.read("layers", self._columns(catalog, FIT_COLUMNS), self.where)
        ids = sorted(rows.column("layer_id").to_pylist())
        return rows if self._generation(model, ids) == generation else None

    def _fit_all(self, catalog, rows: pa.Table, known: list[dict], model, progress,
                 resume: bool = False) -> WholeTableResult:
        if rows.num_rows == 0:
            return WholeTableResult(notes=["no embedded character layers to cluster"])
        rows = rows.sort_by("layer_id")
        ids = rows.column("layer_id").to_pylist()
        vectors = self._vectors(rows)
        # manual decisions stay: a layer placed by hand keeps its identity, a junk layer none;
        # HDBSCAN sees only the others
        junk = np.array([bool(v) for v in rows.column("not_character").to_pylist()], bool)
        manual = np.array([bool(v) for v in rows.column("cluster_manual").to_pylist()], bool) & ~junk
        free = ~(manual | junk)
        progress.start("cluster: HDBSCAN", 1)
        own = fit(vectors[free], factor=self.factor, margin=self.margin, merge=self.merge, **self.options)
        # a track's layers share the identity most of them have; centroids and radii come from
        # each layer's own evidence (`own`), so a voted-in back view does not widen the reach
        tight = {k: v for k, v in identities(vectors[free], own).items() if v.radius <= TIGHT}
        labels = self._voted(own, [t for t, f in zip(track_column(rows), free) if f], vectors[free], tight, fit=True)
        progress.advance(1)
        found = identities(vectors[free], labels)
        free_ids = np.array(ids, dtype=object)[free]
        new = {label: set(free_ids[labels == label]) for label in found}
        by_size = sorted(found, key=lambda lb: (-found[lb].count, min(new[lb])))
        final = self._resumed_ids(new, known) if resume and not manual.any() else None
        if final is None:
            final = self._carried_ids(rows, ids, new, by_size, known)
        names = {k["cluster_id"]: k["name"] for k in known if k["name"]}
        generation = self._generation(model, ids)
        kept = [NOISE if c is None else int(c) for c in rows.column("cluster_id").to_pylist()]
        final_ids = np.where(junk, NOISE, np.array(kept, np.int64))
        final_ids[free] = [final.get(int(lb), NOISE) for lb in labels]
        every = identities(vectors, final_ids)
        core_ids = final_ids.copy()
        core_ids[free] = [final.get(int(lb), NOISE) for lb in own]
        core = identities(vectors, core_ids)
        out = []
        for cid in sorted(every, key=lambda c: (-every[c].count, c)):
            ident = every[cid]
            members = np.flatnonzero(final_ids == cid)
            closest = members[np.argsort(1.0 - vectors[members] @ ident.centroid, kind="stable")[:REFERENCES]]
            shape = core.get(cid, Identity(ident.centroid, max(ident.radius, TRACK_RADIUS), ident.count))
            out.append({"cluster_id": cid, "name": names.get(cid), "members": ident.count, "centroid": shape.centroid,
                        "radius": shape.radius, "references": [ids[i] for i in closest], "embed_model": model,
                        "generation": generation, "config": self.config_id()})
        # characters first: until every layer carries the new generation, the next run sees
        # the fit as unfinished and finishes it (same layers: same labels; the identities'
        # reference layers say which label became which id); frames before layers likewise
        self._begin(len(ids))
        write_characters(catalog, out, vectors.shape[1])
        commits = refresh_frame_characters(catalog, None, dict(zip(ids, final_ids.tolist())))
        commits += self._write_layers(catalog, ids, final_ids, generation)
        lost = sorted(n for cid, n in names.items() if cid not in every)
        notes = [f"{len(ids)} character layers -> {len(out)} identities, "
                 f"{int(((final_ids == NOISE) & ~junk).sum())} unassigned"
                 + (f", {int(junk.sum())} not characters" if junk.any() else "")]
        if lost:
            notes.append("names whose members no longer form a cluster: " + ", ".join(lost))
        if not out and len(ids) < self.options["min_cluster_size"]:
            notes.append(f"too few layers for an identity (min_cluster_size {self.options['min_cluster_size']})")
        return WholeTableResult(rows=len(ids), commits=commits + 1, tables=("layers", "frames"), notes=notes)

    @staticmethod
    def _carried_ids(rows: pa.Table, ids: list[str], new: dict, by_size: list[int], known: list[dict]) -> dict:
        """new label -> identity id: ids (and names) of the previous clustering go to the new
        cluster sharing most of their members, new clusters get new ids by size."""
        old_ids = np.array([NOISE if c is None else c for c in rows.column("cluster_id").to_pylist()])
        old = {int(c): set(np.array(ids)[old_ids == c]) for c in set(old_ids.tolist()) - {NOISE}}
        carried = match_previous(new, old)
        next_id = max([k["cluster_id"] for k in known] + list(old) + [-1]) + 1
        final: dict[int, int] = {}
        for label in by_size:
            if label in carried:
                final[label] = carried[label]
            else:
                final[label], next_id = next_id, next_id + 1
        return final

    @staticmethod
    def _resumed_ids(new: dict, known: list[dict]) -> dict | None:
        """new label -> the id the interrupted fit gave it (its identity's reference layers
        are members of that label), or None when the identities do not match the labels."""
        final = {}
        for k in known:
            labels = {lb for lb, members in new.items() if k["references"] and k["references"][0] in members}
            if len(labels) != 1:
                return None
            final[labels.pop()] = k["cluster_id"]
        return final if len(final) == len(new) == len(known) else None

    def _place_new(self, catalog, pending_where, known: list[dict], progress) -> WholeTableResult:
        rows = catalog.read("layers", self._columns(catalog, ["layer_id", "frame_id", "embedding"]),
                            and_filters(self.where, pending_where))
        rows = rows.sort_by("layer_id")
        ids = rows.column("layer_id").to_pylist()
        vectors = self._vectors(rows)
        by_id = {k["cluster_id"]: k for k in known}
        reach = {cid: Identity(k["centroid"], float(k["radius"]), int(k["members"])) for cid, k in by_id.items()}
        progress.start("cluster: assign", len(ids))
        own, _ = assign(vectors, reach, self.factor, self.margin)
        top = catalog.read("layers", ["cluster_id"], "cluster_id IS NOT NULL").column("cluster_id").to_numpy()
        first_new = max([*by_id, int(top.max()) if len(top) else NOISE]) + 1
        labels = self._voted(own, track_column(rows), vectors, reach, fit=False, first_new=first_new)  # track by track
        for cid in sorted(set(labels.tolist()) - set(by_id) - {NOISE}):  # new characters' long tracks
            by_id[cid] = born_identity(vectors, labels, ids, cid, known[0])
        progress.advance(len(ids))
        self._begin(len(ids))
        # frames, then layers, then the identities: a run stopped midway leaves these layers
        # pending, and placing them again against the same centroids gives the same answer
        commits = refresh_frame_characters(catalog, rows.column("frame_id").to_pylist(),
                                           dict(zip(ids, labels.tolist())))
        commits += self._write_layers(catalog, ids, labels.astype(np.int64), known[0]["generation"])
        counts = member_counts(catalog)
        for cid, k in by_id.items():
            joined = vectors[own == cid]  # the centroid follows its members' own evidence
            if len(joined):  # the centroid follows its new members
                total = k["centroid"] * k["members"] + joined.sum(axis=0)
                k["centroid"] = total / max(float(np.linalg.norm(total)), 1e-12)
            k["members"] = counts.get(cid, 0)
        write_characters(catalog, [by_id[c] for c in sorted(by_id)], vectors.shape[1])
        joined = [(by_id[c]["name"] or f"cluster {c}", int((labels == c).sum())) for c in sorted(by_id)]
        parts = ", ".join(f"{n} +{k}" for n, k in joined if k)
        unassigned = int((labels == NOISE).sum())
        notes = [f"{len(ids)} new character layers placed without reclustering: {parts or 'none joined'}; "
                 f"{unassigned} unassigned"]
        if unassigned >= self.options["min_cluster_size"]:
            notes.append(f"{unassigned} layers match no identity: `celvault run cluster --recluster` looks for new ones")
        return WholeTableResult(rows=len(ids), commits=commits + 1, tables=("layers", "frames"), notes=notes)

    def _write_layers(self, catalog, ids: list[str], labels: np.ndarray, generation: str) -> int:
        values = pa.table({"layer_id": pa.array(ids, pa.string()), "cluster_id": pa.array(labels, pa.int64()),
                           "cluster_config": pa.array([generation] * len(ids), pa.string())})
        return write_by_fragment(catalog, "layers", "layer_id", values)

    def indexes(self) -> list[IndexSpec]:
        return [IndexSpec("frames", "characters", "LABEL_LIST"), IndexSpec("layers", "cluster_id", "BTREE")]
