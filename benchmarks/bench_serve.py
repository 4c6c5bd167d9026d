"""The review app's pages on the 1,000,000-frame catalogue of bench_query.py.

Each JSON endpoint a page calls is timed through FastAPI's TestClient (the app's middleware,
routing and JSON encoding included, no network), beside the same question asked of the
library the CLI uses (`celvault query`: run_query; `celvault status`: catalog_status;
`characters list`: read_characters; a frame: one filtered read). 3 warm-up calls, then
--repeats timed calls: median and p90. The first call of the overview (every stage's done and
missing rows counted, then cached per table version) is timed alone: it is what a user waits
for once after each run; the library column for the overview is `celvault status`'s report,
which reads every frame once per stage.

The catalogue has frames, episodes and identities but no layers or image bytes, so
identity members, layer cut-outs and thumbnails are not measured here.

    python benchmarks/bench_serve.py [--keep /tmp/bq1m] [--repeats 11]

Build the catalogue first with `python benchmarks/bench_query.py --keep /tmp/bq1m`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("LANCE_LOG", "error")

from common import Others, machine, measure, ms, p90, print_results  # noqa: E402

LIMIT = 50


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--keep", type=Path, default=Path("/tmp/bq1m"), help="bench_query.py's kept build")
    ap.add_argument("--repeats", type=int, default=11)
    args = ap.parse_args()
    path = args.keep / "cat.db"
    if not (args.keep / "build.json").exists():
        sys.exit(f"no finished bench_query build in {args.keep}: run `python benchmarks/bench_query.py --keep {args.keep}`")

    from fastapi.testclient import TestClient

    from celvault.catalog import Catalog
    from celvault.catalog.characters import read_characters
    from celvault.config import Config
    from celvault.queries.run import run_query
    from celvault.queries.search import Query
    from celvault.reports.status import catalog_status
    from celvault.serve.app import create_app

    from celvault.stages.dedup import DedupStage
    from celvault.stages.runner import keep_indexes

    config = Config.load()
    catalog = Catalog.open(path)
    keep_indexes(catalog, DedupStage())  # the indexes dedup keeps today (a kept build may predate some)
    client = TestClient(create_app(path, config), base_url="http://127.0.0.1")

    def get(url: str, **params):
        def call():
            r = client.get(url, params=params)
            assert r.status_code == 200, (url, r.status_code, r.text[:300])
            return r.json()
        return call

    t0 = time.perf_counter()
    get("/api/overview")()
    first_overview = time.perf_counter() - t0
    ds = catalog.dataset("frames")
    episode = catalog.read("episodes", ["episode_id"]).column("episode_id")[37].as_py()
    frame = ds.to_table(columns=["frame_id", "shot_index", "dup_of"], filter="dup_of IS NOT NULL", limit=1,
                        offset=50_000).to_pylist()[0]
    shot = ds.to_table(columns=["shot_index"], filter=f"frame_id = '{frame['frame_id']}'")["shot_index"][0].as_py()
    people = read_characters(catalog)
    name = people[0]["name"]
    first = get("/api/search", character=name, scene="outdoor", limit=LIMIT)()
    library_page2 = Query(characters=[name], scenes=["outdoor"], limit=LIMIT, after=first["next_after"])

    cases = [
        ("overview (counts cached per version, a page of episodes)", get("/api/overview"),
         lambda: catalog_status(catalog, config)),
        ("identities grid", get("/api/identities", limit=LIMIT), lambda: read_characters(catalog)),
        ("episodes", get("/api/episodes"), None),
        ("one episode's shot timeline", get(f"/api/episodes/{episode}/shots"), None),
        ("one shot's frames", get("/api/frames", episode=episode, shot=shot, limit=LIMIT), None),
        ("one frame (layers, captions, tags)", get(f"/api/frames/{frame['frame_id']}"),
         lambda: catalog.read("frames", None, f"frame_id = '{frame['frame_id']}'")),
        ("duplicate groups", get("/api/duplicates", limit=LIMIT), None),
        ("one duplicate group", get(f"/api/duplicates/{frame['dup_of']}"), None),
        (f"search: {name} outdoors, first page", get("/api/search", character=name, scene="outdoor", limit=LIMIT),
         lambda: run_query(catalog, config, Query(characters=[name], scenes=["outdoor"], limit=LIMIT))),
        (f"search: {name} outdoors, next page", get("/api/search", character=name, scene="outdoor", limit=LIMIT,
                                                   after=first["next_after"]),
         lambda: run_query(catalog, config, library_page2)),
    ]
    table = [["page (JSON endpoint)", "app median ms", "app p90 ms", "library median ms", "app - library ms"]]
    others = Others()
    for label, app_call, library_call in cases:
        times, _ = measure(app_call, args.repeats)
        lib = statistics.median(measure(library_call, args.repeats)[0]) if library_call else None
        med = statistics.median(times)
        print(f"{label}: app {ms(med)} ms (p90 {ms(p90(times))}); library {ms(lib) if lib else '-'} ms", flush=True)
        table.append([label, ms(med), ms(p90(times)), ms(lib) if lib is not None else "-",
                      ms(med - lib) if lib is not None else "-"])
    context = (f"{machine()}; {ds.count_rows():,} frames in {len(ds.get_fragments())} fragments; median of "
               f"{args.repeats} after 3 warm-ups; the first overview after opening took {ms(first_overview)} ms "
               f"(every stage's rows counted, then cached per table version); {others}")
    print_results("bench_serve.py", "Review app pages, 1,000,000 frames (issue 14)", context, table)


if __name__ == "__main__":
    main()
