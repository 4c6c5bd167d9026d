"""Catalogue status: per episode, frames kept and, per stage, rows done and missing."""

from __future__ import annotations

import polars as pl

from celvault.catalog import Catalog
from celvault.catalog.check import quick_problems
from celvault.config import Config

from celvault.stages.runner import available_stages, build_stage, build_stages
from celvault.stages.table_job import TableJob

SAMPLES = 3  # failed rows named per stage


def stage_errors(catalog: Catalog, config: Config) -> list[dict]:
    """Per stage and table: how many rows failed (`<stage>_error`), and a few of them."""
    out = []
    for name in available_stages():
        for part in build_stages(name, config):
            ds = catalog.dataset(part.table)
            if isinstance(part, TableJob) or part.error_column not in ds.schema.names:
                continue
            where = f"{part.error_column} IS NOT NULL"
            count = ds.count_rows(where)
            if count:
                rows = ds.to_table(columns=[part.key, part.error_column], filter=where, limit=SAMPLES).to_pylist()
                out.append({"stage": name, "table": part.table, "rows": count,
                            "examples": [f"{r[part.key]}: {r[part.error_column]}" for r in rows]})
    return out


def catalog_status(catalog: Catalog, config: Config) -> dict:
    episodes = pl.from_arrow(catalog.read("episodes", ["episode_id", "name", "series", "source_kind",
                                                       "frames_kept", "shots", "duration_s"]))
    frames_ds = catalog.dataset("frames")
    names = set(frames_ds.schema.names)
    per_episode = {row["episode_id"]: {**row, "stages": {}} for row in episodes.iter_rows(named=True)}
    stages = {}
    for name in available_stages():
        stage = build_stage(name, config)
        if stage is None or isinstance(stage, TableJob) or stage.table != "frames" or not set(stage.requires) <= names:
            continue  # a stage waiting for an earlier one has no rows in scope yet
        link_marker = getattr(stage, "link_marker", None)
        declared = stage.marker in names and (link_marker is None or link_marker in names)
        cols = ["episode_id"] + ([stage.marker] + ([link_marker] if link_marker else []) if declared else [])
        try:
            tbl = pl.from_arrow(frames_ds.to_table(columns=cols, filter=stage.where))
        except (ValueError, OSError):  # its scope names columns no stage has made yet (before dedup)
            tbl = pl.from_arrow(frames_ds.to_table(columns=cols))
        done_expr = pl.lit(False)
        if declared:
            done_expr = pl.col(stage.marker).is_not_null()
            if link_marker:
                done_expr = done_expr & pl.col(link_marker).is_not_null()
        counts = tbl.group_by("episode_id").agg(pl.len().alias("rows"), done_expr.sum().alias("done"))
        total_done = total_rows = 0
        for row in counts.iter_rows(named=True):
            ep = per_episode.get(row["episode_id"])
            if ep is None:
                continue
            ep["stages"][name] = {"done": int(row["done"]), "missing": int(row["rows"] - row["done"])}
            total_done += int(row["done"])
            total_rows += int(row["rows"])
        stages[name] = {"backend": stage.backend, "done": total_done, "missing": total_rows - total_done}
    present = pl.from_arrow(frames_ds.to_table(columns=["episode_id"])).group_by("episode_id").len()
    have = dict(zip(present["episode_id"].to_list(), present["len"].to_list()))
    incomplete = [e["episode_id"] for e in per_episode.values() if have.get(e["episode_id"], 0) != e["frames_kept"]]
    for eid, ep in per_episode.items():  # rows and header count the frames that are there
        ep["frames_expected"], ep["frames_kept"] = ep["frames_kept"], int(have.get(eid, 0))
    frame_rows = sum(have.get(e, 0) for e in per_episode)
    layers = pl.from_arrow(catalog.read("layers", ["episode_id", "kind"]))
    for row in layers.group_by("episode_id", "kind").len().iter_rows(named=True):
        if row["episode_id"] in per_episode:
            per_episode[row["episode_id"]].setdefault("layers", {})[row["kind"]] = int(row["len"])
    from celvault.catalog.characters import read_characters

    known = read_characters(catalog)
    unassigned = catalog.count("layers", "kind = 'character' AND cluster_id = -1") \
        if "cluster_id" in catalog.dataset("layers").schema.names else 0
    return {
        "catalog": str(catalog.path),
        "characters": {"identities": len(known), "named": sum(1 for k in known if k["name"]),
                       "unassigned": unassigned},
        "episodes": sorted(per_episode.values(), key=lambda e: (e["series"] or "", e["name"] or "", e["episode_id"])),
        "stages": stages,
        "frames": frame_rows,
        "layers": layers.height,
        "incomplete": incomplete,
        "check": quick_problems(catalog),
        "errors": stage_errors(catalog, config),  # rows a stage could not do; `run STAGE --redo` retries  # cheap signs that `celvault check` would find something
    }
