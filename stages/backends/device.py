"""Where models run: `auto` is CUDA when torch / onnxruntime can use it, else the CPU."""

from __future__ import annotations

from functools import lru_cache

from celvault.errors import ConfigError

DEVICES = ("auto", "cpu", "cuda")


@lru_cache(maxsize=1)
def cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def resolve(device: str) -> str:
    if device not in DEVICES:
        raise ConfigError(f"unknown device {device!r}; use one of {', '.join(DEVICES)}")
    if device == "auto":
        return "cuda" if cuda_available() else "cpu"
    if device == "cuda" and not cuda_available():
        raise ConfigError("--device cuda: no CUDA device is visible to torch on this machine")
    return device


def onnx_providers(device: str) -> list[str]:
    """onnxruntime providers for a resolved device (the GPU build also runs on the CPU)."""
    import onnxruntime as ort

    if device == "cuda" and "CUDAExecutionProvider" in ort.get_available_providers():
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    return ["CPUExecutionProvider"]


def onnx_session_options():
    """onnxruntime session options: at most this process's share of the cores when a worker
    process was given one (CELVAULT_THREADS, set by the pipelined executor)."""
    import os

    import onnxruntime as ort

    opts = ort.SessionOptions()
    threads = int(os.environ.get("CELVAULT_THREADS") or 0)
    if threads > 0:
        opts.intra_op_num_threads = threads
    return opts
