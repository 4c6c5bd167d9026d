"""Tiny random-weight *describe* models (CLIP, BLIP captioner, WD14 tagger) in their real formats.

Companion to :mod:`tests.tiny_models`: tests use these so that open_clip, transformers and
onnxruntime run their own loading and inference code, with no network and no real weights.
Every builder is deterministic (seed 0, taken inside ``torch.random.fork_rng`` so the caller's
RNG state is left alone) and takes well under 5 s on two CPU cores.

* :func:`hf_cache_repo` places files into the Hugging Face hub cache layout under
  ``$HF_HOME/hub`` (``blobs/<sha256>``, ``snapshots/<commit>/<file>`` relative symlinks,
  ``refs/main``), so ``hf_hub_download`` / ``from_pretrained`` find them offline
  (``HF_HUB_OFFLINE=1`` or ``local_files_only=True``).
* :func:`open_clip_tiny` writes an open_clip model config ``celvault-tiny-clip.json`` (model
  name = file stem) and a plain ``torch.save`` state dict ``celvault-tiny-clip.pt``; register the
  config with ``open_clip.add_model_config(path)`` and pass the checkpoint as ``pretrained``.
  The tokenizer is open_clip's bundled BPE ``SimpleTokenizer`` (no download).
* :func:`blip_tiny` writes a transformers ``BlipForConditionalGeneration`` (safetensors) plus a
  ``BlipProcessor`` (BERT WordPiece tokenizer over a ~60-word vocabulary, 64x64 images) into
  the HF cache as ``celvault-test/tiny-blip``. Greedy ``generate`` gives lowercase captions made
  of vocabulary words only.
* :func:`wd14_tiny` writes a WD14-style tagger (like ``SmilingWolf/wd-swinv2-tagger-v3``):
  ``model.onnx`` (input ``input`` NHWC float32 ``[batch, S, S, 3]`` BGR 0..255, output
  ``output`` ``[batch, n_tags]`` sigmoid probabilities) and ``selected_tags.csv``, into the HF
  cache as ``celvault-test/tiny-wd14``. Its biases force fixed tags above / below 0.5 for any
  input, see :data:`WD14_ALWAYS_HIGH` and :data:`WD14_ALWAYS_LOW`.
"""

from __future__ import annotations

import csv
import json
import tempfile
import warnings
from pathlib import Path

import torch
from torch import nn

from .tiny_models import hf_cache_commit, hf_cache_repo  # noqa: F401 (re-exported for tests)

__all__ = [
    "hf_cache_repo",
    "hf_cache_commit",
    "open_clip_tiny",
    "OPEN_CLIP_TINY_NAME",
    "OPEN_CLIP_TINY_EMBED_DIM",
    "blip_tiny",
    "BLIP_TINY_REPO",
    "BLIP_TINY_WORDS",
    "BLIP_TINY_IMAGE_SIZE",
    "wd14_tiny",
    "WD14_TINY_REPO",
    "WD14_RATING_TAGS",
    "WD14_GENERAL_TAGS",
    "WD14_CHARACTER_TAGS",
    "WD14_TOP_RATING",
    "WD14_ALWAYS_HIGH",
    "WD14_ALWAYS_LOW",
    "WD14_HIGH_GENERAL",
    "WD14_LOW_GENERAL",
    "WD14_HIGH_CHARACTERS",
    "WD14_LOW_CHARACTERS",
]


# --------------------------------------------------------------------------------------------
# Hugging Face hub cache layout
# --------------------------------------------------------------------------------------------

def _folder_files(folder: Path) -> dict[str, Path]:
    """Every file under ``folder`` keyed by its POSIX path relative to ``folder``."""
    folder = Path(folder)
    return {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*")) if p.is_file()}


# --------------------------------------------------------------------------------------------
# open_clip
# --------------------------------------------------------------------------------------------

OPEN_CLIP_TINY_NAME = "celvault-tiny-clip"
OPEN_CLIP_TINY_EMBED_DIM = 32

# open_clip's model-config format (compare model_configs/ViT-B-32.json). Vision heads are not
# given: open_clip derives them as width // head_width (head_width defaults to 64), so 1 head.
_OPEN_CLIP_TINY_CFG = {
    "embed_dim": OPEN_CLIP_TINY_EMBED_DIM,
    "vision_cfg": {"image_size": 64, "layers": 2, "width": 64, "patch_size": 16},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 2},
}


def open_clip_tiny(folder: Path) -> tuple[str, Path, Path]:
    """Write a tiny open_clip CLIP (config JSON + random-weight checkpoint) into ``folder``.

    ``folder/celvault-tiny-clip.json``: a model config in open_clip's format, so the model name is
    the stem ``celvault-tiny-clip``: embed_dim 32, ViT 64x64 / patch 16 / width 64 / 2 layers,
    text transformer width 32 / 2 heads / 2 layers over the standard 49408-token BPE vocabulary
    (context 77). ``folder/celvault-tiny-clip.pt``: ``torch.save(model.state_dict())``.

    The config is registered in this process with ``open_clip.add_model_config`` (a process-wide
    registry; other processes must call it themselves). Use it as a user would::

        open_clip.add_model_config(config_json)
        model, _, preprocess = open_clip.create_model_and_transforms(name, pretrained=str(ckpt))
        tokenizer = open_clip.get_tokenizer(name)

    Returns ``(model_name, config_json_path, checkpoint_path)``.
    """
    import open_clip

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / f"{OPEN_CLIP_TINY_NAME}.json"
    config.write_text(json.dumps(_OPEN_CLIP_TINY_CFG, indent=4) + "\n")
    open_clip.add_model_config(config)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = open_clip.create_model(OPEN_CLIP_TINY_NAME, pretrained=None, device="cpu")
    checkpoint = folder / f"{OPEN_CLIP_TINY_NAME}.pt"
    torch.save(model.state_dict(), checkpoint)
    return OPEN_CLIP_TINY_NAME, config, checkpoint


# --------------------------------------------------------------------------------------------
# BLIP captioner (transformers)
# --------------------------------------------------------------------------------------------

BLIP_TINY_REPO = "celvault-test/tiny-blip"
BLIP_TINY_IMAGE_SIZE = 64
# Plain lowercase words (no "##" pieces): every caption decodes to a sequence of these.
BLIP_TINY_WORDS = (
    "a", "an", "the", "girl", "boy", "woman", "man", "cat", "dog", "sky", "street", "room",
    "tree", "flower", "city", "night", "day", "sun", "moon", "cloud", "water", "sea", "river",
    "school", "uniform", "dress", "shirt", "hat", "sword", "book", "window", "car", "train",
    "standing", "sitting", "walking", "running", "smiling", "holding", "looking", "with", "in",
    "on", "at", "of", "and", "near", "under", "blue", "red", "green", "black", "white", "pink",
    "long", "short", "hair", "eyes", "anime", "picture", "drawing",
)
# BERT's special tokens, in their usual order at the head of the vocabulary.
_BERT_SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")


def blip_tiny(hf_home: Path, repo_id: str = BLIP_TINY_REPO) -> Path:
    """A tiny ``BlipForConditionalGeneration`` + ``BlipProcessor`` in the HF cache as ``repo_id``.

    Mirrors ``Salesforce/blip-image-captioning-base`` at toy size. Vision: 64x64 images, patch 16,
    hidden 32, 2 layers, 2 heads, intermediate 64. Text decoder: hidden 32, 2 layers, 2 heads,
    max_position_embeddings 64, over a WordPiece ``vocab.txt`` of BERT's specials
    (``[PAD]``=0 ``[UNK]`` ``[CLS]`` ``[SEP]``=3 ``[MASK]``) plus :data:`BLIP_TINY_WORDS`; as in the
    real repo the tokenizer adds ``[DEC]`` (its ``bos_token``, right after the vocabulary) and
    ``[ENC]``, and ``vocab_size`` counts them. Token ids follow the real config's roles:
    ``bos_token_id`` = ``[DEC]`` (``generate`` starts every caption with it), ``sep_token_id`` =
    ``[SEP]`` (``generate`` stops on it), ``pad_token_id`` = ``[PAD]``; ``eos_token_id`` is set to
    ``[SEP]`` too (the real config's 2 is only a placeholder that ``generate`` drops).

    Random weights, except that the LM-head bias of the specials other than ``[SEP]`` is -10, so
    greedy captions are made only of :data:`BLIP_TINY_WORDS` (possibly empty when ``[SEP]`` comes
    first) and end at ``[SEP]`` or ``max_new_tokens``. Initializer ranges are 0.02 for the vision
    tower (not BLIP's 1e-10) and 0.1 for the text decoder (not 0.02), so that captions depend on
    the image (e.g. a noise image and a plain blue one get different captions).

    Files, laid out like the hub repo: ``config.json``, ``generation_config.json``,
    ``model.safetensors`` (model ``save_pretrained``), ``preprocessor_config.json`` (image
    processor ``save_pretrained``), ``tokenizer.json``, ``tokenizer_config.json`` (tokenizer
    ``save_pretrained``) and the source ``vocab.txt``; both preprocessing files name
    ``"processor_class": "BlipProcessor"`` as the hub's do. There is deliberately no
    ``processor_config.json`` (what ``BlipProcessor.save_pretrained`` writes in transformers 5,
    instead of ``preprocessor_config.json``), so loading goes through the older layout that
    the real ``Salesforce/blip-image-captioning-*`` repos have. Load with
    ``from_pretrained(repo_id, cache_dir=hf_home / "hub", local_files_only=True)`` (or
    ``HF_HOME=hf_home`` + ``HF_HUB_OFFLINE=1``). Returns the snapshot directory.
    """
    from transformers import (
        BertTokenizer,
        BlipConfig,
        BlipForConditionalGeneration,
        BlipImageProcessor,
        BlipProcessor,
    )

    vocab = list(_BERT_SPECIALS) + list(BLIP_TINY_WORDS)
    with tempfile.TemporaryDirectory(prefix="tiny-blip-") as tmp:
        out = Path(tmp)
        vocab_file = out / "vocab.txt"
        vocab_file.write_text("\n".join(vocab) + "\n", encoding="utf-8")
        tokenizer = BertTokenizer(vocab=str(vocab_file), do_lower_case=True, bos_token="[DEC]",
                                  extra_special_tokens=["[ENC]"], model_max_length=512)
        image_processor = BlipImageProcessor(
            size={"height": BLIP_TINY_IMAGE_SIZE, "width": BLIP_TINY_IMAGE_SIZE})
        processor = BlipProcessor(image_processor=image_processor, tokenizer=tokenizer)

        sep_id = tokenizer.sep_token_id
        config = BlipConfig(
            vision_config={
                "image_size": BLIP_TINY_IMAGE_SIZE, "patch_size": 16, "hidden_size": 32,
                "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 64,
                "projection_dim": 32, "initializer_range": 0.02,
            },
            text_config={
                "vocab_size": len(tokenizer), "hidden_size": 32, "num_hidden_layers": 2,
                "num_attention_heads": 2, "intermediate_size": 64, "projection_dim": 32,
                "max_position_embeddings": 64, "bos_token_id": tokenizer.bos_token_id,
                "sep_token_id": sep_id, "pad_token_id": tokenizer.pad_token_id,
                "eos_token_id": sep_id, "initializer_range": 0.1,
            },
            projection_dim=32,
            image_text_hidden_size=32,
        )
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            model = BlipForConditionalGeneration(config).eval()
        with torch.no_grad():
            bias = model.text_decoder.cls.predictions.bias
            for token_id in tokenizer.all_special_ids:
                if token_id != sep_id:
                    bias[token_id] = -10.0
        model.save_pretrained(out, safe_serialization=True)
        # The hub repo's layout, not processor.save_pretrained's: transformers 5 would write one
        # processor_config.json (image processor nested inside) and no preprocessor_config.json.
        processor.image_processor.save_pretrained(out)
        processor.tokenizer.save_pretrained(out)
        for name in ("preprocessor_config.json", "tokenizer_config.json"):
            settings = json.loads((out / name).read_text(encoding="utf-8"))
            settings["processor_class"] = "BlipProcessor"  # as in the hub repo's files
            (out / name).write_text(json.dumps(settings, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        return hf_cache_repo(hf_home, repo_id, _folder_files(out))


# --------------------------------------------------------------------------------------------
# WD14 tagger (onnx + selected_tags.csv)
# --------------------------------------------------------------------------------------------

WD14_TINY_REPO = "celvault-test/tiny-wd14"
# (name, count) per category, in the csv's (= the output's) order: ratings, general, characters.
WD14_RATING_TAGS = ("general", "sensitive", "questionable", "explicit")
WD14_GENERAL_TAGS = (
    "1girl", "1boy", "solo", "multiple_girls", "long_hair", "short_hair",
    "blue_hair", "red_hair", "smile", "crying", "outdoors", "indoors", "sky", "night",
)
WD14_CHARACTER_TAGS = ("aoi_(celvault)", "kenta_(celvault)", "mirai_(celvault)")
# Forced outcomes (any input): logit bias +4 / -4 and |rest of the logit| < 0.8, so "high" tags
# score > 0.96 and "low" tags < 0.04. General tags alternate high/low in csv order; the first
# character is high; rating "general" is high and the other ratings low.
WD14_TOP_RATING = "general"
WD14_HIGH_GENERAL = WD14_GENERAL_TAGS[0::2]  # 1girl solo long_hair blue_hair smile outdoors sky
WD14_LOW_GENERAL = WD14_GENERAL_TAGS[1::2]  # 1boy multiple_girls short_hair red_hair crying indoors night
WD14_HIGH_CHARACTERS = WD14_CHARACTER_TAGS[:1]  # aoi_(celvault)
WD14_LOW_CHARACTERS = WD14_CHARACTER_TAGS[1:]  # kenta_(celvault) mirai_(celvault)
#: general + character tags always above 0.96 (ratings excluded: see WD14_TOP_RATING)
WD14_ALWAYS_HIGH = WD14_HIGH_GENERAL + WD14_HIGH_CHARACTERS
#: general + character tags always below 0.04 (ratings excluded)
WD14_ALWAYS_LOW = WD14_LOW_GENERAL + WD14_LOW_CHARACTERS

_WD14_CATEGORY = {"rating": 9, "general": 0, "character": 4}
_WD14_BIAS = 4.0
_WD14_WEIGHT = 0.1  # linear weights in [-0.1, 0.1] over 8 features in [0, 1): |w.x| < 0.8


def _wd14_rows() -> list[tuple[str, int, bool]]:
    """(name, category, forced_high) per output, in order."""
    rows = [(n, _WD14_CATEGORY["rating"], n == WD14_TOP_RATING) for n in WD14_RATING_TAGS]
    rows += [(n, _WD14_CATEGORY["general"], n in WD14_HIGH_GENERAL) for n in WD14_GENERAL_TAGS]
    rows += [(n, _WD14_CATEGORY["character"], n in WD14_HIGH_CHARACTERS) for n in WD14_CHARACTER_TAGS]
    return rows


class _TinyTagger(nn.Module):
    """NHWC BGR 0..255 -> NCHW /255 -> conv -> relu -> global mean -> tanh -> linear -> sigmoid."""

    def __init__(self, n_tags: int):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.head = nn.Linear(8, n_tags)

    def forward(self, x):
        x = x.permute(0, 3, 1, 2) / 255.0
        feat = torch.tanh(torch.relu(self.conv(x)).mean(dim=(2, 3)))  # in [0, 1)
        return torch.sigmoid(self.head(feat))


def wd14_tiny(hf_home: Path, repo_id: str = WD14_TINY_REPO,
              size: int = 64) -> tuple[Path, list[tuple[str, int]]]:
    """A tiny WD14-style tagger (``model.onnx`` + ``selected_tags.csv``) in the HF cache as ``repo_id``.

    ``model.onnx``: one input ``input``, float32 NHWC ``[batch, size, size, 3]`` (batch symbolic,
    ``batch``; spatial dims fixed ints, so a backend can read the input size off the model), BGR
    values 0..255 as the real taggers take them; one output ``output``, ``[batch, n_tags]``
    sigmoid probabilities in ``selected_tags.csv`` order. Opset 17, legacy (TorchScript)
    exporter. ``selected_tags.csv``: header ``tag_id,name,category,count``; 4 ratings
    (category 9), then :data:`WD14_GENERAL_TAGS` (category 0), then :data:`WD14_CHARACTER_TAGS`
    (category 4), with made-up ids and descending counts.

    Deterministic outcome for any input: :data:`WD14_ALWAYS_HIGH` score > 0.96,
    :data:`WD14_ALWAYS_LOW` < 0.04, rating :data:`WD14_TOP_RATING` > 0.96 and the other ratings
    < 0.04. Scores still vary a little with the image.

    Returns ``(snapshot_dir, [(name, category), ...])`` in output order.
    """
    import onnx

    rows = _wd14_rows()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = _TinyTagger(len(rows)).eval()
        with torch.no_grad():
            model.head.weight.uniform_(-_WD14_WEIGHT, _WD14_WEIGHT)
            model.head.bias.copy_(torch.tensor([_WD14_BIAS if high else -_WD14_BIAS
                                                for _, _, high in rows]))
        dummy = torch.rand(1, size, size, 3) * 255.0
    with tempfile.TemporaryDirectory(prefix="tiny-wd14-") as tmp:
        out = Path(tmp)
        onnx_path = out / "model.onnx"
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # the legacy exporter announces itself
            torch.onnx.export(model, (dummy,), str(onnx_path), input_names=["input"],
                              output_names=["output"],
                              dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
                              opset_version=17, do_constant_folding=True, dynamo=False)
        onnx.checker.check_model(str(onnx_path))
        csv_path = out / "selected_tags.csv"
        with open(csv_path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(["tag_id", "name", "category", "count"])
            for i, (name, category, _) in enumerate(rows):
                writer.writerow([9999990 + i if category == 9 else 1000 + 37 * i, name, category,
                                 900000 - 5000 * i])
        snapshot = hf_cache_repo(hf_home, repo_id, {"model.onnx": onnx_path,
                                                    "selected_tags.csv": csv_path})
    return snapshot, [(name, category) for name, category, _ in rows]
