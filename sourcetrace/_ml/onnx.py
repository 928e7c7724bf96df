"""ONNX Runtime sessions (every ONNX model of the package goes through `onnx_session`) and MiniLM's WordPiece
tokenizer, shared by the MiniLM models."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sourcetrace._ml.weights import MODELS_DIR
from sourcetrace.errors import ConfigurationError

VOCAB_PATH = MODELS_DIR / "minilm" / "vocab.txt"
# where the models run: cpu (the default) or cuda (the `gpu` extra: onnxruntime-gpu and an NVIDIA GPU)
DEVICE_VARIABLE = "SOURCETRACE_DEVICE"
DEVICES = ("cpu", "cuda")
THREADS_VARIABLE = "SOURCETRACE_EMBED_THREADS"


def device() -> str:
    """The device every ONNX session of this process uses (SOURCETRACE_DEVICE; `--device` sets it)."""
    chosen = os.environ.get(DEVICE_VARIABLE, "cpu").strip().lower() or "cpu"
    if chosen not in DEVICES:
        raise ConfigurationError(f"{DEVICE_VARIABLE}={chosen!r}: the device is one of {', '.join(DEVICES)}")
    return chosen


def use_device(name: str) -> None:
    """Run this process's ONNX sessions, those not yet made, on `name` (cpu or cuda): checked now, in one line."""
    if name not in DEVICES:
        raise ConfigurationError(f"--device {name!r}: the device is one of {', '.join(DEVICES)}")
    os.environ[DEVICE_VARIABLE] = name
    try:
        execution_providers()
    except ConfigurationError:
        os.environ[DEVICE_VARIABLE] = "cpu"
        raise


def execution_providers() -> list[str]:
    """onnxruntime's providers for the device: the CUDA one first on cuda (CPU for what it does not run)."""
    if device() == "cpu":
        return ["CPUExecutionProvider"]
    import onnxruntime

    available = onnxruntime.get_available_providers()
    if "CUDAExecutionProvider" not in available:
        raise ConfigurationError(
            "--device cuda needs onnxruntime's CUDA provider, which this onnxruntime lacks (it has "
            f"{', '.join(available)}): pip uninstall -y onnxruntime, then install the gpu extra (onnxruntime-gpu)")
    return ["CUDAExecutionProvider", "CPUExecutionProvider"]


def onnx_session(model_path: str | Path | bytes, threads: int | None = None) -> Any:
    """An onnxruntime session with few threads (SOURCETRACE_EMBED_THREADS, default 2), on `device()`.

    `model_path` is a file, or a serialized ONNX model (bytes) built in memory.

    The machines this runs on are shared, and corpus and web workers set their share of the cores each: every
    ONNX model in the package goes through here so that setting holds for all of them. Threads waiting for
    work sleep instead of spinning, so that sessions of several workers or models do not take turns burning
    the cores the others need. Memory is taken from the system per call, not from a growing arena.
    """
    import onnxruntime  # lazy: a second of import time that `import sourcetrace` does not need

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads or int(os.environ.get(THREADS_VARIABLE, "2"))
    options.inter_op_num_threads = 1
    # Every call has its own input shape (one window or sentence, unpadded): an arena keeps the largest block of
    # each size it ever served, and grew a worker by hundreds of megabytes over a corpus; plain malloc does not.
    options.enable_cpu_mem_arena = False
    if os.environ.get("SOURCETRACE_ONNX_SPINNING", "0") != "1":
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    model = model_path if isinstance(model_path, bytes) else str(model_path)
    return onnxruntime.InferenceSession(model, options, providers=execution_providers())

def wordpiece_tokenizer(max_tokens: int | None = None, vocab_path: Path = VOCAB_PATH) -> Any:
    """MiniLM's uncased WordPiece tokenizer (with character offsets), shared by every MiniLM model here.

    With `max_tokens`, batches are truncated (the longer text of a pair first) and padded with [PAD].
    """
    from tokenizers import BertWordPieceTokenizer

    tokenizer = BertWordPieceTokenizer(str(vocab_path), lowercase=True)
    if max_tokens is not None:
        tokenizer.enable_truncation(max_length=max_tokens)
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    return tokenizer
