"""A tiny random-weight CLIPSeg (transformers `CLIPSegForImageSegmentation` + `CLIPSegProcessor`)
in the Hugging Face cache layout, as ``celvault-test/tiny-clipseg``: what the `clipseg`
effect finder loads with ``from_pretrained(..., local_files_only=True)`` in tests.

Vision: 64x64 images, patch 16, hidden 32, 3 layers; text: hidden 32, 3 layers, a byte-level
BPE vocabulary of single characters (no merges, any text tokenises); decoder: reduce_dim 16,
extract_layers (0, 1, 2). Deterministic (seed 0 inside ``torch.random.fork_rng``)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import torch

from .tiny_models import hf_cache_repo

CLIPSEG_TINY_REPO = "celvault-test/tiny-clipseg"
CLIPSEG_TINY_IMAGE_SIZE = 64


def _bytes_to_unicode() -> list[str]:
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [chr(c) for c in cs]


def clipseg_tiny(hf_home: Path, repo_id: str = CLIPSEG_TINY_REPO) -> Path:
    """Write the tiny CLIPSeg into ``hf_home``'s hub cache; returns the snapshot directory."""
    from transformers import (CLIPSegConfig, CLIPSegForImageSegmentation, CLIPSegProcessor, CLIPTokenizer,
                              ViTImageProcessor)

    chars = _bytes_to_unicode()
    vocab = {t: i for i, t in enumerate(chars + [c + "</w>" for c in chars] + ["<|startoftext|>", "<|endoftext|>"])}
    with tempfile.TemporaryDirectory(prefix="tiny-clipseg-") as tmp:
        out = Path(tmp)
        (out / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
        (out / "merges.txt").write_text("#version: 0.2\n", encoding="utf-8")
        tokenizer = CLIPTokenizer(str(out / "vocab.json"), str(out / "merges.txt"), model_max_length=77)
        size = CLIPSEG_TINY_IMAGE_SIZE
        # as the real repo: a ViT image processor resizing to a square (352 there)
        images = ViTImageProcessor(size={"height": size, "width": size}, image_mean=[0.485, 0.456, 0.406],
                                   image_std=[0.229, 0.224, 0.225])
        processor = CLIPSegProcessor(image_processor=images, tokenizer=tokenizer)
        config = CLIPSegConfig(
            text_config={"vocab_size": len(vocab), "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 3,
                         "num_attention_heads": 2, "max_position_embeddings": 77,
                         "bos_token_id": vocab["<|startoftext|>"], "eos_token_id": vocab["<|endoftext|>"],
                         "pad_token_id": vocab["<|endoftext|>"]},
            vision_config={"image_size": size, "patch_size": 16, "hidden_size": 32, "intermediate_size": 64,
                           "num_hidden_layers": 3, "num_attention_heads": 2},
            projection_dim=32, extract_layers=[0, 1, 2], reduce_dim=16, decoder_num_attention_heads=2,
            decoder_intermediate_size=32)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            model = CLIPSegForImageSegmentation(config).eval()
        model.save_pretrained(out, safe_serialization=True)
        processor.save_pretrained(out)
        files = {p.relative_to(out).as_posix(): p for p in sorted(out.rglob("*")) if p.is_file()}
        return hf_cache_repo(hf_home, repo_id, files)
