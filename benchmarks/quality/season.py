"""One season of the hard evaluation set: its episodes written to disk, ingested, run through
the offline pipeline, and scored against the truth."""

from __future__ import annotations

import shutil
from pathlib import Path

from celvault.catalog import Catalog
from celvault.config import Config, merge
from celvault.quality import (HardTruth, detected_cuts, dup_links, exact_phash_links, identity_scores,
                              layer_scores, layer_truths, link_precision, mask_quality, opening_recall,
                              outdoor_query_scores, views_by_episode_id)
from celvault.ingest import ingest_paths
from celvault.stages.runner import run_pipeline

from .baselines import pyscenedetect_cuts


def cuts_by_detector(folder: Path, season: dict, config: Config, detectors: list[str]) -> dict[str, dict]:
    """detector -> {episode name: detected cut frames}; celvault's own detectors through ingest."""
    out = {}
    for det in detectors:
        if det.startswith("pyscenedetect-"):
            out[det] = {name: pyscenedetect_cuts(path, det.split("-", 1)[1]) for name, (path, _) in season.items()}
            continue
        cat, _ = Catalog.create(folder / f"cuts-{det}.db")
        ingest_paths(cat, [p for p, _ in season.values()], series="eval",
                     config=Config(merge(config.data, {"ingest": {"detector": det}})))
        names = {r["episode_id"]: r["name"] for r in cat.read("episodes", ["episode_id", "name"]).to_pylist()}
        out[f"celvault {det}"] = {names[e]: v for e, v in detected_cuts(cat).items()}
    return out


def run_season(folder: Path, season: dict, config: Config) -> dict:
    """Ingest with the configured detector, run every offline stage, score."""
    cat, _ = Catalog.create(folder / "celvault.db")
    ingest_paths(cat, [p for p, _ in season.values()], series="eval", config=config)
    reports = run_pipeline(cat, config)
    views = views_by_episode_id(cat, {name: HardTruth(ep, name) for name, (_, ep) in season.items()})
    links = dup_links(cat)
    exact = exact_phash_links(cat)
    truths = layer_truths(cat, views)
    scores = {
        "stages": {r.stage + ("" if r.table == "frames" else f" ({r.table})"): r.to_dict() for r in reports},
        "dup": link_precision(links, views), "dup_exact": link_precision(exact, views),
        "opening": opening_recall(cat, views, links), "opening_exact": opening_recall(cat, views, exact),
        "layers": layer_scores(cat, views, truths), "masks_plate": mask_quality(cat, views),
        "identities": identity_scores(cat, truths),
    }
    telea = folder / "telea.db"
    shutil.rmtree(telea, ignore_errors=True)
    shutil.copytree(cat.path, telea)
    tcat = Catalog.open(telea)
    tconf = Config(merge(config.data, {"stages": {"inpaint": {"backend": "telea"}}}))
    from celvault.run_options import RunOptions

    run_pipeline(tcat, tconf, ["inpaint"], RunOptions(force=True, download=False))
    scores["masks_telea"] = mask_quality(tcat, views)
    scores["query"] = outdoor_query_scores(cat, config, views, truths)
    return scores
