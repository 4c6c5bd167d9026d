"""Describe: CLIP ViT-B-32 embeddings, BLIP base captions, palette embeddings, identity clustering.

Random weights of the real architectures (the arithmetic is the same as the released weights):

* clip: ``open_clip.create_model("ViT-B-32", pretrained=None)`` saved as a checkpoint file and
  read by ``OpenClipEmbedder`` (stage default batch 64). Images/s through ``embed_images`` on
  synthetic 640x360 RGB frames and ~120x200 RGBA cut-outs, after one warm-up batch. Baseline in
  the same run: the model alone (already preprocessed 224x224 tensors, batch 64, straight into
  ``encode_image``); pipeline rate / model-only rate shows what PIL conversion and open_clip's
  preprocessing cost.
* blip: ``BlipForConditionalGeneration`` with the Salesforce/blip-image-captioning-base
  configuration (ViT-B/16 at 384, 12-layer BERT-base decoder with cross-attention, vocabulary
  30524, [DEC]=30522 as bos, [SEP]=102, [PAD]=0) and a BERT tokenizer over a synthetic 30524-entry
  vocabulary, laid out in a temporary HF cache like the hub repo and read by ``BlipCaptioner``
  (stage defaults: batch 16, beams 3). Random weights would end captions at an arbitrary step,
  so the LM-head bias of [SEP] (the only token generate stops on) is set to -1e4: every caption
  is exactly ``--blip-tokens`` (20) new tokens, which the script checks. Real captions are
  usually 8-15 tokens, so this is the slow side. No baseline; split generate / the rest.
* palette: ``PaletteEmbedder`` (no weights) on the same cut-outs.
* cluster: ``clustering.fit`` with the cluster stage defaults on synthetic L2-normalised 512-d
  embeddings (300 identities, Zipf-like sizes, Gaussian spread around random centroids, seed 0):
  seconds and adjusted Rand index against the true identities. Baseline: HDBSCAN on all points
  (``hdbscan_labels(project(...))``, no ``max_fit`` sample) when n <= 60,000; above that only
  on a 50,000-point subset (the full fit at 200,000 takes far too long to be a baseline here).

Each section also prints how many cores other processes kept busy meanwhile (from /proc/stat):
on the 2-core machine anything else running slows every figure.

    python benchmarks/bench_describe.py [--device auto|cpu|cuda] [--only clip,blip,palette,cluster]
        [--images 256] [--blip-images 32] [--num-beams 3] [--blip-tokens 20] [--cluster-n 200000]
        [--repeats 1] [--threads N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import traceback
from importlib import metadata
from pathlib import Path

import numpy as np
from common import backend, machine, Others, print_results, timed

ROOT = Path(__file__).resolve().parent.parent
NAMES = ("clip", "blip", "palette", "cluster")
CLIP_MODEL = "ViT-B-32"
BLIP_REPO = "celvault-bench/blip-image-captioning-base-random"  # the real base architecture, random weights
BLIP_VOCAB = 30522  # vocab.txt lines (bert-base-uncased size); [DEC] and [ENC] are added on top -> 30524
def _cluster_defaults() -> dict:
    """The cluster stage's defaults, as `fit` takes them."""
    from celvault.stages.cluster import ClusterStage

    stage = ClusterStage({})
    return {**stage.options, "factor": stage.factor, "margin": stage.margin}


CLUSTER = _cluster_defaults()
FULL_FIT_MAX = 60000  # baseline on all points up to this many
CLUSTER_TARGET_S = 60.0  # target for 200,000 embeddings on the 2-core CPU machine


class Clock:
    """Wraps a callable and adds up the seconds spent in it (``sync``: wait for the GPU first)."""

    def __init__(self, fn, sync=None):
        self.fn, self.total, self.calls, self.sync = fn, 0.0, 0, sync

    def __call__(self, *a, **k):
        t0 = time.perf_counter()
        out = self.fn(*a, **k)
        if self.sync:
            self.sync()
        self.total += time.perf_counter() - t0
        self.calls += 1
        return out

    def reset(self):
        self.total, self.calls = 0.0, 0


last_times: list[float] = []




def median_s(fn, repeats: int) -> float:
    """Median wall seconds of ``repeats`` calls of ``fn()`` (each call's time kept in last_times)."""
    last_times.clear()
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        last_times.append(time.perf_counter() - t0)
    return statistics.median(last_times)


# --------------------------------------------------------------------------------------------
# synthetic inputs
# --------------------------------------------------------------------------------------------

def _colour(rng) -> tuple[int, int, int]:
    return tuple(int(c) for c in rng.integers(40, 256, 3))


def synthetic_frames(n: int, seed: int = 0) -> list[np.ndarray]:
    """640x360 RGB frames in flat anime-like colours: a vertical gradient and 3-6 outlined shapes."""
    import cv2

    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        top, bottom = np.array(_colour(rng), np.float32), np.array(_colour(rng), np.float32)
        t = np.linspace(0, 1, 360, dtype=np.float32)[:, None, None]
        img = np.ascontiguousarray(np.broadcast_to(top * (1 - t) + bottom * t, (360, 640, 3)).astype(np.uint8))
        for _ in range(int(rng.integers(3, 7))):
            x, y = int(rng.integers(0, 640)), int(rng.integers(0, 360))
            a, b = int(rng.integers(20, 160)), int(rng.integers(20, 120))
            if rng.random() < 0.5:
                cv2.ellipse(img, (x, y), (a, b), float(rng.integers(0, 180)), 0, 360, _colour(rng), -1, cv2.LINE_AA)
                cv2.ellipse(img, (x, y), (a, b), 0, 0, 360, (20, 20, 28), 2, cv2.LINE_AA)
            else:
                cv2.rectangle(img, (x, y), (x + a, y + b), _colour(rng), -1)
                cv2.rectangle(img, (x, y), (x + a, y + b), (20, 20, 28), 2)
        out.append(img)
    return out


def synthetic_cutouts(n: int, seed: int = 1) -> list[np.ndarray]:
    """~120x200 RGBA character cut-outs: a head, a body and legs in flat colours with dark
    outlines on a transparent background (anti-aliased alpha edges)."""
    import cv2

    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        w, h = int(rng.integers(105, 136)), int(rng.integers(180, 221))
        rgb = np.zeros((h, w, 3), np.uint8)
        alpha = np.zeros((h, w), np.uint8)
        cx, head = w // 2, int(h * 0.16)
        parts = [  # (centre, axes) of head, hair, body, legs
            ((cx, head + 4), (int(w * 0.28), head)),
            ((cx, head - 2), (int(w * 0.33), int(head * 0.8))),
            ((cx, int(h * 0.5)), (int(w * 0.4), int(h * 0.22))),
            ((cx, int(h * 0.8)), (int(w * 0.25), int(h * 0.18))),
        ]
        for (centre, axes), colour in zip(parts, [(250, 220, 200), _colour(rng), _colour(rng), _colour(rng)]):
            cv2.ellipse(rgb, centre, axes, 0, 0, 360, colour, -1, cv2.LINE_AA)
            cv2.ellipse(rgb, centre, axes, 0, 0, 360, (25, 20, 30), 2, cv2.LINE_AA)
            cv2.ellipse(alpha, centre, axes, 0, 0, 360, 255, -1, cv2.LINE_AA)
        out.append(np.dstack([rgb, alpha]))
    return out


def synthetic_embeddings(n: int, identities: int = 300, dim: int = 512, seed: int = 0):
    """L2-normalised ``(n, dim)`` float32 vectors and their true identity per row.

    Identity sizes follow 1/rank^0.8 (a few main characters, many minor ones); each identity
    is a random unit centroid plus isotropic Gaussian noise of norm ~0.5 x a per-identity factor
    in 0.7..1.3 (cosine to the centroid ~0.85-0.95), then normalised."""
    rng = np.random.default_rng(seed)
    w = 1.0 / np.arange(1, identities + 1) ** 0.8
    truth = rng.choice(identities, n, p=w / w.sum())
    centroids = rng.standard_normal((identities, dim), dtype=np.float32)
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    spread = (0.5 * rng.uniform(0.7, 1.3, identities) / np.sqrt(dim)).astype(np.float32)
    x = rng.standard_normal((n, dim), dtype=np.float32)
    x *= spread[truth][:, None]
    x += centroids[truth]
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x, truth


# --------------------------------------------------------------------------------------------
# clip
# --------------------------------------------------------------------------------------------

def bench_clip(device, frames, cutouts, work: Path, repeats: int, rows):
    import open_clip
    import torch

    from celvault.media.codec import to_pil

    with timed(f"clip: random {CLIP_MODEL} checkpoint", {}):
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            model = open_clip.create_model(CLIP_MODEL, pretrained=None, device="cpu")
        ckpt = work / f"{CLIP_MODEL}-random.pt"
        torch.save(model.state_dict(), ckpt)
        del model
    emb = backend("embedder", "open_clip", {"open_clip": {"model": CLIP_MODEL, "pretrained": str(ckpt), "batch": 64}},
                  device)
    with timed("clip: OpenClipEmbedder load (create_model_and_transforms from the file)", {}):
        emb._load()
    step = emb.options.batch
    sync = torch.cuda.synchronize if device == "cuda" else None
    net, preprocess = emb._net, emb._preprocess
    emb._preprocess = pre = Clock(preprocess)
    emb._net.encode_image = enc = Clock(net.encode_image, sync)  # instance attribute, the module is unchanged

    def model_only(tensors):
        with torch.inference_mode(), emb._autocast():
            for start in range(0, len(tensors), step):
                net.encode_image(tensors[start:start + step].to(device)).float().cpu()

    tensors = torch.stack([preprocess(to_pil(img)) for img in frames])  # 224x224 whatever the input size
    model_only(tensors[:step])  # warm-up
    base = len(tensors) / median_s(lambda: model_only(tensors), repeats)
    print(f"  clip: model only (encode_image on preprocessed {tuple(tensors.shape[1:])} tensors, batch {step}): "
          f"{base:.1f} images/s", flush=True)
    for kind, images in (("frames 640x360 RGB", frames), ("cut-outs ~120x200 RGBA", cutouts)):
        emb.embed_images(images[:step])  # warm-up batch
        pre.reset(), enc.reset()
        out = []
        s = median_s(lambda: out.append(emb.embed_images(images)), repeats)
        vecs = out[-1]
        norms = np.linalg.norm(vecs, axis=1)
        assert vecs.shape == (len(images), emb.dim) and np.allclose(norms, 1, atol=1e-3), (vecs.shape, norms[:3])
        n = len(images)
        rate = n / s
        per = 1000 / (n * repeats)  # the split: means over all timed calls, ms per image
        split = (f"per image: to_pil+preprocess {pre.total * per:.1f} ms, encode_image {enc.total * per:.1f} ms, "
                 f"rest {(sum(last_times) - pre.total - enc.total) * per:.1f} ms")
        took = f"{s:.2f} s" + ("" if repeats == 1 else f" median of {repeats}")
        print(f"  clip {kind}: {rate:.1f} images/s ({n} images, {took}; {split}); "
              f"{rate / base:.2f} of the model-only rate", flush=True)
        rows.append((f"clip {CLIP_MODEL}", f"embed_images, {kind}, {n} images, batch {step}", rate, base,
                     "encode_image on preprocessed tensors"))
        rows.append(("  split", split, None, None, ""))


# --------------------------------------------------------------------------------------------
# blip
# --------------------------------------------------------------------------------------------

def blip_vocab() -> list[str]:
    """30522 WordPiece entries in bert-base-uncased's layout: [PAD]=0, [unused0-98], [UNK]=100,
    [CLS]=101, [SEP]=102, [MASK]=103, more [unused], then made-up words and ## pieces."""
    vocab = ["[PAD]"] + [f"[unused{i}]" for i in range(99)] + ["[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    vocab += [f"[unused{i}]" for i in range(99, 994)]  # up to index 998 as in bert-base-uncased
    vocab += list("!\"#$%&'()*+,-./0123456789:;<=>?@[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~")
    letters = "abcdefghijklmnopqrstuvwxyz"
    i = 0
    while len(vocab) < BLIP_VOCAB:
        word = letters[i % 26] + letters[(i // 26) % 26] + letters[(i // 676) % 26] + str(i // 17576)
        vocab.append(word if i % 4 else f"##{word}")
        i += 1
    assert len(vocab) == len(set(vocab)) == BLIP_VOCAB
    return vocab


def build_blip(hf_home: Path, repo_id: str) -> Path:
    """Random-weight BLIP base captioner + processor in the HF cache, laid out as the hub repo
    (as tests/tiny_describe.py's blip_tiny writes its tiny one). Returns the snapshot dir."""
    import json

    import torch
    from transformers import BertTokenizer, BlipConfig, BlipForConditionalGeneration, BlipImageProcessor

    from tests.tiny_describe import hf_cache_repo

    with tempfile.TemporaryDirectory(prefix="bench-blip-", dir=hf_home.parent) as tmp:
        out = Path(tmp)
        (out / "vocab.txt").write_text("\n".join(blip_vocab()) + "\n", encoding="utf-8")
        tok = BertTokenizer(vocab=str(out / "vocab.txt"), do_lower_case=True, bos_token="[DEC]",
                            extra_special_tokens=["[ENC]"], model_max_length=512)
        ids = {"len": len(tok), "bos": tok.bos_token_id, "enc": tok.convert_tokens_to_ids("[ENC]"),
               "sep": tok.sep_token_id, "pad": tok.pad_token_id}
        assert ids == {"len": 30524, "bos": 30522, "enc": 30523, "sep": 102, "pad": 0}, ids
        # The base repo's config: BlipConfig's defaults except 12 text heads (not 8) and the
        # vision initializer range 0.02 (not 1e-10, which would leave the vision tower ~zero).
        config = BlipConfig(vision_config={"initializer_range": 0.02},
                            text_config={"num_attention_heads": 12, "vocab_size": len(tok),
                                         "bos_token_id": ids["bos"], "sep_token_id": ids["sep"],
                                         "pad_token_id": ids["pad"]})
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            model = BlipForConditionalGeneration(config).eval()
        with torch.no_grad():  # random weights: never stop early, every caption max_new_tokens long
            model.text_decoder.cls.predictions.bias[ids["sep"]] = -1e4
        model.save_pretrained(out, safe_serialization=True)
        del model
        BlipImageProcessor(size={"height": 384, "width": 384}).save_pretrained(out)
        tok.save_pretrained(out)
        for name in ("preprocessor_config.json", "tokenizer_config.json"):
            settings = json.loads((out / name).read_text(encoding="utf-8"))
            settings["processor_class"] = "BlipProcessor"  # as in the hub repo's files
            (out / name).write_text(json.dumps(settings, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        files = {p.relative_to(out).as_posix(): p for p in sorted(out.rglob("*")) if p.is_file()}
        return hf_cache_repo(hf_home, repo_id, files)


def bench_blip(device, frames, beams, tokens, hf_home: Path, rows):
    import torch

    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # "Writing model shards" / "Loading weights" bars
    with timed("blip: random BLIP base model + processor into the HF cache", {}):
        build_blip(hf_home, BLIP_REPO)
    cap = backend("captioner", "blip", {"blip": {"model": BLIP_REPO, "max_new_tokens": tokens, "num_beams": beams,
                                                 "batch": 16}}, device)
    with timed("blip: BlipCaptioner load (from_pretrained, local files only)", {}):
        cap._load()
    net = cap._net
    text = net.config.text_config
    sep, pad = text.sep_token_id, text.pad_token_id
    assert float(net.text_decoder.cls.predictions.bias[sep].detach()) < -1000, "[SEP] bias lost on the reload"
    shapes: list[tuple[int, ...]] = []
    sync = torch.cuda.synchronize if device == "cuda" else None
    gen = Clock(net.generate, sync)

    def generate(*a, **k):
        ids = gen(*a, **k)
        shapes.append(tuple(ids.shape))
        # generate stops on [SEP] only (BLIP passes eos_token_id=sep_token_id) and pads rows that
        # ended early with [PAD]: full length, no [SEP], no [PAD] at the end = every caption full.
        body = ids[:, 1:].cpu().numpy()
        assert ids.shape[1] == 1 + tokens and not (body == sep).any() and not (body[:, -1] == pad).any(), \
            f"a caption ended early: {ids.shape}"
        return ids

    net.generate = generate
    step = cap.options.batch
    cap.describe(frames[:2])  # warm-up, 2 images
    gen.reset()
    shapes.clear()
    t0 = time.perf_counter()
    captions = cap.describe(frames)
    s = time.perf_counter() - t0
    n = len(frames)
    assert len(captions) == n
    rate = n / s
    search = "greedy search" if beams == 1 else f"beam search, {beams} beams"
    split = (f"per image: generate (vision + {tokens} tokens, {search}) {gen.total / n:.2f} s, processor + decode "
             f"{(s - gen.total) / n:.3f} s; generate outputs {shapes}")
    print(f"  blip: {rate:.3f} images/s ({s / n:.2f} s/image; {n} frames, {s:.1f} s; beams {beams}, {tokens} new "
          f"tokens each; {split})", flush=True)
    print(f"  blip: first caption (random weights, made-up vocabulary): {captions[0][:80]!r}", flush=True)
    rows.append(("blip base", f"describe, 640x360 frames -> 384, {n} images, batch {step}, beams {beams}, "
                 f"{tokens} new tokens (forced)", rate, None, ""))
    rows.append(("  split", split.split("; generate outputs")[0], None, None, ""))


# --------------------------------------------------------------------------------------------
# palette
# --------------------------------------------------------------------------------------------

def bench_palette(cutouts, repeats, rows):
    emb = backend("embedder", "palette", {"palette": {}}, "cpu")
    emb.embed_images(cutouts[:16])  # warm-up
    out = []
    s = median_s(lambda: out.append(emb.embed_images(cutouts)), repeats)
    vecs = out[-1]
    assert vecs.shape == (len(cutouts), emb.dim)
    rate = len(cutouts) / s
    print(f"  palette: {rate:.0f} images/s ({len(cutouts)} cut-outs, {s * 1000:.1f} ms; dim {emb.dim})", flush=True)
    rows.append(("palette", f"embed_images, cut-outs ~120x200 RGBA, {len(cutouts)} images (CPU)", rate, None, ""))


# --------------------------------------------------------------------------------------------
# cluster
# --------------------------------------------------------------------------------------------

def bench_cluster(n, rows):
    from sklearn.metrics import adjusted_rand_score

    from celvault.stages.clustering import NOISE, fit, hdbscan_labels, project

    res: dict[str, float] = {}
    with timed(f"cluster: {n:,} synthetic 512-d embeddings", res):
        x, truth = synthetic_embeddings(n)
    sizes = np.bincount(truth)
    print(f"  cluster: {len(sizes)} identities, {sizes.min()}-{sizes.max()} members each", flush=True)

    def describe(labels, truth_part):
        ari = adjusted_rand_score(truth_part, labels)
        found = len(set(labels.tolist()) - {NOISE})
        return ari, f"ARI {ari:.3f}, {found} clusters, noise {np.mean(labels == NOISE):.1%}"

    label = f"cluster: fit {n:,} (defaults, max_fit {CLUSTER['max_fit']:,})"
    with timed(label, res):
        labels = fit(x, **CLUSTER)
    s = res[label]
    _, what = describe(labels, truth)
    sampled = n > CLUSTER["max_fit"]
    print(f"  cluster: fit {n:,}: {s:.1f} s, {what}" + (f" (HDBSCAN on a {CLUSTER['max_fit']:,} sample, the rest "
                                                       "assigned to the nearest identity)" if sampled else ""),
          flush=True)
    if n >= 200000:
        verdict = "met" if s < CLUSTER_TARGET_S else "NOT met"
        print(f"  cluster: target < {CLUSTER_TARGET_S:.0f} s for 200,000 on the 2-core CPU machine "
              f"({machine()} here): {verdict}", flush=True)
    m = n if n <= FULL_FIT_MAX else CLUSTER["max_fit"]
    part = slice(0, m)  # rows are in random identity order already
    blabel = f"cluster: baseline hdbscan_labels(project(...)) on {m:,} points, no sample"
    with timed(blabel, res):
        blabels = hdbscan_labels(project(x[part], CLUSTER["reduce_dims"]), CLUSTER["min_cluster_size"],
                                 CLUSTER["min_samples"])
    _, bwhat = describe(blabels, truth[part])
    print(f"  cluster: baseline on {m:,} points: {res[blabel]:.1f} s, {bwhat}", flush=True)
    base, base_what = res[blabel], f"HDBSCAN on all {m:,} points, no sample"
    if m < n:
        base_what = f"HDBSCAN alone on {m:,} of them, no sample; {bwhat}"
        print(f"  cluster: the full fit was measured at {m:,} points only ({n:,} unsampled is not run): sampled fit "
              f"of {n:,} / full fit of {m:,} = {s / res[blabel]:.2f}x the time", flush=True)
    rows.append(("cluster", f"fit {n:,} x 512-d, 300 identities; {what}", s, base, base_what, "s"))


# --------------------------------------------------------------------------------------------

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    ap.add_argument("--only", default=",".join(NAMES), help=f"comma-separated subset of {','.join(NAMES)}")
    ap.add_argument("--images", type=int, default=256, help="clip / palette: images per kind (default 256)")
    ap.add_argument("--blip-images", type=int, default=32, help="blip: frames captioned (default 32)")
    ap.add_argument("--num-beams", type=int, default=3, help="blip: beams (stage default 3)")
    ap.add_argument("--blip-tokens", type=int, default=20, help="blip: max_new_tokens, all generated (default 20)")
    ap.add_argument("--cluster-n", type=int, default=200000, help="cluster: embeddings (default 200,000)")
    ap.add_argument("--repeats", type=int, default=1, help="clip / palette: timed passes, median (default 1)")
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's own)")
    args = ap.parse_args()
    only = [n.strip() for n in args.only.split(",") if n.strip()]
    if unknown := sorted(set(only) - set(NAMES)):
        ap.error(f"unknown --only {unknown}; known: {','.join(NAMES)}")
    work = Path(tempfile.mkdtemp(prefix="celvault-bench-describe-"))
    hf_home = work / "hf"
    # Before anything imports huggingface_hub (open_clip, transformers): it reads these at import.
    os.environ.pop("HF_HUB_CACHE", None)
    os.environ.update(HF_HOME=str(hf_home), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
                      HF_HUB_DISABLE_PROGRESS_BARS="1", TRANSFORMERS_VERBOSITY="error")
    sys.path.insert(0, str(ROOT))  # tests.tiny_describe
    rows: list[tuple] = []
    notes: list[str] = []
    try:
        import torch

        from celvault.stages.backends.device import resolve

        if args.threads:
            torch.set_num_threads(args.threads)
        device = resolve(args.device)
        versions = [f"torch {torch.__version__}"]
        for dist in ("open_clip_torch", "transformers", "hdbscan", "scikit-learn"):
            try:
                versions.append(f"{dist} {metadata.version(dist)}")
            except metadata.PackageNotFoundError:
                pass
        versions = ", ".join(versions)
        print(f"machine: {machine()}; device {device}; torch threads {torch.get_num_threads()}; {versions}",
              flush=True)
        frames = synthetic_frames(max(args.images if "clip" in only else 0, args.blip_images if "blip" in only else 0))
        cutouts = synthetic_cutouts(args.images if {"clip", "palette"} & set(only) else 0)
        for name in (n for n in NAMES if n in only):
            print(f"{name}:", flush=True)
            others = Others()
            try:
                if name == "clip":
                    bench_clip(device, frames[:args.images], cutouts, work, args.repeats, rows)
                elif name == "blip":
                    bench_blip(device, frames[:args.blip_images], args.num_beams, args.blip_tokens, hf_home, rows)
                elif name == "palette":
                    bench_palette(cutouts, args.repeats, rows)
                else:
                    bench_cluster(args.cluster_n, rows)
            except Exception as exc:  # report it and go on with the others
                traceback.print_exc()
                rows.append((name, f"FAILED: {type(exc).__name__}: {str(exc)[:160]}", None, None, ""))
            print(f"  {name}: {others}", flush=True)
            notes.append(f"{name}: {str(others).replace('other processes kept', 'others')}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(rows, device, versions, notes)


def report(rows, device, versions, notes) -> None:
    """Rows: (what, how, value, baseline value, baseline what[, unit]); unit "img" (images/s,
    higher is better; the ratio is celvault / baseline) or "s" (seconds; the ratio is baseline /
    celvault, so above 1 means celvault is faster either way)."""
    head = ["backend", "what was timed", "result", "baseline", "vs baseline"]
    table = [head]
    for what, how, value, base, bwhat, *unit in rows:
        unit = unit[0] if unit else "img"
        if value is None:
            table.append([what, how, "", "", ""])
            continue
        fmt = (lambda v: f"{v:.3g} images/s" if v < 10 else f"{v:.1f} images/s") if unit == "img" else \
            (lambda v: f"{v:.1f} s")
        ratio = (value / base if unit == "img" else base / value) if base else None
        table.append([what, how, fmt(value), f"{fmt(base)} ({bwhat})" if base else "-",
                      f"{ratio:.2f}x" if ratio else "-"])
    print_results("bench_describe.py", "Describe: embeddings, captions, clustering",
                  f"device {device}; {machine()}; {versions}; random weights of the real architectures, synthetic "
                  "images; BLIP captions forced to their full length by a -1e4 [SEP] bias; clustering target < 60 s "
                  f"for 200,000 embeddings on the 2-core CPU machine; {'; '.join(notes)}", table)

if __name__ == "__main__":
    main()
