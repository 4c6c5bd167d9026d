"""Layers: segmentation and inpainting backends, seconds per 1280x720 frame, random weights of
the real architectures (U2Net/U2NetP/ISNet ONNX, SAM2.1 hiera-large, big-lama FFC-ResNet).

Baselines in the same run: rembg's own one-image session (`new_session(name).predict(PIL)`)
for the rembg models, simple-lama-inpainting's `SimpleLama()(image, mask)` one call per frame
for lama; sam2, telea and plate have none. Median over --repeats after one warm-up call; on
the CPU sam2 runs 1 frame once (no warm-up) and lama 2 frames once.

    python benchmarks/bench_layers.py [--device cpu|cuda] [--frames 8] [--only u2net,lama]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import statistics
import tempfile
import time
import timeit
import traceback
from pathlib import Path

import numpy as np
from common import backend, machine, print_results, timed  # backends import their libraries lazily

ROOT = Path(__file__).resolve().parent.parent
REMBG = ("u2netp", "u2net", "isnet-anime")  # isnet-general-use: the same ISNet as isnet-anime
NAMES = (*REMBG, "sam2", "lama", "telea", "plate")
SAM2_MODEL = "facebook/sam2.1-hiera-large"
SAM2_DESIGN = {"model": SAM2_MODEL, "points_per_side": 32, "pred_iou_thresh": 0.70, "stability_score_thresh": 0.80,
               "min_mask_region_area": 4096, "points_per_batch": 192}
PLATE_N = 8  # frames of one static shot the plate is built from


def per_frame(fn, items, repeats: int, warm=None) -> float:
    """Median seconds per item of ``fn(items)`` over ``repeats`` calls, after ``fn(warm)``."""
    if warm:
        fn(warm)
    return statistics.median(timeit.repeat(lambda: fn(items), number=1, repeat=repeats)) / len(items)


class Clock:
    """Wraps a callable and adds up the seconds spent in it (``sync``: wait for the GPU first)."""

    def __init__(self, fn, sync=None):
        self.fn, self.total, self.sync = fn, 0.0, sync

    def __call__(self, *a, **k):
        t0 = time.perf_counter()
        out = self.fn(*a, **k)
        if self.sync:
            self.sync()
        self.total += time.perf_counter() - t0
        return out


def pick_frames(n: int):
    """``n`` distinct frames spread over the longest static shot with characters (all visible,
    no fade), as FrameIn, and their character masks dilated 20 px as the inpaint stage does."""
    from celvault.stages.inpaint import dilate
    from celvault.stages.layers import FrameIn
    from celvault.synthetic import EpisodeSpec, plan_episode, render_frame

    spec = EpisodeSpec(seed=1, width=1280, height=720, fps=24, walkers=True)
    truth = plan_episode(spec)
    shot = max((s for s in truth.shots if s.static_camera and s.characters and not s.is_opening),
               key=lambda s: s.n_frames)
    ok = [i for i in truth.distinct_frames() if shot.start_frame <= i < shot.end_frame  # all characters seen, no fade
          and truth.frames[i].fade_factor == 1.0 and len(truth.frames[i].bboxes) == len(shot.characters)]
    frames, masks = [], []
    for i in (ok[round(k * (len(ok) - 1) / max(n - 1, 1))] for k in range(n)):
        r = render_frame(spec, truth, i)
        frames.append(FrameIn(f"f{i:05d}", "bench", shot.index, r.rgb))
        masks.append(dilate(sum(m.astype("uint8") for m in r.masks.values()) > 0, 20))
    return shot, frames, masks


def refiner(frame):
    """The segment stage's soft alpha -> instances step: aggressive preset, default area limits."""
    import math

    from celvault.stages.refine import instances, load_preset, refine

    preset, (h, w) = load_preset("aggressive"), frame.rgb.shape[:2]
    return lambda soft: instances(*refine(soft, preset)[::-1], math.ceil(0.002 * h * w), int(0.6 * h * w))


def bench_rembg(name, device, frames, repeats, rows):
    from PIL import Image
    from rembg import new_session

    from archs.export import export_rembg_onnx
    from celvault.stages.backends.device import onnx_providers

    with timed(f"{name}: export random-weight ONNX", {}):
        export_rembg_onnx(name, Path(os.environ["REMBG_HOME"]) / "models" / name / f"{name}.onnx")
    seg = backend("segmenter", name, {"rembg": {"batched": True, "batch": 4}}, device)
    seg._infer = ort = Clock(seg._infer)
    ref = Clock(refiner(frames[0]))
    ours = Clock(lambda ims: [ref(soft) for soft in seg.soft_alphas(ims)])
    images = [f.rgb for f in frames]
    ours(images[:4])  # warm-up: one batch of 4
    ort.total = ref.total = ours.total = 0.0
    s = per_frame(ours, images, repeats)
    n = repeats * len(images)  # the split: means over the timed calls
    rest = ours.total - ort.total - ref.total
    split = f"ort {ort.total / n:.3f} + refine {ref.total / n:.3f} + pre/post {rest / n:.3f}"
    sess = new_session(name, providers=onnx_providers(device))
    sess.inner_session.run = base_ort = Clock(sess.inner_session.run)
    theirs = Clock(lambda ims: [sess.predict(Image.fromarray(im)) for im in ims])
    theirs(images[:1])  # warm-up
    base_ort.total = theirs.total = 0.0
    base = per_frame(theirs, images, repeats)
    split += f"; rembg: ort {base_ort.total / n:.3f} + pre/post {(theirs.total - base_ort.total) / n:.3f}"
    print(f"  {name}: celvault {s:.3f} s/frame ({split}); rembg session {base:.3f} s/frame", flush=True)
    rows.append((name, f"soft_alphas batch 4 + aggressive refine + instances, {len(images)} frames", s, base,
                 "rembg new_session().predict, 1 image/call"))
    rows.append((f"  {name} split", split, None, None, ""))


def bench_sam2(device, frames, repeats, rows, points):
    import torch

    spec = importlib.util.spec_from_file_location("tiny_models", ROOT / "tests" / "tiny_models.py")
    tiny = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tiny)
    with timed("sam2: random hiera-large checkpoint into the HF cache", {}):
        tiny.sam2_checkpoint(Path(os.environ["HF_HOME"]), SAM2_MODEL)
    seg = backend("segmenter", "sam2", {"sam2": {**SAM2_DESIGN, "points_per_side": points}}, device)
    with timed("sam2: build hiera-large from the checkpoint", {}):
        gen = seg._load()
    sync = torch.cuda.synchronize if device == "cuda" else None
    gen.predictor.set_image = enc = Clock(gen.predictor.set_image, sync)
    gen.predictor._predict = dec = Clock(gen.predictor._predict, sync)  # prompt/mask decoders + upsampling
    tr = gen.predictor._transforms
    tr.postprocess_masks = up = Clock(tr.postprocess_masks, sync)  # low-res masks -> frame size
    items, warm = (frames[:1], None) if device == "cpu" else (frames, frames[:1])
    repeats = 1 if device == "cpu" else repeats  # a minute or more per frame on the CPU
    kept = []
    s = per_frame(lambda fs: kept.extend(len(x.masks) for x in seg.segment(fs)), items, repeats, warm)
    calls = repeats * len(items) + (1 if warm else 0)
    enc_s, dec_s, up_s = enc.total / calls, dec.total / calls, up.total / calls
    split = (f"image encoder {enc_s:.2f} + decoders {dec_s - up_s:.2f} + upsampling {up_s:.2f} + filtering/NMS/"
             f"rest {s - enc_s - dec_s:.2f}; masks kept {kept} (random weights: few pass, rest not representative)")
    print(f"  sam2: {s:.2f} s/frame ({split})", flush=True)
    rows.append(("sam2.1-hiera-large", f"Sam2Segmenter.segment, points_per_side {points}, {len(items)} frame(s)"
                 + ("" if warm else ", no warm-up"), s, None, ""))
    rows.append(("  sam2 split", split, None, None, ""))


def bench_lama(device, frames, masks, repeats, rows):
    import torch
    from PIL import Image
    from simple_lama_inpainting import SimpleLama

    from archs.lama import lama_torchscript

    with timed("lama: script big-lama (random weights)", {}):
        lama_torchscript(Path(os.environ["LAMA_MODEL"]))
    if device == "cpu":  # ~10 s per frame
        frames, masks, repeats = frames[:2], masks[:2], 1
    inp = backend("inpainter", "lama", {"lama": {"batch": 2}}, device)
    s = per_frame(lambda ms: inp.inpaint(frames, ms), masks, repeats, masks[:2])
    simple = SimpleLama(device=torch.device(device))
    pairs = list(zip(frames, masks))
    base = per_frame(lambda ps: [simple(Image.fromarray(f.rgb), Image.fromarray(m.astype(np.uint8) * 255))
                                 for f, m in ps], pairs, repeats, pairs[:1])
    print(f"  lama: celvault {s:.2f} s/frame; SimpleLama {base:.2f} s/frame ({len(frames)} frames)", flush=True)
    rows.append(("lama (big-lama size)", f"LamaInpainter.inpaint batch 2, {len(frames)} frames", s, base,
                 "SimpleLama()(image, mask), 1 frame/call"))


def bench_telea(device, frames, masks, repeats, rows):
    inp = backend("inpainter", "telea", device=device)
    s = per_frame(lambda ms: inp.inpaint(frames, ms), masks, repeats, masks[:1])
    cover = sum(m.mean() for m in masks) / len(masks)
    rows.append(("telea", f"TeleaInpainter.inpaint radius 3, holes {cover:.0%} of frame, {len(frames)} frames",
                 s, None, ""))


def bench_plate(device, shot, repeats, rows):
    from celvault.stages.plate import build_plate

    _, frames, _ = pick_frames(PLATE_N)
    seg = backend("segmenter", "plate", device=device)
    o, res = seg.options, {}
    shot_frames = [(f.frame_id, f.rgb) for f in frames]
    with timed(f"plate: build_plate from {PLATE_N} frames", res):
        plate = build_plate(shot_frames, o.tolerance, o.min_frames, o.static_fraction)
    assert plate.reason is None, plate.reason
    seg.shot_frames = lambda episode_id, shot_index, limit: shot_frames[:limit]  # as the stage hands them over
    seg.shot_plates()._cache[("bench", shot.index)] = plate  # the shot's plate, already built (timed above)
    ref = refiner(frames[0])

    def run(fs):
        for x in seg.segment(fs):
            assert x.soft is not None, x.skipped
            ref(x.soft)

    s = per_frame(run, frames, repeats, frames[:1])
    build = res[f"plate: build_plate from {PLATE_N} frames"] / PLATE_N
    rows.append(("plate", f"build_plate/{PLATE_N} frames ({build:.3f}) + PlateSegmenter.segment + aggressive refine "
                 f"+ instances ({s:.3f})", build + s, None, ""))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    ap.add_argument("--frames", type=int, default=8, help="frames per timed call (CPU: sam2 1, lama 2)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--only", default=",".join(NAMES), help=f"comma-separated subset of {','.join(NAMES)}")
    ap.add_argument("--sam2-points", type=int, default=32, help="sam2 points_per_side (DESIGN: 32)")
    args = ap.parse_args()
    only = [n.strip() for n in args.only.split(",") if n.strip()]
    if unknown := sorted(set(only) - set(NAMES)):
        ap.error(f"unknown --only {unknown}; known: {','.join(NAMES)} (isnet-general-use is isnet-anime's ISNet)")
    work = Path(tempfile.mkdtemp(prefix="celvault-bench-layers-"))
    os.environ.pop("U2NET_HOME", None)  # it would win over REMBG_HOME
    os.environ.update(REMBG_HOME=str(work / "rembg"), HF_HOME=str(work / "hf"), HF_HUB_OFFLINE="1",
                      LAMA_MODEL=str(work / "big-lama.pt"))
    rows: list[tuple] = []
    try:
        import onnxruntime
        import torch

        from celvault.stages.backends.device import resolve

        device = resolve(args.device)
        torch.manual_seed(0)
        versions = f"torch {torch.__version__}, onnxruntime {onnxruntime.__version__}"
        print(f"machine: {machine()}; device {device}; {versions}")
        shot, frames, masks = pick_frames(args.frames)
        print(f"{len(frames)} frames of shot {shot.index} ({shot.background}, {len(shot.characters)} characters): "
              f"{', '.join(f.frame_id for f in frames)}", flush=True)
        for name in (n for n in NAMES if n in only):
            print(f"{name}:", flush=True)
            try:
                if name in REMBG:
                    bench_rembg(name, device, frames, args.repeats, rows)
                elif name == "sam2":
                    bench_sam2(device, frames, args.repeats, rows, args.sam2_points)
                elif name in ("lama", "telea"):
                    (bench_lama if name == "lama" else bench_telea)(device, frames, masks, args.repeats, rows)
                else:
                    bench_plate(device, shot, args.repeats, rows)
            except Exception as exc:  # report it and go on with the other backends
                traceback.print_exc()
                rows.append((name, f"FAILED: {type(exc).__name__}: {str(exc)[:120]}", None, None, ""))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(rows, device, versions)


def report(rows, device, versions) -> None:
    head = ["backend", "what was timed", "s/frame", "frames/s", "baseline s/frame", "baseline/celvault"]
    table = [head] + [[b, what, "", "", "", ""] if s is None else
                      [b, what, f"{s:.3f}", f"{1 / s:.2f}", f"{base:.3f} ({bw})" if base else "-",
                       f"{base / s:.2f}x" if base else "-"] for b, what, s, base, bw in rows]
    print_results("bench_layers.py", "Layers: segmentation and inpainting per 1280x720 frame",
                  f"device {device}; {machine()}; {versions}; random weights of the real architectures; "
                  "isnet-general-use is the same ISNet architecture as isnet-anime, so it is not timed twice", table)

if __name__ == "__main__":
    main()
