"""Random-weight, full-size model files where celvault's loaders look for them, for
benchmarks/bench_throughput.py (nothing is downloaded; the hubs are not reachable).

* rembg models (isnet-anime, u2net, ...): the real architecture exported to ONNX at
  ``$REMBG_HOME/models/<name>/<name>.onnx`` (benchmarks/archs, as bench_layers.py does).
* big-lama: TorchScript at ``$LAMA_MODEL``.
* open_clip ViT-B-32: ``open_clip.create_model("ViT-B-32")`` without pretrained weights, its
  state dict saved to a file that ``stages.embed.open_clip.pretrained`` names.
* BLIP base: ``BlipForConditionalGeneration(BlipConfig())`` (the defaults are
  Salesforce/blip-image-captioning-base's sizes: ViT-B/16 at 384 px, a 12-layer BERT decoder,
  30524 tokens) with a ``BlipProcessor`` (a BERT WordPiece tokenizer over a made-up
  vocabulary of the real one's size and special-token ids), in the Hugging Face cache layout
  under ``$HF_HOME/hub`` as ``Salesforce/blip-image-captioning-base``.

Random weights cost what trained ones cost per call, except BLIP's ``generate``: a random
decoder rarely emits [SEP], so every caption runs to ``max_new_tokens`` (a trained model
usually stops after 10-15 tokens).
"""

from __future__ import annotations

import importlib.util
import json
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BLIP_REPO = "Salesforce/blip-image-captioning-base"


def _tiny_models():
    """tests/tiny_models.py (hf_cache_repo: the hub cache layout), loaded without the tests package."""
    spec = importlib.util.spec_from_file_location("tiny_models", ROOT / "tests" / "tiny_models.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rembg_model(rembg_home: Path, name: str) -> Path:
    from archs.export import export_rembg_onnx

    return export_rembg_onnx(name, Path(rembg_home) / "models" / name / f"{name}.onnx")


def lama_model(path: Path) -> Path:
    from archs.lama import lama_torchscript

    return lama_torchscript(Path(path))


def clip_checkpoint(folder: Path, model: str = "ViT-B-32") -> Path:
    import open_clip
    import torch

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        net = open_clip.create_model(model, pretrained=None, device="cpu")
    path = folder / f"{model}-random.pt"
    torch.save(net.state_dict(), path)
    return path


def _bert_vocab(size: int = 30522) -> list[str]:
    """BERT base uncased's layout: [PAD]=0, [unusedN], [UNK]=100, [CLS]=101, [SEP]=102,
    [MASK]=103, then made-up lowercase words up to the real vocabulary size."""
    vocab = ["[PAD]"] + [f"[unused{i}]" for i in range(99)] + ["[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    letters = "abcdefghijklmnopqrstuvwxyz"
    i = 0
    while len(vocab) < size:
        n, word = i, ""
        while True:
            word += letters[n % 26]
            n //= 26
            if not n:
                break
        vocab.append(word)
        i += 1
    return vocab


def blip_base(hf_home: Path, repo_id: str = BLIP_REPO) -> Path:
    """Full-size random BLIP captioner + processor in the HF cache as ``repo_id``; its snapshot dir."""
    import torch
    from transformers import BertTokenizer, BlipConfig, BlipForConditionalGeneration, BlipImageProcessor

    with tempfile.TemporaryDirectory(prefix="blip-base-random-") as tmp:
        out = Path(tmp)
        vocab_file = out / "vocab.txt"
        vocab_file.write_text("\n".join(_bert_vocab()) + "\n", encoding="utf-8")
        tokenizer = BertTokenizer(vocab=str(vocab_file), do_lower_case=True, bos_token="[DEC]",
                                  extra_special_tokens=["[ENC]"], model_max_length=512)
        image_processor = BlipImageProcessor(size={"height": 384, "width": 384})
        config = BlipConfig()  # blip-image-captioning-base's sizes
        config.text_config.bos_token_id = tokenizer.bos_token_id
        config.text_config.sep_token_id = tokenizer.sep_token_id
        config.text_config.pad_token_id = tokenizer.pad_token_id
        config.text_config.eos_token_id = tokenizer.sep_token_id
        assert len(tokenizer) == config.text_config.vocab_size, (len(tokenizer), config.text_config.vocab_size)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            model = BlipForConditionalGeneration(config).eval()
        model.save_pretrained(out, safe_serialization=True)
        image_processor.save_pretrained(out)
        tokenizer.save_pretrained(out)
        for name in ("preprocessor_config.json", "tokenizer_config.json"):  # as the hub repo's files say
            settings = json.loads((out / name).read_text(encoding="utf-8"))
            settings["processor_class"] = "BlipProcessor"
            (out / name).write_text(json.dumps(settings, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        files = {p.relative_to(out).as_posix(): p for p in sorted(out.rglob("*")) if p.is_file()}
        return _tiny_models().hf_cache_repo(Path(hf_home), repo_id, files)
