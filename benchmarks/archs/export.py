"""Export random-weight stand-ins for rembg's ONNX models.

``export_rembg_onnx("u2net", path)`` writes an ONNX file with the same
architecture, input name/shape convention and output order as the model rembg
would download: one input [1, 3, S, S] (S = 320 for u2net / u2netp, 1024 for
isnet-*), the main mask [1, 1, S, S] as the first output, the remaining side
outputs after it. Weights are random (seed 0) -- good for timing, useless for
masks.

The graphs avoid batch-size-dependent constants (upsampling uses Resize with
scales only), so ``make_batch_symbolic`` can later turn dim 0 into "N" and the
model runs with any batch size.

Run as a module to export all four to a temp dir and verify them:
    python -m benchmarks.archs.export [--time]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import torch

from .isnet import ISNet
from .u2net import U2Net, U2NetP, count_parameters

REMBG_MODELS = {
    "u2net": (U2Net, 320),
    "u2netp": (U2NetP, 320),
    "isnet-anime": (ISNet, 1024),
    "isnet-general-use": (ISNet, 1024),
}

INPUT_NAME = "input.1"  # same name as the upstream rembg files; rembg reads it from the session anyway


def build_rembg_model(model_name: str, seed: int = 0) -> tuple[torch.nn.Module, int]:
    """Random-weight network for a rembg model name, and its input side length."""
    try:
        cls, size = REMBG_MODELS[model_name]
    except KeyError:
        raise ValueError(f"unknown rembg model {model_name!r}; known: {sorted(REMBG_MODELS)}") from None
    torch.manual_seed(seed)
    return cls().eval(), size


def export_rembg_onnx(model_name: str, path: Path, dynamic_batch: bool = False) -> Path:
    """Export the architecture behind ``model_name`` with random weights to ``path``.

    Checks the file with onnxruntime (CPU): it must run and give [1, 1, S, S]
    as the first output.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    model, size = build_rembg_model(model_name)
    example = torch.rand(1, 3, size, size)
    with torch.no_grad():
        n_outputs = len(model(example))
    output_names = [f"d{i}" for i in range(n_outputs)]  # d0 = main mask
    dynamic_axes = None
    if dynamic_batch:
        dynamic_axes = {name: {0: "N"} for name in [INPUT_NAME, *output_names]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # legacy-exporter deprecation / tracer chatter
        torch.onnx.export(
            model, (example,), str(path),
            input_names=[INPUT_NAME], output_names=output_names,
            opset_version=17, dynamic_axes=dynamic_axes, do_constant_folding=True,
            dynamo=False,
        )
    outputs = _run_onnx(path, np.random.rand(1, 3, size, size).astype(np.float32))
    if outputs[0].shape != (1, 1, size, size):
        raise RuntimeError(f"{path}: first output has shape {outputs[0].shape}, want (1, 1, {size}, {size})")
    return path


def _run_onnx(path: Path, batch: np.ndarray) -> list[np.ndarray]:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: batch})


def _input_side(path: Path) -> int:
    import onnx

    dims = onnx.load(str(path), load_external_data=False).graph.input[0].type.tensor_type.shape.dim
    return dims[2].dim_value


def make_batch_symbolic(src: Path, dst: Path, dim_param: str = "N") -> Path:
    """Rewrite dim 0 of every graph input/output to ``dim_param`` and drop value_info,
    the way a batch-enabling tool would patch a downloaded rembg model."""
    import onnx

    model = onnx.load(str(src))
    for value in list(model.graph.input) + list(model.graph.output):
        dim = value.type.tensor_type.shape.dim[0]
        dim.ClearField("dim_value")
        dim.dim_param = dim_param
    del model.graph.value_info[:]
    onnx.save(model, str(dst))
    return Path(dst)


def check_symbolic_batch(path: Path, batch_size: int = 4) -> tuple[int, ...]:
    """Patch ``path`` to a symbolic batch and run it with ``batch_size``; return the
    first output's shape (raises if the graph had batch 1 baked in)."""
    path = Path(path)
    patched = make_batch_symbolic(path, path.with_name(path.stem + ".batchN.onnx"))
    size = _input_side(path)
    outputs = _run_onnx(patched, np.random.rand(batch_size, 3, size, size).astype(np.float32))
    shape = tuple(outputs[0].shape)
    if shape != (batch_size, 1, size, size):
        raise RuntimeError(f"{patched}: batch {batch_size} gave first output {shape}")
    return shape


def time_onnx(path: Path, iterations: int = 2, batch_size: int = 1) -> float:
    """Mean seconds per ``session.run`` on CPU after one warm-up call."""
    import onnxruntime as ort

    size = _input_side(path)
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    feed = {session.get_inputs()[0].name: np.random.rand(batch_size, 3, size, size).astype(np.float32)}
    session.run(None, feed)
    t0 = time.perf_counter()
    for _ in range(iterations):
        session.run(None, feed)
    return (time.perf_counter() - t0) / iterations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="directory for the .onnx files (default: a temp dir)")
    parser.add_argument("--time", action="store_true", help="time batch-1 CPU inference")
    parser.add_argument("--models", nargs="*", default=list(REMBG_MODELS))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        for name in args.models:
            model, size = build_rembg_model(name)
            t0 = time.perf_counter()
            path = export_rembg_onnx(name, out / f"{name}.onnx")
            line = (f"{name}: {count_parameters(model):,} params, {size}x{size}, "
                    f"{path.stat().st_size / 1e6:.1f} MB, exported+checked in {time.perf_counter() - t0:.1f} s; "
                    f"symbolic batch 4 -> {check_symbolic_batch(path)}")
            if args.time:
                line += f"; CPU batch 1: {time_onnx(path):.3f} s/call"
            print(line, flush=True)


if __name__ == "__main__":
    main()
