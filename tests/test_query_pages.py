"""Pages of query results: every page continues exactly where the last one ended, in catalogue
order (filter-only) or by distance (ranked), through compaction and column rewrites; ranked
pages over a few thousand candidates are exact, larger ones come from the vector index."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from celvault.catalog import Catalog
from celvault.catalog.store import sql_in
from celvault.config import Config
from celvault.queries.ranked import EXACT_MAX, cosine_distance, vectors_of
from celvault.queries.run import run_query
from celvault.queries.search import Query, QueryError, frame_filter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import bench_query  # noqa: E402  (the benchmark's generator of query-shaped catalogues)

ROWS = 6000  # 3 episodes of 2,000 frames: more candidates than EXACT_MAX for a popular character


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory):
    from celvault.stages.scene_vocabulary import load_vocabulary

    bench_query.FRAMES_PER_EPISODE = 2000
    dirs = bench_query.Directions(load_vocabulary("scenes").tags)
    path = tmp_path_factory.mktemp("pages") / "cat.db"
    cat, _ = Catalog.create(path, rows_per_fragment=256)
    bench_query.build(cat, ROWS, dirs, "IVF_PQ", 1000, {})
    return Catalog.open(path), dirs


def _all_pages(cat, q: Query) -> list[dict]:
    rows, seen = [], 0
    while True:
        result = run_query(cat, Config.load(), q)
        rows += result.rows
        seen += 1
        assert seen < 1000
        if result.next_after is None:
            return rows
        q = Query(**{**q.__dict__, "after": result.next_after})


def test_filter_pages_walk_every_match_once_in_catalogue_order(catalogue):
    cat, _ = catalogue
    q = Query(characters=["Character 01"], scenes=["outdoor"], limit=37)
    where = frame_filter(cat, Config.load(), q)
    expected = cat.dataset("frames").to_table(columns=["frame_id"], filter=where).column("frame_id").to_pylist()
    first = run_query(cat, Config.load(), q)
    assert first.matched == len(expected) > 3 * q.limit  # counted on the indexes, not paged
    got = [r["frame_id"] for r in _all_pages(cat, q)]
    assert got == expected  # every match once, in the order the rows were written
    order = {e: i for i, e in enumerate(cat.read("episodes", ["episode_id"]).column("episode_id").to_pylist())}
    keys = [(order[r["episode_id"]], r["time_s"]) for r in _all_pages(cat, q)]
    assert keys == sorted(keys)  # catalogue order is episodes as ingested, frames in time order


def test_pages_survive_compaction_and_column_rewrites(catalogue, tmp_path):
    import shutil

    from celvault.catalog.fill import write_by_fragment
    from celvault.catalog.maintenance import compact

    cat, _ = catalogue
    shutil.copytree(cat.path, tmp_path / "copy.db")
    copy = Catalog.open(tmp_path / "copy.db")
    q = Query(scenes=["indoor"], limit=101)
    before = [r["frame_id"] for r in _all_pages(copy, q)]
    half = run_query(copy, Config.load(), q).next_after
    ids = copy.read("frames", ["frame_id"]).column("frame_id").to_pylist()
    write_by_fragment(copy, "frames", "frame_id",  # a stage rewriting a column in place
                      pa.table({"frame_id": ids, "sharpness": pa.array(np.ones(len(ids), np.float32))}))
    compact(copy, "frames", 0)
    assert [r["frame_id"] for r in _all_pages(copy, q)] == before
    rest = [r["frame_id"] for r in _all_pages(copy, Query(scenes=["indoor"], limit=101, after=half))]
    assert rest == before[101:]  # a token from before the compaction still continues the walk


def _exact_ranking(cat, q: Query, vector) -> list[str]:
    where = frame_filter(cat, Config.load(), q)
    got = cat.dataset("frames").to_table(columns=["frame_id", "embedding"], filter=where)
    d = cosine_distance(vectors_of(got), np.asarray(vector, np.float32))
    ids = got.column("frame_id").to_pylist()
    return [ids[i] for i in sorted(range(len(ids)), key=lambda i: (float(d[i]), ids[i]))]


def test_ranked_pages_over_few_candidates_are_exact(catalogue):
    cat, dirs = catalogue
    q = Query(characters=["Character 30"], limit=9, vector=dirs.query_vector(30))
    result = run_query(cat, Config.load(), q)
    assert 9 < result.matched <= EXACT_MAX
    assert [r["frame_id"] for r in _all_pages(cat, q)] == _exact_ranking(cat, q, q.vector)


def test_ranked_pages_from_the_index_find_the_nearest(catalogue):
    cat, dirs = catalogue
    q = Query(limit=50, vector=dirs.query_vector(0), include_duplicates=True)
    first = run_query(cat, Config.load(), q)
    assert first.matched > EXACT_MAX  # the vector index answers
    exact = _exact_ranking(cat, q, q.vector)
    assert len(set(r["frame_id"] for r in first.rows) & set(exact[:50])) >= 48
    second = run_query(cat, Config.load(), Query(**{**q.__dict__, "after": first.next_after}))
    ids = [r["frame_id"] for r in first.rows + second.rows]
    assert len(ids) == len(set(ids)) == 100  # no row twice across the two pages
    assert len(set(ids) & set(exact[:100])) >= 95
    dist = [r["distance"] for r in first.rows + second.rows]
    assert dist == sorted(dist)


def test_an_unknown_page_token_is_one_error(catalogue):
    cat, _ = catalogue
    with pytest.raises(QueryError, match="--after 'nope': no frame with that id"):
        run_query(cat, Config.load(), Query(scenes=["outdoor"], after="nope"))


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    from .small_catalog import build_small_catalog

    return build_small_catalog(tmp_path_factory.mktemp("layer-pages"))


def test_layer_pages_from_the_cli_walk_every_layer_once(small):
    everything = small.json("query", "--layers", "--limit", "100000")
    assert everything["next_after"] is None and len(everything["rows"]) > 4
    expected = [r["layer_id"] for r in everything["rows"]]
    cat = Catalog.open(small.catalog)
    frames = cat.read("frames", ["frame_id"]).column("frame_id").to_pylist()  # catalogue order
    layers = cat.read("layers", ["layer_id", "frame_id"], "kind = 'character'").to_pylist()
    assert expected == [r["layer_id"] for r in sorted(layers, key=lambda r: (frames.index(r["frame_id"]), r["layer_id"]))]
    got, after = [], []
    while True:
        page = small.json("query", "--layers", "--limit", "3", *after)
        got += [r["layer_id"] for r in page["rows"]]
        if page["next_after"] is None:
            break
        after = ["--after", page["next_after"]]
    assert got == expected
    shown = small("query", "--layers", "--limit", "3").output
    assert f"next page: --after {expected[2]}" in shown


def test_ranked_layer_pages(small):
    cat = Catalog.open(small.catalog)
    layers = cat.read("layers", ["layer_id", "embedding"], "kind = 'character' AND embedding IS NOT NULL")
    vector = vectors_of(layers)[0]
    q = Query(layers=True, vector=vector.tolist(), limit=2)
    got = [r["layer_id"] for r in _all_pages(cat, q)]
    d = cosine_distance(vectors_of(layers), vector)
    ids = layers.column("layer_id").to_pylist()
    assert got == [ids[i] for i in sorted(range(len(ids)), key=lambda i: (float(d[i]), ids[i]))]


def test_frames_keep_catalogue_order_through_the_pipelines_compaction(tmp_path):
    """Lance's compaction puts a rewritten fragment at the end of the list, which would move an
    episode's frames after later episodes: the frames table keeps its order (never compacted,
    deletions included), and pages follow it."""
    from celvault.catalog.maintenance import compact
    from celvault.stages.scene_vocabulary import load_vocabulary

    bench_query.FRAMES_PER_EPISODE = 2000
    copy, _ = Catalog.create(tmp_path / "kept.db", rows_per_fragment=256)
    bench_query.build(copy, ROWS, bench_query.Directions(load_vocabulary("scenes").tags), "IVF_PQ", 10**6, {})
    ds = copy.dataset("frames")
    first = ds.get_fragments()[0].to_table(columns=["frame_id"]).column("frame_id").to_pylist()
    ds.delete(sql_in("frame_id", first[:len(first) // 3]))  # enough deleted for Lance to rewrite it
    compact(copy, "frames", 0)
    q = Query(scenes=["outdoor"], limit=40, include_duplicates=True)
    rows = _all_pages(copy, q)
    order = {e: i for i, e in enumerate(copy.read("episodes", ["episode_id"]).column("episode_id").to_pylist())}
    keys = [(order[r["episode_id"]], r["time_s"]) for r in rows]
    assert keys == sorted(keys) and len(rows) == copy.dataset("frames").count_rows(frame_filter(copy, Config.load(), q))
