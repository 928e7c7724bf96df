"""ONNX Runtime sessions (every ONNX model of the package goes through `onnx_session`) and MiniLM's WordPiece
tokenizer, shared by the MiniLM models."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sourcetrace._ml.weights import MODELS_DIR

VOCAB_PATH = MODELS_DIR / "minilm" / "vocab.txt"


def onnx_session(model_path: str | Path | bytes, threads: int | None = None) -> Any:
    """A CPU onnxruntime session with few threads (SOURCETRACE_EMBED_THREADS, default 2).

    `model_path` is a file, or a serialized ONNX model (bytes) built in memory.

    The machines this runs on are shared, and corpus workers set one thread each: every ONNX model in the
    package goes through here so that setting holds for all of them.
    """
    import onnxruntime  # lazy: a second of import time that `import sourcetrace` does not need

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads or int(os.environ.get("SOURCETRACE_EMBED_THREADS", "2"))
    options.inter_op_num_threads = 1
    model = model_path if isinstance(model_path, bytes) else str(model_path)
    return onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])

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
