"""Tracks on the hard evaluation set: track purity, and identities with and without track voting.

Per season (celvault.evalset, the episodes of benchmarks/bench_quality.py), two catalogues
made alike by the offline profile: A clusters per layer (`cluster.track_vote: false`), B votes
per track. All episodes but the last are ingested, run and clustered per layer (one fit,
copied to A and B); the last is then ingested and run in each, so its layers are placed
into the known identities layer by layer in A, track by track in B (where that fit found
no identity, both fit the season instead); finally `run cluster --recluster` refits each. Scored against the
truth: track purity (share of a track's layers that show its most common true character,
over tracks of 2+ layers whose layers are one character each), and identity ARI, assigned
share and unassigned layers, per-layer beside per-track, for the placement and the refit.

    python benchmarks/bench_tracks.py [--seasons 3] [--episodes 3] [--seed 4101] [--quick] [--keep DIR]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Others, machine, print_results  # noqa: E402

from celvault.catalog import Catalog  # noqa: E402
from celvault.config import Config, merge  # noqa: E402
from celvault.ingest import ingest_paths  # noqa: E402
from celvault.quality import (MIXED, NOT_CHARACTER, HardTruth, identity_scores, layer_truths,  # noqa: E402
                              track_scores, views_by_episode_id)
from celvault.quality.season import write_season  # noqa: E402
from celvault.run_options import RunOptions  # noqa: E402
from celvault.stages.runner import run_pipeline  # noqa: E402

UP_TO_TRACK = ["dedup", "segment", "embed", "track"]  # inpaint and the rest change no identity


def unassigned(catalog: Catalog, truths) -> int:
    cid = dict(zip(*(catalog.read("layers", ["layer_id", "cluster_id"], "kind = 'character'").column(c).to_pylist()
                     for c in ("layer_id", "cluster_id"))))
    return sum(1 for t in truths if t.label not in (MIXED, NOT_CHARACTER) and (cid.get(t.layer_id) is None
                                                                               or cid[t.layer_id] < 0))


def run_season(folder: Path, season: dict, config: Config, configs: dict[str, Config]) -> dict:
    names = list(season)
    cats = {}
    first = Catalog.create(folder / "first.db")[0]
    ingest_paths(first, [season[n][0] for n in names[:-1]], series="eval", config=config)
    run_pipeline(first, config, UP_TO_TRACK)
    run_pipeline(first, configs["per-layer"], ["cluster"])  # one fit of all episodes but the last, for both
    for mode, conf in configs.items():
        path = folder / f"{mode}.db"
        shutil.rmtree(path, ignore_errors=True)
        shutil.copytree(first.path, path)
        cats[mode] = Catalog.open(path)
        ingest_paths(cats[mode], [season[names[-1]][0]], series="eval", config=conf)
        run_pipeline(cats[mode], conf, UP_TO_TRACK + ["cluster"])  # a new episode: placed
    views = views_by_episode_id(cats["per-layer"], {n: HardTruth(ep, n) for n, (_, ep) in season.items()})
    truths = layer_truths(cats["per-layer"], views)
    out = {"purity": track_scores(cats["per-layer"], truths)}
    for mode, conf in configs.items():
        out[("placed", mode)] = {**identity_scores(cats[mode], truths), "unassigned": unassigned(cats[mode], truths)}
        run_pipeline(cats[mode], conf, ["cluster"], RunOptions(recluster=True, download=False))
        out[("refit", mode)] = {**identity_scores(cats[mode], truths), "unassigned": unassigned(cats[mode], truths)}
    return out


def _f(v) -> str:
    return "n/a" if v is None else f"{v:.3f}"


def rows(seasons: list[dict], seeds: list[int]) -> list[list[str]]:
    p = {k: sum(s["purity"].get(k) or 0 for s in seasons) for k in ("pure", "scored", "impure", "tracks", "multi",
                                                                     "layers", "in_multi")}
    table = [["measure", "per layer", "per track (voting)", "target"]]
    table.append(["track purity (layers of 2+ layer tracks showing the track's character)",
                  f"{p['pure'] / max(p['scored'], 1):.4f} ({p['pure']}/{p['scored']}; {p['impure']} tracks "
                  f"not pure)", "", ">= 0.98"])
    table.append(["character layers in tracks of 2+ (tracks of 2+ / all tracks)",
                  f"{p['in_multi']}/{p['layers']} ({p['multi']}/{p['tracks']})", "", "-"])
    for when in ("placed", "refit"):
        what = "the last episode placed into a fit of the others" if when == "placed" else \
            "season refitted (--recluster)"
        measures = (("ari", "identity ARI"), ("assigned", "assigned share"), ("unassigned", "unassigned layers"),
                    ("identities", "identities"))
        for key, label in measures:
            cells = []
            for mode in ("per-layer", "per-track"):
                vals = [s[(when, mode)].get(key) for s in seasons]
                if key == "identities":
                    junk = sum(len(s[(when, mode)].get("not_character", [])) for s in seasons)
                    cells.append(f"{sum(v or 0 for v in vals)} ({junk} not a character)")
                elif key == "unassigned":
                    cells.append(f"{sum(vals)} (" + ", ".join(map(str, vals)) + ")")
                else:
                    known = [v for v in vals if v is not None]
                    mean = sum(known) / len(known) if known else None
                    cells.append(f"{_f(mean)} (" + ", ".join(_f(v) for v in vals) + ")")
            target = {"unassigned": "< per layer", "identities": "-"}.get(key, ">= per layer")
            how = "in all" if key in ("unassigned", "identities") else "mean"
            table.append([f"{label}, {what}; {how} (per season)", *cells, target])
    return table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seasons", type=int, default=3)
    ap.add_argument("--episodes", type=int, default=3)
    ap.add_argument("--seed", type=int, default=4101, help="first season's seed (not the seeds tuned on: 101-102)")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--interval", type=float, default=0.25)
    ap.add_argument("--keep", type=Path, default=None)
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="celvault-bench-tracks-"))
    others, t0 = Others(), time.perf_counter()
    config = Config.load("offline", overrides={"ingest": {"interval": args.interval}})
    configs = {mode: Config(merge(config.data, {"stages": {"cluster": {"track_vote": mode == "per-track"}}}))
               for mode in ("per-layer", "per-track")}
    seasons, seeds = [], [args.seed + k for k in range(args.seasons)]
    try:
        for seed in seeds:
            t = time.perf_counter()
            folder = work / f"season{seed}"
            season = write_season(folder, seed, args.episodes, args.quick)
            seasons.append(run_season(folder, season, config, configs))
            s = seasons[-1]
            print(f"season {seed}: {time.perf_counter() - t:.0f} s; purity {s['purity']}; "
                  + "; ".join(f"{w} {m}: ari {_f(s[(w, m)].get('ari'))} assigned {_f(s[(w, m)].get('assigned'))} "
                              f"unassigned {s[(w, m)]['unassigned']}" for w in ("placed", "refit")
                              for m in ("per-layer", "per-track")), flush=True)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    context = (f"{machine()}; {args.seasons} seasons x {args.episodes} episodes of the hard evaluation set, seeds "
               f"{seeds[0]}-{seeds[-1]}{' (quick)' if args.quick else ''}, offline profile (plate, palette, overlap "
               f"tracker), ingest interval {args.interval}; {time.perf_counter() - t0:.0f} s in all; {others}")
    print_results("bench_tracks.py", "Tracks: purity, and identities with and without track voting (issue 16)",
                  context, rows(seasons, seeds))


if __name__ == "__main__":
    main()
