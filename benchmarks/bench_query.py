"""Query: "character X in outdoor scenes", ranked by a vector, on 1,000,000 synthetic frames.

Builds a catalogue whose frames table holds ``--rows`` frames with everything the query reads
and no image bytes: 100 episodes of 10,000 frames (fewer at small --rows), ids as ingest
makes them (``catalog.ids.frame_id``), shots of 5-40 frames, dedup columns (about 10% of
frames are near-duplicates of an earlier frame of their shot: ``dup_of`` names it), scene
tags (1-3 per shot from the shipped vocabulary: outdoor 40% / indoor 60%, often a time of
day and a place), characters (0-3 of 60 identities per shot, popularity 1/rank) and 512-d
L2-normalised embeddings drawn around per-identity and per-scene directions (so the vector
search has structure to find), plus a ``characters`` table of the 60 identities
("Character 00" .. "Character 59", centroid = the identity's direction). Fragments hold
``catalog.rows_per_fragment`` rows (1,024) as the pipeline writes them. Then the indexes as
the stages make them: the embed stage's ``ensure_vector_index`` (IVF_PQ, cosine, sqrt(n)
partitions; or --index-type IVF_HNSW_SQ), LabelList on ``characters`` (cluster) and
``scene_tags`` (tag), BTree on ``frame_id``.

Measured: ``run_query(catalog, config, Query(characters=[NAME], scenes=["outdoor"],
vector=V, limit=50))``, V a fixed unit vector near the character's direction, for the identity
in most frames and for the one with the fewest frames matching the query that still has 50
of them; then the same without the vector (filters only: matches in catalogue order, first
50). Each also for its next page (``after`` = the first page's ``next_after``, the CLI's
``--after ID``) and, filters only, a page deep in the results (after the match at 80%).
3 warm-up calls, then --repeats timed calls: median and p90. The "of which Lance" column is
what run_query asks Lance for alone (queries.pages / queries.ranked: the count from the
indexes, then the page or the ranking): the rest is run_query's own work (the characters and
episodes tables, the scene vocabulary, rows to dicts). Each query also gets a one-line
summary of Lance's ``analyze_plan``: which scalar indexes answered the filter, what was left
to read, how many IVF partitions were searched (--plans prints the plans in full).

Baseline in the same run: the same query as a Polars scan of the Lance dataset with no index
(``pl.scan_pyarrow_dataset``): representatives only, ``characters`` holds one of the
identity's ids, ``scene_tags`` holds "outdoor", then cosine similarity (a dot product: the
vectors are unit length) with ``arr.dot`` and the top 50; filters only: sorted by episode
name, time and id, first 50. The last column compares the two answers: how many of the
baseline's ids for the same page celvault returned (IVF_PQ is approximate; run_query re-ranks
20x the page on the stored vectors, and ranks a few thousand candidates exactly).

    python benchmarks/bench_query.py [--rows 1000000] [--keep DIR] [--repeats 21]
        [--index-type IVF_PQ|IVF_HNSW_SQ] [--threads N] [--rows-per-fragment N] [--plans]

``--keep DIR`` builds into DIR/cat.db (and DIR/build.json once the build finished), or reuses
a finished build found there, with the build times it recorded. ``--threads N`` caps Lance
(LANCE_CPU_THREADS), Polars (POLARS_MAX_THREADS) and BLAS at N threads; it is applied before
any of them is imported. Lance's log is set to errors only (LANCE_LOG): run_query's ranked
search logs a deprecation warning on every call otherwise.
"""

from __future__ import annotations

import os
import sys


def _threads_from_argv() -> None:
    """Lance, Polars and BLAS read their thread counts once, at import: set them first."""
    argv = sys.argv[1:]
    value = None
    for i, arg in enumerate(argv):
        if arg == "--threads" and i + 1 < len(argv):
            value = argv[i + 1]
        elif arg.startswith("--threads="):
            value = arg.split("=", 1)[1]
    if value and value.isdigit() and int(value) > 0:
        for name in ("LANCE_CPU_THREADS", "POLARS_MAX_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                     "MKL_NUM_THREADS"):
            os.environ[name] = value


_threads_from_argv()
os.environ.setdefault("LANCE_LOG", "error")

import argparse  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from importlib import metadata  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
from common import machine, measure, ms, Others, p90, print_results, timed  # noqa: E402

SEED = 0
DIM = 512
IDENTITIES = 60
FRAMES_PER_EPISODE = 10_000
CHUNK_ROWS = 100_000  # rows generated and appended at a time
DUP_FRACTION = 0.10
LIMIT = 50
WARMUP = 3
EMBED_MODEL = "open_clip:ViT-B-32/laion2b_s34b_b79k"
SCENE = "outdoor"
OUTDOOR_PLACES = ["sky", "street", "city", "forest", "park", "mountain", "field", "beach", "water", "river", "snow",
                  "stadium", "rooftop"]
INDOOR_PLACES = ["classroom", "school hallway", "bedroom", "kitchen", "office", "shop", "train"]
TIMES, TIME_P = ["day", "night", "sunset"], [0.6, 0.25, 0.15]


# --------------------------------------------------------------------------------------------
# the synthetic catalogue
# --------------------------------------------------------------------------------------------

def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


class Directions:
    """Fixed directions of the embedding space: one per identity, one per scene tag (the same
    whatever --rows is, so a kept build and a new run agree on the query vectors)."""

    def __init__(self, tags: list[str]):
        rng = np.random.default_rng([SEED, 1])
        self.identity = _unit(rng.standard_normal((IDENTITIES, DIM), dtype=np.float32))
        self.tags = tags
        self.scene = dict(zip(tags, _unit(rng.standard_normal((len(tags), DIM), dtype=np.float32))))
        weights = 1.0 / np.arange(1, IDENTITIES + 1)
        self.popularity = weights / weights.sum()  # cluster id i has rank i + 1

    def query_vector(self, cluster_id: int) -> list[float]:
        """A unit vector near the identity, leaning outdoors (what a text query would give)."""
        rng = np.random.default_rng([SEED, 2, cluster_id])
        noise = rng.standard_normal(DIM).astype(np.float32) * (0.3 / math.sqrt(DIM))
        return _unit(self.identity[cluster_id] + 0.5 * self.scene[SCENE] + noise).tolist()


def episode_id(index: int) -> str:
    return hashlib.sha256(f"celvault-bench-episode-{index}".encode()).hexdigest()[:16]


def episode_rows(index: int, frames: int, dirs: Directions) -> pa.Table:
    """One episode's frames: shots, scenes and casts per shot, near-duplicates within a shot."""
    from celvault.catalog.ids import frame_id

    rng = np.random.default_rng([SEED, 3, index])
    eid = episode_id(index)
    # shots of 5-40 frames
    lengths = rng.integers(5, 41, frames // 5 + 1)
    starts = np.concatenate([[0], np.cumsum(lengths)])
    shots = int(np.searchsorted(starts, frames, side="left"))
    shot = np.repeat(np.arange(shots), lengths[:shots])[:frames].astype(np.int32)
    first_of_shot = np.r_[True, shot[1:] != shot[:-1]]
    # per shot: setting, maybe a time of day, maybe a place; 0-3 identities
    outdoor = rng.random(shots) < 0.4
    has_time, has_place = rng.random(shots) < 0.7, rng.random(shots) < 0.7
    time_of = rng.choice(len(TIMES), shots, p=TIME_P)
    place_out = rng.integers(0, len(OUTDOOR_PLACES), shots)
    place_in = rng.integers(0, len(INDOOR_PLACES), shots)
    cast_sizes = rng.choice(4, shots, p=[0.2, 0.45, 0.25, 0.1])
    shot_tags, shot_cast = [], []
    shot_dir = np.zeros((shots, DIM), np.float32)
    for s in range(shots):
        tags = ["outdoor" if outdoor[s] else "indoor"]
        if has_time[s]:
            tags.append(TIMES[time_of[s]])
        if has_place[s]:
            tags.append(OUTDOOR_PLACES[place_out[s]] if outdoor[s] else INDOOR_PLACES[place_in[s]])
        cast = sorted(rng.choice(IDENTITIES, int(cast_sizes[s]), replace=False, p=dirs.popularity).tolist())
        shot_tags.append(tags)
        shot_cast.append(cast)
        weights = (0.6, 0.3, 0.4)  # setting, time, place
        v = sum(w * dirs.scene[t] for w, t in zip(weights, tags))
        for c in cast:
            v = v + dirs.identity[c]
        shot_dir[s] = v
    shot_dir = _unit(shot_dir + rng.standard_normal((shots, DIM), dtype=np.float32) * (0.3 / math.sqrt(DIM)))
    # per frame: the shot's direction plus noise; duplicates copy their representative closely
    emb = shot_dir[shot] + rng.standard_normal((frames, DIM), dtype=np.float32) * (0.6 / math.sqrt(DIM))
    is_dup = (rng.random(frames) < DUP_FRACTION / 0.95) & ~first_of_shot  # ~10% of all frames
    idx = np.arange(frames)
    rep = np.maximum.accumulate(np.where(is_dup, 0, idx))  # the last representative at or before each frame
    emb = _unit(emb)
    emb[is_dup] = _unit(emb[rep[is_dup]] + rng.standard_normal((int(is_dup.sum()), DIM), dtype=np.float32)
                        * (0.05 / math.sqrt(DIM)))
    frame_index = idx * 24  # one kept frame a second of a 24 fps episode
    ids = [frame_id(eid, int(i)) for i in frame_index]
    rep_ids = [ids[r] for r in rep]
    dup_of = [r if d else None for r, d in zip(rep_ids, is_dup)]
    sharp = rng.gamma(2.0, 150.0, frames).astype(np.float32)
    return pa.table({
        "frame_id": ids,
        "episode_id": [eid] * frames,
        "shot_index": pa.array(shot, pa.int32()),
        "frame_index": pa.array(frame_index, pa.int64()),
        "time_s": pa.array(idx.astype(np.float64)),
        "width": pa.array(np.full(frames, 1280, np.int32)),
        "height": pa.array(np.full(frames, 720, np.int32)),
        "sharpness": pa.array(sharp),
        "dup_group": pa.array(rep_ids, pa.string()),
        "dup_of": pa.array(dup_of, pa.string()),
        "scene_tags": pa.array([shot_tags[s] for s in shot], pa.list_(pa.string())),
        "characters": pa.array([shot_cast[s] for s in shot], pa.list_(pa.int64())),
        "embedding": pa.FixedSizeListArray.from_arrays(pa.array(emb.reshape(-1)), DIM),
        "embed_model": [EMBED_MODEL] * frames,
    })


def frame_fields() -> list[pa.Field]:
    """The columns the stages declare on frames (as dedup, embed, tag and cluster do)."""
    return [pa.field("sharpness", pa.float32()), pa.field("dup_group", pa.string()),
            pa.field("dup_of", pa.string()), pa.field("embedding", pa.list_(pa.float32(), DIM)),
            pa.field("embed_model", pa.string()), pa.field("scene_tags", pa.list_(pa.string())),
            pa.field("characters", pa.list_(pa.int64()))]


def episode_table(count: int, frames: list[int]) -> pa.Table:
    return pa.table({
        "episode_id": [episode_id(i) for i in range(count)],
        "name": [f"Bench Episode {i + 1:03d}" for i in range(count)],
        "series": ["bench"] * count,
        "source_kind": ["video"] * count,
        "fps": [24.0] * count,
        "duration_s": [f * 1.0 for f in frames],
        "frame_count": [f * 24 for f in frames],
        "frames_kept": frames,
        "width": pa.array([1280] * count, pa.int32()),
        "height": pa.array([720] * count, pa.int32()),
    })


def build(catalog, rows: int, dirs: Directions, index_type: str, min_rows: int, times: dict) -> None:
    from celvault.catalog.characters import write_characters
    from celvault.catalog.indexes import ensure_scalar_index, ensure_vector_index

    episodes = max(1, math.ceil(rows / FRAMES_PER_EPISODE))
    sizes = [min(FRAMES_PER_EPISODE, rows - i * FRAMES_PER_EPISODE) for i in range(episodes)]
    catalog.append("episodes", episode_table(episodes, sizes))
    catalog.ensure_columns("frames", frame_fields())
    members = np.zeros(IDENTITIES, np.int64)
    gen_s = write_s = 0.0
    label = f"generate + append {rows:,} frames ({episodes} episodes, {catalog.rows_per_fragment}-row fragments)"
    with timed(label, times):
        chunk: list[pa.Table] = []
        for i, n in enumerate(sizes):
            t0 = time.perf_counter()
            table = episode_rows(i, n, dirs)
            ids = table.column("characters").combine_chunks().flatten().to_numpy()
            members += np.bincount(ids, minlength=IDENTITIES)
            chunk.append(table)
            gen_s += time.perf_counter() - t0
            if sum(t.num_rows for t in chunk) >= CHUNK_ROWS or i == episodes - 1:
                t0 = time.perf_counter()
                catalog.append("frames", pa.concat_tables(chunk))
                write_s += time.perf_counter() - t0
                chunk = []
    print(f"    of which generating {gen_s:.1f} s, Lance appends {write_s:.1f} s", flush=True)
    with timed("characters table (60 identities)", times):
        write_characters(catalog, [{
            "cluster_id": c, "name": f"Character {c:02d}", "members": int(members[c]),
            "centroid": dirs.identity[c], "radius": 0.2, "references": [], "embed_model": EMBED_MODEL,
            "generation": "bench", "config": "bench"} for c in range(IDENTITIES)], DIM)
    with timed(f"vector index ({index_type}) on frames.embedding", times):
        line = ensure_vector_index(catalog, "frames", "embedding", min_rows, index_type)
    print(f"    {line or f'no vector index: fewer than {min_rows:,} vectors (index_min_rows), flat search'}",
          flush=True)
    with timed("LabelList index on frames.characters", times):
        ensure_scalar_index(catalog, "frames", "characters", "LABEL_LIST")
    with timed("LabelList index on frames.scene_tags", times):
        ensure_scalar_index(catalog, "frames", "scene_tags", "LABEL_LIST")
    with timed("BTree indexes on frames.dup_group, dup_of, frame_id (as dedup makes them)", times):
        from celvault.stages.dedup import DedupStage
        from celvault.stages.runner import keep_indexes

        keep_indexes(catalog, DedupStage())


# --------------------------------------------------------------------------------------------
# measuring
# --------------------------------------------------------------------------------------------

class Baseline:
    """The same query as a Polars scan of the Lance dataset, no index."""

    def __init__(self, catalog):
        import polars as pl

        self.pl = pl
        self.ds = catalog.dataset("frames")
        names = catalog.read("episodes", ["episode_id", "name"])
        self.episodes = pl.from_arrow(names).lazy()
        self.how = "pl.scan_pyarrow_dataset(lance dataset)"
        try:
            self.lf = pl.scan_pyarrow_dataset(self.ds)
            self.lf.select(pl.len()).collect()
        except Exception as exc:  # fall back to a table read once
            print(f"  baseline: scan_pyarrow_dataset failed ({type(exc).__name__}: {str(exc)[:200]}); reading the "
                  "columns once instead", flush=True)
            cols = ["frame_id", "episode_id", "time_s", "dup_group", "dup_of", "characters", "scene_tags",
                    "embedding"]
            self.lf = pl.from_arrow(self.ds.to_table(columns=cols)).lazy()
            self.how = "Polars LazyFrame over ds.to_table(columns=...) read once, outside the timing"

    def _filtered(self, ids: list[int]):
        pl = self.pl
        return (self.lf
                .filter(pl.col("dup_group").is_not_null() & pl.col("dup_of").is_null())
                .filter(pl.col("characters").list.eval(pl.element().is_in(ids)).list.any())
                .filter(pl.col("scene_tags").list.contains(SCENE)))

    def ranked(self, ids: list[int], vector: list[float], offset: int = 0) -> list[str]:
        pl = self.pl
        q = pl.lit(pl.Series([vector], dtype=pl.Array(pl.Float32, DIM)))
        out = (self._filtered(ids)
               .select("frame_id", pl.col("embedding").arr.dot(q.first()).alias("score"))
               .sort(["score", "frame_id"], descending=[True, False])
               .slice(offset, LIMIT)
               .collect())
        return out["frame_id"].to_list()

    def filtered(self, ids: list[int], offset: int = 0) -> list[str]:
        """Episodes by name: the bench names them in the order they were appended, so this is
        celvault's catalogue order (episodes as ingested, frames in time order)."""
        out = (self._filtered(ids)
               .select("frame_id", "episode_id", "time_s")
               .join(self.episodes, on="episode_id", how="left")
               .sort(["name", "time_s", "frame_id"])
               .slice(offset, LIMIT)
               .collect())
        return out["frame_id"].to_list()


def plan_text(catalog, where: str, vector, candidates: int) -> str:
    """Lance's analyze_plan of the search run_query makes (the same scanner arguments)."""
    from celvault.queries.ranked import EXACT_MAX, NPROBES, REFINE_FACTOR
    from celvault.queries.run import FRAME_COLUMNS

    frames = catalog.dataset("frames")
    cols = [c for c in FRAME_COLUMNS if c in frames.schema.names]
    if vector is None:
        return frames.scanner(columns=cols, filter=where, limit=LIMIT, scan_in_order=True).analyze_plan()
    if candidates <= EXACT_MAX:  # every candidate read and ranked exactly
        return frames.scanner(columns=cols + ["embedding"], filter=where).analyze_plan()
    nearest = {"column": "embedding", "q": vector, "k": LIMIT, "nprobes": NPROBES, "refine_factor": REFINE_FACTOR}
    return frames.scanner(columns=cols, filter=where, nearest=nearest, prefilter=True).analyze_plan()


def lance_part(catalog, q, parts: list[str]):
    """What run_query asks Lance for alone: queries.run's own steps given the filter's parts
    (built beforehand), without naming episodes and characters or turning rows into dicts."""
    import dataclasses

    from celvault.catalog.fill import and_filters
    from celvault.queries.run import _frames
    from celvault.queries.search import REPRESENTATIVES

    if q.after is not None:
        q = dataclasses.replace(q, count=False)
    return _frames(catalog.dataset("frames"), q, and_filters(*parts),
                   and_filters(*[p for p in parts if p != REPRESENTATIVES]), q.vector)


def plan_summary(plan: str) -> str:
    """Which scalar indexes answered the filter, what was left to read, how many IVF partitions."""
    import re

    parts = []
    indexed = re.findall(r"@(\w+)\((\w+)\)", " ".join(re.findall(r"ScalarIndexQuery: .*?query=(.*?), metrics=", plan)))
    parts.append("scalar indexes " + (", ".join(f"{n} ({k})" for n, k in indexed) if indexed else
                                      "none (the filter columns are scanned)"))
    read = re.search(r"full_filter=.*?refine_filter=(.*?), metrics=\[.*?rows_scanned=([\d.]+ ?K?M?)", plan)
    if read:
        parts.append(f"left to check by reading: {read.group(1)} on {read.group(2)} rows")
    searched = re.search(r"partitions_searched=(\d+)", plan)
    ranked = re.search(r"partitions_ranked=(\d+)", plan)
    if searched:
        parts.append(f"IVF partitions searched {searched.group(1)}" + (f" of {ranked.group(1)}" if ranked else ""))
    elif "KNN" in plan or "nearest" in plan.lower():
        parts.append("flat (no vector index) search")
    return "; ".join(parts)




def rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # Linux: KiB


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def versions() -> str:
    out = []
    for dist in ("pylance", "lancedb", "polars", "pyarrow", "numpy"):
        try:
            out.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            pass
    return ", ".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000, help="frames in the catalogue (default 1,000,000)")
    ap.add_argument("--keep", type=Path, default=None,
                    help="build into DIR/cat.db and keep it; reuse it when it exists (--rows is then ignored)")
    ap.add_argument("--repeats", type=int, default=21, help="timed calls per query, after 3 warm-ups (default 21)")
    ap.add_argument("--index-type", default=None, choices=("IVF_PQ", "IVF_HNSW_SQ"),
                    help="vector index (default: the embed stage's index_type, IVF_PQ)")
    ap.add_argument("--threads", type=int, default=None, help="Lance, Polars and BLAS threads (default: all cores)")
    ap.add_argument("--plans", action="store_true", help="print Lance's analyze_plan of every query in full")
    ap.add_argument("--rows-per-fragment", type=int, default=None,
                    help="rows per fragment (default: the catalogue setting, 1,024)")
    args = ap.parse_args()

    from celvault.catalog import Catalog
    from celvault.catalog.characters import read_characters
    from celvault.config import Config
    from celvault.queries.run import run_query
    from celvault.queries.search import Query, frame_conditions, frame_filter
    from celvault.stages.scene_vocabulary import load_vocabulary

    config = Config.load("default")
    embed = config.stage("embed")
    index_type = args.index_type or str(embed.get("index_type", "IVF_PQ")).upper()
    min_rows = int(embed.get("index_min_rows", 50000))
    per_fragment = args.rows_per_fragment or int(config.section("catalog").get("rows_per_fragment", 1024))
    vocab = load_vocabulary(str(config.stage("tag").get("vocabulary", "scenes"))).tags
    missing = [t for t in ["outdoor", "indoor", *TIMES, *OUTDOOR_PLACES, *INDOOR_PLACES] if t not in vocab]
    assert not missing, f"tags not in the shipped vocabulary: {missing}"
    dirs = Directions(vocab)

    print(f"machine: {machine()}; {versions()}; threads: LANCE_CPU_THREADS={os.environ.get('LANCE_CPU_THREADS', '-')}"
          f", POLARS_MAX_THREADS={os.environ.get('POLARS_MAX_THREADS', '-')}", flush=True)
    root = args.keep if args.keep else Path(tempfile.mkdtemp(prefix="celvault-bench-query-"))
    path = root / "cat.db"
    build_times: dict[str, float] = {}
    build_load = ""
    try:
        marker = root / "build.json"  # written when a build finished: a kept build is reused only then
        if args.keep and path.exists():
            if not marker.exists():
                sys.exit(f"{path} exists but its build did not finish ({marker.name} missing): delete {root} and "
                         "run again")
            kept = json.loads(marker.read_text())
            catalog = Catalog.open(path, rows_per_fragment=kept["rows_per_fragment"])
            build_times, build_load = kept["times"], kept["load"] + " (when it was built)"
            print(f"reusing the catalogue in {path}, built earlier ({kept['rows']:,} rows, {kept['index_type']}; "
                  "--rows, --index-type and --rows-per-fragment are not applied)", flush=True)
        else:
            if args.keep and root.exists() and any(root.iterdir()):
                sys.exit(f"--keep {root}: not empty and holds no cat.db; give an empty or new folder")
            root.mkdir(parents=True, exist_ok=True)
            catalog, _ = Catalog.create(path, rows_per_fragment=per_fragment)
            print(f"building {args.rows:,} frames into {path}:", flush=True)
            others = Others()
            build(catalog, args.rows, dirs, index_type, min_rows, build_times)
            build_load = f"build: {others}"
            print(f"  build total {sum(build_times.values()):.1f} s; peak RSS so far {rss_gib():.2f} GiB; {build_load}",
                  flush=True)
            marker.write_text(json.dumps({"rows": args.rows, "index_type": index_type,
                                          "rows_per_fragment": per_fragment, "times": build_times,
                                          "load": build_load}, indent=1))
        ds = catalog.dataset("frames")
        rows, fragments = ds.count_rows(), len(ds.get_fragments())
        indexes = {i.name: f"{i.index_type}({', '.join(i.field_names)})" for i in ds.describe_indices()}
        disk = du(path)
        print(f"catalogue: {rows:,} frames in {fragments} fragments, {disk / 2**30:.2f} GiB on disk; "
              f"indexes: {', '.join(indexes.values()) or 'none'}", flush=True)
        vindex = next((v for v in indexes.values() if "(embedding)" in v), None)

        # popular: the identity in most frames; rare: the one with the fewest frames matching the
        # query that still has LIMIT of them (fewer, and the ranking returns every match)
        known = sorted(read_characters(catalog), key=lambda r: (-r["members"], r["cluster_id"]))
        matches = {r["cluster_id"]: ds.count_rows(frame_filter(
            catalog, config, Query(characters=[r["name"]], scenes=[SCENE]))) for r in known}
        enough = ([r for r in known if matches[r["cluster_id"]] >= LIMIT]
                  or [r for r in known if matches[r["cluster_id"]]])
        rare = min(enough, key=lambda r: (matches[r["cluster_id"]], -r["cluster_id"]))
        picks = [("popular", known[0]), ("rare", rare)]

        baseline = Baseline(catalog)
        print(f"baseline: {baseline.how}", flush=True)
        table = [["query", "character", "matching rows", "celvault median ms", "p90 ms", "of which Lance ms",
                  "baseline median ms", "baseline / celvault", "rows returned", "overlap with the baseline's page"]]
        others = Others()
        for kind, row in picks:
            name, cid = row["name"], row["cluster_id"]
            vector = dirs.query_vector(cid)
            for ranked in (True, False):
                q = Query(characters=[name], scenes=[SCENE], vector=vector if ranked else None, limit=LIMIT)
                where = frame_filter(catalog, config, q)
                matching = ds.count_rows(where)
                label = f"{kind}: {name} in {SCENE}" + (", ranked by vector" if ranked else ", filters only")
                print(f"{label} (filter: {where}; {matching:,} matching rows)", flush=True)
                first = run_query(catalog, config, q)
                pages = [("first page", None, 0), ("page 2 (--after)", first.next_after, LIMIT)]
                if not ranked and matching > 10 * LIMIT:  # a page deep in the results
                    deep = int(matching * 0.8)
                    ids = ds.to_table(columns=["frame_id"], filter=where).column("frame_id")
                    pages.append((f"page at match {deep:,} (--after)", ids[deep - 1].as_py(), deep))
                for page_label, after, offset in pages:
                    if after is None and offset:
                        continue  # fewer matches than one page
                    qp = Query(**{**q.__dict__, "after": after})
                    ours, result = measure(lambda: run_query(catalog, config, qp), args.repeats)
                    parts = frame_conditions(catalog, config, qp)
                    lance_t, _ = measure(lambda: lance_part(catalog, qp, parts), args.repeats)
                    base_t, base_ids = measure((lambda: baseline.ranked([cid], vector, offset)) if ranked else
                                               (lambda: baseline.filtered([cid], offset)), args.repeats)
                    got = [r["frame_id"] for r in result.rows]
                    overlap = len(set(got) & set(base_ids))
                    med, bmed = statistics.median(ours), statistics.median(base_t)
                    print(f"  {page_label}: celvault median {ms(med)} ms, p90 {ms(p90(ours))} ms (Lance alone "
                          f"{ms(statistics.median(lance_t))} ms); baseline median {ms(bmed)} ms; {len(got)} rows; "
                          f"overlap with the baseline's {len(base_ids)}: {overlap}", flush=True)
                    table.append([("ranked by vector" if ranked else "filters only") + f", {kind}, {page_label}",
                                  name, f"{matching:,}", ms(med), ms(p90(ours)), ms(statistics.median(lance_t)),
                                  ms(bmed), f"{bmed / med:.1f}x", str(len(got)), f"{overlap}/{len(base_ids)}"])
                plan = plan_text(catalog, where, vector if ranked else None, matching)
                print(f"  plan: {plan_summary(plan)}", flush=True)
                if args.plans:
                    print(plan, flush=True)
        load = f"queries: {others}"
        print(f"  {load}\npeak RSS {rss_gib():.2f} GiB", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)

    built = "; ".join(f"{k} {v:.1f} s" for k, v in build_times.items())
    loads = "; ".join(x for x in (build_load, load) if x).replace("other processes kept", "others")
    context = (f"{machine()}; {versions()}; {rows:,} frames in {fragments} fragments, "
               f"{disk / 2**30:.2f} GiB without image bytes; vector index {vindex or 'none (flat search)'}; "
               f"median of {args.repeats} after {WARMUP} warm-ups; baseline {baseline.how}, no index; "
               f"build: {built}; peak RSS {rss_gib():.2f} GiB; {loads}")
    print_results("bench_query.py", f"Query: character X in outdoor scenes, {rows:,} frames", context, table)


if __name__ == "__main__":
    main()
