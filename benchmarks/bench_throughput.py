"""Throughput (issue 15): what a 720p frame costs in the whole stage, around and inside the model.

A. Null backends (stages/backends/null_backends.py: a fixed mask, the frame as its background,
   a constant vector, a constant caption) for segment, inpaint, embed and caption: the whole
   stage runs (catalogue reads, decode, pre- and post-processing, encode, commits) but the model
   costs nothing, so what is left is the CPU cost per frame that no GPU can remove. Per stage
   and per worker count (RunOptions.workers): wall, CPU seconds of this process and all its
   child processes, CPU ms/frame, frames/s per core (frames / CPU s), frames/s of wall time,
   the phase split of celvault.timing.PhaseClock in % of wall (other = wall - the phases),
   peak RSS of this process plus its children (sampled from /proc).
B. `--real`: the real backends with random weights of the full-size architectures (isnet-anime
   or u2net ONNX, big-lama TorchScript, open_clip ViT-B-32, BLIP base; written by
   benchmarks/throughput_models.py), one worker, at each of `--batches`: frames/s and the share
   of wall time inside the model call (the `model` phase), which is what a GPU would shrink.
   Loading the model (and hashing its weights) is done before the timed part and shown apart.

Every run gets a fresh copy (shutil.copytree) of a template catalogue: one synthetic 720p
episode ingested (interval 0.25 s, walking characters, so frames differ), dedup run, trimmed to
exactly `--frames` representative frames. Stages run in pipeline order on one copy per worker
count, so inpaint works on segment's layers and embed/caption on frames and character layers
(one null layer per frame). In B, inpaint, embed and caption run on a copy where the null
segmenter made the layers (random weights would make random layers, or none).

    python benchmarks/bench_throughput.py [--frames 300] [--workers 1,2] [--real] [--device cpu|cuda]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
import traceback
from contextlib import contextmanager
from pathlib import Path

from common import _busy_cpu_s, machine, print_results

STAGES = ("segment", "inpaint", "embed", "caption")
PHASE_COLS = ("fetch", "decode", "pre", "model", "post", "encode", "commit")
TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
EPISODE_SEED = 15
REAL_FRAMES = {"segment": 16, "inpaint": 3, "embed": 48, "caption": 6}  # CPU defaults for B (--real-frames)


# ------------------------------------------------------------------ CPU and memory, all processes

def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    kids += [int(x) for x in f.read().split()]
            except OSError:
                pass
    except OSError:
        pass
    return kids


def descendants() -> list[int]:
    out, todo = [], _children(os.getpid())
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += _children(pid)
    return out


def _stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()  # fields from 3 (state) on
    except OSError:
        return None


def cpu_seconds() -> float:
    """User + system seconds of this process, of its reaped children (RUSAGE_CHILDREN) and of its
    live descendants (with what they reaped): differences over an interval count every process
    once, whether a worker lives on or exits in between."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        ru = resource.getrusage(who)
        total += ru.ru_utime + ru.ru_stime
    for pid in descendants():
        st = _stat(pid)
        if st:  # utime, stime, cutime, cstime: fields 14-17
            total += sum(int(v) for v in st[11:15]) / TICK
    return total


def rss_bytes() -> int:
    total = 0
    for pid in [os.getpid(), *descendants()]:
        st = _stat(pid)
        if st:
            total += int(st[21]) * PAGE  # field 24: rss in pages
    return total


class OthersBusy:
    """How many cores other processes kept busy meanwhile: all busy CPU time (/proc/stat) less
    this process's and its children's (common.Others counts worker processes as others)."""

    def __init__(self):
        self.busy, self.own, self.wall = _busy_cpu_s(), cpu_seconds(), time.perf_counter()

    def __str__(self):
        busy = _busy_cpu_s()
        if busy is None or self.busy is None:
            return "other processes: unknown (no /proc/stat)"
        cores = (busy - self.busy - (cpu_seconds() - self.own)) / max(time.perf_counter() - self.wall, 1e-9)
        return f"other processes kept {max(cores, 0.0):.2f} of {os.cpu_count()} cores busy meanwhile"


class Meter:
    """Wall and CPU seconds (all processes) of a block, and its peak RSS (sampled every 0.1 s)."""

    def __enter__(self) -> "Meter":
        self.peak = rss_bytes()
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()
        self.cpu0, self.t0 = cpu_seconds(), time.perf_counter()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.1):
            self.peak = max(self.peak, rss_bytes())

    def __exit__(self, *exc) -> None:
        self.wall = time.perf_counter() - self.t0
        self.cpu = cpu_seconds() - self.cpu0
        self._stop.set()
        self._sampler.join()
        self.peak = max(self.peak, rss_bytes())


# ------------------------------------------------------------------ catalogues

def representatives(catalog) -> list[str]:
    from celvault.stages.base import REPRESENTATIVE_FRAMES

    t = catalog.read("frames", ["frame_id", "frame_index"], REPRESENTATIVE_FRAMES).sort_by("frame_index")
    return t.column("frame_id").to_pylist()


def trim(path: Path, n: int) -> int:
    """Keep the first `n` representative frames (by time) and their duplicates; the rest go."""
    from celvault.catalog import Catalog
    from celvault.catalog.maintenance import compact
    from celvault.catalog.store import sql_in

    catalog = Catalog.open(path)
    reps = representatives(catalog)
    if len(reps) > n:
        drop = reps[n:]
        dups = catalog.read("frames", ["frame_id"], sql_in("dup_of", drop)).column("frame_id").to_pylist()
        for table in ("frames", "frame_media"):
            catalog.delete(table, sql_in("frame_id", drop + dups))
            compact(catalog, table, 0)
    return min(n, len(reps))


def make_template(work: Path, frames: int, size: tuple[int, int]) -> Path:
    """A catalogue holding one ingested, deduplicated synthetic episode with exactly `frames`
    representative frames (reused from `work` when an earlier run made the same one)."""
    from celvault.catalog import Catalog
    from celvault.config import Config
    from celvault.ingest import ingest_paths
    from celvault.run_options import RunOptions
    from celvault.stages.runner import run_pipeline
    from celvault.synthetic import EpisodeSpec, make_episode

    path, stamp = work / "template.db", work / "template.json"
    want = {"frames": frames, "size": list(size), "seed": EPISODE_SEED}
    if path.exists() and stamp.exists() and json.loads(stamp.read_text()) == want:
        print(f"template: reusing {path}", flush=True)
        return path
    shutil.rmtree(path, ignore_errors=True)
    config = Config.load(overrides={"ingest": {"interval": 0.25}, "models": {"download": False}})
    seconds = frames / 3.5 + 5  # about 3.9 distinct frames a second kept at interval 0.25
    while True:
        t0 = time.perf_counter()
        video = work / "episode.mp4"
        make_episode(video, EpisodeSpec(seed=EPISODE_SEED, width=size[0], height=size[1], fps=24.0,
                                        duration_s=seconds, walkers=True))
        catalog, _ = Catalog.create(path)
        [rep] = ingest_paths(catalog, [video], config=config)
        assert rep.status == "ingested", rep
        run_pipeline(catalog, config, ["dedup"], run=RunOptions(download=False, workers=1))
        have = len(representatives(catalog))
        print(f"template: {seconds:.0f} s episode, {rep.frames_kept} frames kept, {have} representative "
              f"({time.perf_counter() - t0:.1f} s, not measured)", flush=True)
        video.unlink()
        if have >= frames:
            break
        shutil.rmtree(path)
        seconds = seconds * frames / max(have, 1) * 1.1 + 5
    trim(path, frames)
    stamp.write_text(json.dumps(want))
    return path


def fresh_copy(template: Path, dest: Path) -> Path:
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(template, dest)
    return dest


def open_catalog(path: Path, config):
    from celvault.catalog import Catalog
    from celvault.catalog.settings import CatalogSettings

    return Catalog.open(path, rows_per_fragment=config.typed("catalog", CatalogSettings).rows_per_fragment)


# ------------------------------------------------------------------ A: null backends

def null_config():
    from celvault.config import Config

    return Config.load(overrides={"models": {"download": False},
                                  "stages": {s: {"backend": "null", "enabled": True} for s in STAGES}})


def run_null(template: Path, work: Path, workers: int, stages: list[str], device: str, n: int) -> list[dict]:
    from celvault.run_options import RunOptions
    from celvault.stages.runner import run_pipeline
    from celvault.timing import PhaseClock

    import celvault.stages.backends.null_backends  # noqa: F401  (registers `null`)

    config = null_config()
    catalog = open_catalog(fresh_copy(template, work / f"null-w{workers}.db"), config)
    run = RunOptions(workers=workers, device=device, download=False)
    last = max(STAGES.index(s) for s in stages)
    out = []
    for name in STAGES[:last + 1]:
        if name not in stages:  # what a measured stage needs, made but not measured
            run_pipeline(catalog, config, [name], run=run)
            continue
        with Meter() as m, PhaseClock() as clock:
            reports = run_pipeline(catalog, config, [name], run=run)
        rows = {r.table: r.rows for r in reports}
        errors = sum(r.errors for r in reports)
        if errors or rows.get("frames") != n:
            print(f"  WARNING {name}: rows {rows}, errors {errors} (expected {n} frames)", flush=True)
        res = {"stage": name, "workers": workers, "frames": n, "rows": rows, "errors": errors, "wall": m.wall,
               "cpu": m.cpu, "peak_rss": m.peak, "phases": dict(clock.seconds)}
        out.append(res)
        print(f"  {name} workers {workers}: {rows}, wall {m.wall:.2f} s, cpu {m.cpu:.2f} s, "
              f"phases {fmt_phases(clock.seconds)}", flush=True)
    return out


def fmt_phases(seconds) -> str:
    return ", ".join(f"{k} {seconds[k]:.2f}" for k in PHASE_COLS if seconds.get(k))


def total_of(results: list[dict], workers: int) -> dict:
    mine = [r for r in results if r["workers"] == workers]
    phases: dict[str, float] = {}
    for r in mine:
        for k, v in r["phases"].items():
            phases[k] = phases.get(k, 0.0) + v
    return {"stage": "all " + "+".join(r["stage"] for r in mine), "workers": workers, "frames": mine[0]["frames"],
            "rows": {}, "errors": sum(r["errors"] for r in mine), "wall": sum(r["wall"] for r in mine),
            "cpu": sum(r["cpu"] for r in mine), "peak_rss": max(r["peak_rss"] for r in mine), "phases": phases}


def null_table(results: list[dict], worker_counts: list[int]) -> list[list[str]]:
    head = ["stage", "workers", "frames (rows)", "wall s", "CPU s (all processes)", "CPU ms/frame",
            "frames/s per core", "frames/s wall", "vs 1 worker (wall)",
            *[f"{p} %" for p in PHASE_COLS], "other %", "peak RSS MB"]
    base = {r["stage"]: r for r in results if r["workers"] == min(worker_counts)}
    table = [head]
    for r in results:
        n, wall, cpu = r["frames"], r["wall"], r["cpu"]
        rows = "+".join(f"{v} {k}" for k, v in r["rows"].items()) or f"{n} frames"
        b = base.get(r["stage"])
        ratio = "-" if b is None or b is r else f"{(n / wall) / (b['frames'] / b['wall']):.2f}x"
        phased = sum(r["phases"].get(p, 0.0) for p in PHASE_COLS)
        table.append([r["stage"], str(r["workers"]), rows, f"{wall:.2f}", f"{cpu:.2f}", f"{cpu / n * 1000:.1f}",
                      f"{n / cpu:.1f}", f"{n / wall:.1f}", ratio,
                      *[f"{r['phases'].get(p, 0.0) / wall * 100:.0f}" for p in PHASE_COLS],
                      f"{(wall - phased) / wall * 100:.0f}", f"{r['peak_rss'] / 2**20:.0f}"])
    return table


# ------------------------------------------------------------------ B: real backends

def real_setup(work: Path, segmenter: str, device: str) -> dict:
    """Random full-size weights where the loaders look; the config overrides that select them."""
    import throughput_models as tm

    os.environ.pop("U2NET_HOME", None)  # it would win over REMBG_HOME
    os.environ.update(REMBG_HOME=str(work / "rembg"), HF_HOME=str(work / "hf"), HF_HUB_OFFLINE="1",
                      LAMA_MODEL=str(work / "big-lama.pt"))
    t0 = time.perf_counter()
    tm.rembg_model(work / "rembg", segmenter)
    tm.lama_model(work / "big-lama.pt")
    clip = tm.clip_checkpoint(work / "clip")
    tm.blip_base(work / "hf")
    print(f"real: random weights written ({time.perf_counter() - t0:.1f} s, not measured)", flush=True)
    return {
        "segment": {"backend": segmenter, "rembg": {"batched": True}},
        "inpaint": {"backend": "lama"},
        "embed": {"backend": "open_clip", "open_clip": {"model": "ViT-B-32", "pretrained": str(clip)}},
        "caption": {"backend": "blip"},
    }


BATCH_KEY = {"segment": "rembg", "inpaint": "lama", "embed": "open_clip", "caption": "blip"}
LABEL = {"inpaint": "lama (big-lama)", "embed": "open_clip ViT-B-32", "caption": "blip base"}


def warm_up(parts, name: str) -> None:
    """Load the stage's model (shared by its parts) and hash its weights, before the timed run."""
    import numpy as np

    from celvault.stages.layers import FrameIn

    model = parts[0].model
    rgb = np.zeros((720, 1280, 3), np.uint8)
    if name == "segment":
        model.segment([FrameIn("warm", "warm", 0, rgb)])
    elif name == "inpaint":
        mask = np.zeros((720, 1280), bool)
        mask[300:400, 600:700] = True
        model.inpaint([FrameIn("warm", "warm", 0, rgb)], [mask])
    elif name == "embed":
        model.embed_images([rgb])
    else:
        model.describe([rgb])
    for part in parts:
        part.weights_sha()


def run_real(template: Path, work: Path, overrides: dict, stages: list[str], batches: list[int], device: str,
             counts: dict) -> list[dict]:
    from celvault.config import Config
    from celvault.run_options import RunOptions
    from celvault.stages.runner import build_stages, run_pipeline, run_stage
    from celvault.timing import PhaseClock

    import celvault.stages.backends.null_backends  # noqa: F401

    out = []
    for name in stages:
        n = counts[name]
        base = work / f"real-{name}-template.db"
        fresh_copy(template, base)
        n = trim(base, n)
        if name != "segment":  # layers from the null segmenter, not measured
            run_pipeline(open_catalog(base, null_config()), null_config(), ["segment"],
                         run=RunOptions(workers=1, device=device, download=False))
        for b in batches:
            stage_over = json.loads(json.dumps(overrides[name]))
            stage_over.setdefault(BATCH_KEY[name], {})["batch"] = b
            config = Config.load(overrides={"models": {"download": False}, "stages": {name: stage_over}})
            run = RunOptions(workers=1, device=device, download=False, batch_size=b)
            catalog = open_catalog(fresh_copy(base, work / f"real-{name}-b{b}.db"), config)
            try:
                parts = build_stages(name, config, run)
                for part in parts:
                    part.check_settings()
                t0 = time.perf_counter()
                warm_up(parts, name)
                load = time.perf_counter() - t0
                with Meter() as m, PhaseClock() as clock:
                    reports = [run_stage(catalog, part) for part in parts]
            except Exception as exc:  # report it and go on with the other runs
                traceback.print_exc()
                out.append({"stage": name, "backend": overrides[name]["backend"], "batch": b, "frames": n,
                            "failed": f"{type(exc).__name__}: {str(exc)[:120]}"})
                continue
            rows = {r.table: r.rows for r in reports}
            errors = sum(r.errors for r in reports)
            if errors:
                print(f"  WARNING {name} batch {b}: {errors} rows failed: {reports}", flush=True)
            res = {"stage": name, "backend": parts[0].backend, "batch": b, "frames": n, "rows": rows,
                   "errors": errors, "wall": m.wall, "cpu": m.cpu, "peak_rss": m.peak, "load": load,
                   "phases": dict(clock.seconds)}
            out.append(res)
            print(f"  {name} ({parts[0].backend}) batch {b}: {rows}, load {load:.1f} s, wall {m.wall:.2f} s, "
                  f"cpu {m.cpu:.2f} s, phases {fmt_phases(clock.seconds)}", flush=True)
            del parts, catalog
    return out


def real_table(results: list[dict]) -> list[list[str]]:
    head = ["stage", "backend", "batch", "frames (rows)", "load + 1 warm-up call s (not timed)", "wall s", "frames/s wall",
            "rows/s wall", "model s", "model % of wall", "wall - model s/frame", "CPU s (all processes)",
            "peak RSS MB"]
    table = [head]
    for r in results:
        if "failed" in r:
            table.append([r["stage"], LABEL.get(r["stage"], r["backend"]), str(r["batch"]), str(r["frames"]),
                          f"FAILED: {r['failed']}", *[""] * (len(head) - 5)])
            continue
        n, wall = r["frames"], r["wall"]
        rows = sum(r["rows"].values())
        model = r["phases"].get("model", 0.0)
        label = LABEL.get(r["stage"], r["backend"])
        table.append([r["stage"], label, str(r["batch"]), "+".join(f"{v} {k}" for k, v in r["rows"].items()),
                      f"{r['load']:.1f}", f"{wall:.2f}", f"{n / wall:.3f}", f"{rows / wall:.3f}", f"{model:.2f}",
                      f"{model / wall * 100:.0f}", f"{(wall - model) / n:.3f}", f"{r['cpu']:.2f}",
                      f"{r['peak_rss'] / 2**20:.0f}"])
    return table


# ------------------------------------------------------------------ main

def int_list(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


@contextmanager
def workdir(keep: str | None):
    if keep:
        path = Path(keep).resolve()
        path.mkdir(parents=True, exist_ok=True)
        yield path
        return
    path = Path(tempfile.mkdtemp(prefix="celvault-bench-throughput-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=300, help="representative frames per run (section A)")
    ap.add_argument("--size", default="1280x720", help="frame size WxH")
    ap.add_argument("--stages", default=",".join(STAGES), help=f"comma-separated subset of {','.join(STAGES)}")
    ap.add_argument("--workers", default="1,2", help="worker counts to run (RunOptions.workers), e.g. 1,2")
    ap.add_argument("--real", action="store_true", help="also the real backends with random weights (section B)")
    ap.add_argument("--no-null", action="store_true", help="skip section A (with --real)")
    ap.add_argument("--batches", default="1,8,32", help="batch sizes for --real")
    ap.add_argument("--real-frames", default=",".join(f"{k}={v}" for k, v in REAL_FRAMES.items()),
                    help="frames per stage for --real, e.g. segment=32,inpaint=3")
    ap.add_argument("--segmenter", default="isnet-anime", choices=("isnet-anime", "u2net", "u2netp"))
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    ap.add_argument("--keep", help="work in DIR and keep the catalogues (the template is reused by a later run)")
    ap.add_argument("--json", help="write the raw figures to this file")
    args = ap.parse_args()
    stages = [s.strip() for s in args.stages.split(",") if s.strip()]
    if unknown := sorted(set(stages) - set(STAGES)):
        ap.error(f"unknown --stages {unknown}; known: {','.join(STAGES)}")
    stages = [s for s in STAGES if s in stages]
    width, height = (int(v) for v in args.size.lower().split("x"))
    worker_counts, batches = int_list(args.workers), int_list(args.batches)
    counts = dict(REAL_FRAMES)
    counts.update({k: int(v) for k, v in (kv.split("=") for kv in args.real_frames.split(",") if kv.strip())})

    import numpy
    import pyarrow

    from celvault.stages.backends.device import resolve

    device = resolve(args.device)
    versions = f"pyarrow {pyarrow.__version__}, numpy {numpy.__version__}"
    print(f"machine: {machine()}; device {device}; {versions}", flush=True)
    others = OthersBusy()
    null_results: list[dict] = []
    real_results: list[dict] = []
    with workdir(args.keep) as work:
        template = make_template(work, max([args.frames, *(counts[s] for s in stages)]) if args.real
                                 else args.frames, (width, height))
        if not args.no_null:
            a_template = template
            if args.real and args.frames < len(representatives(open_catalog(template, null_config()))):
                a_template = fresh_copy(template, work / "null-template.db")
                trim(a_template, args.frames)
            print(f"A: null backends, {args.frames} frames {width}x{height}", flush=True)
            for w in worker_counts:
                null_results += run_null(a_template, work, w, stages, device, args.frames)
        if args.real:
            import torch

            torch.manual_seed(0)
            versions += f", torch {torch.__version__}, torch threads {torch.get_num_threads()}"
            print(f"B: real backends, random weights, batches {batches}", flush=True)
            overrides = real_setup(work, args.segmenter, device)
            real_results = run_real(template, work, overrides, stages, batches, device, counts)
    busy = str(others)
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": machine(), "device": device, "others": busy,
                                               "argv": sys.argv[1:], "null": null_results, "real": real_results},
                                              indent=1))
    context = f"device {device}; {machine()}; {versions}; {busy}"
    if null_results:
        for w in worker_counts:
            null_results.append(total_of(null_results, w))
        print_results("bench_throughput.py", "Throughput (issue 15): null backends, whole stages per 720p frame",
                      f"{context}; {args.frames} representative {width}x{height} frames; phases in % of wall "
                      "time (driver's PhaseClock; with worker processes it also holds what they report, so "
                      "phases can exceed wall and other go negative); CPU s counts this process and all its "
                      "children", null_table(null_results, worker_counts))
        print()
        for w in worker_counts:
            r = [x for x in null_results if x["workers"] == w][-1]
            print(f"Extrapolation (not measured): a 16-core machine at {w} worker(s)' CPU cost would reach "
                  f"16 x {r['frames'] / r['cpu']:.1f} = {16 * r['frames'] / r['cpu']:.0f} frames/s through "
                  f"{r['stage']} (null backends: perfect scaling over cores assumed, no model time)")
    if real_results:
        print_results("bench_throughput.py", "Throughput (issue 15): real backends, random full-size weights",
                      f"{context}; one worker; model = the backend's model calls (PhaseClock `model`); load "
                      "(model load, one warm-up call on a 720p frame, weight hash) is done before the timed run; inpaint, embed and caption run "
                      "on layers from the null segmenter; on the CPU LaMa runs one frame per call whatever the "
                      "batch; random BLIP runs every caption to max_new_tokens (30, 3 beams)",
                      real_table(real_results))


if __name__ == "__main__":
    main()
