"""The fine-tuned span tagger of the techniques stage: MiniLM layers 4-6 with a span head, int8 ONNX, no torch.

The frozen encoder (`technique_encoder.py`) gives every word piece its layer-3 vector; the CNN tagger and the
technique classifier read those. This tagger runs the remaining three transformer layers of all-MiniLM-L6-v2,
fine-tuned on PTC spans (`python -m sourcetrace.train.technique_upper`), over the same vectors and gives each
piece the probability that it lies inside a propaganda span. The stage's cost stays one 6-layer pass.

Pieces are read in windows of whole sentences of at most `WINDOW` pieces (a longer sentence is cut), the same
windows at training and run time.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from sourcetrace.embeddings import onnx_session
from sourcetrace.extract.attribution_tagger import WINDOW
from sourcetrace.extract.technique_encoder import EncodedText


def sentence_windows(sentence: np.ndarray, limit: int = WINDOW) -> list[tuple[int, int]]:
    """[start, end) piece ranges of consecutive whole sentences, at most `limit` pieces each."""
    windows: list[tuple[int, int]] = []
    if len(sentence) == 0:
        return windows
    starts = np.flatnonzero(np.diff(sentence, prepend=sentence[0] - 1) != 0).tolist() + [len(sentence)]
    window_start = 0
    for begin, end in zip(starts, starts[1:]):
        if end - window_start > limit and begin > window_start:
            windows.append((window_start, begin))
            window_start = begin
        while end - window_start > limit:  # a sentence longer than a window is cut
            windows.append((window_start, window_start + limit))
            window_start += limit
    windows.append((window_start, len(sentence)))
    return windows


def batched_windows(vectors: np.ndarray, windows: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """(hidden, attention_mask) of the windows, padded to the longest."""
    width = max(end - start for start, end in windows)
    hidden = np.zeros((len(windows), width, vectors.shape[1]), dtype=np.float32)
    mask = np.zeros((len(windows), width), dtype=np.int64)
    for row, (start, end) in enumerate(windows):
        hidden[row, : end - start] = vectors[start:end]
        mask[row, : end - start] = 1
    return hidden, mask


def window_probabilities(encoded: EncodedText, logits_of: Callable[[np.ndarray, np.ndarray], np.ndarray],
                         batch_size: int | None = None) -> np.ndarray:
    """P(inside a span) per word piece from a span head's logits over `sentence_windows`, `batch_size` windows
    at a time (all at once when None): the stage's ONNX tagger and the training's torch model read the same."""
    probabilities = np.zeros(len(encoded.vectors), dtype=np.float32)
    windows = sentence_windows(encoded.sentence)
    step = batch_size or max(len(windows), 1)
    for first in range(0, len(windows), step):
        batch = windows[first : first + step]
        hidden, mask = batched_windows(encoded.vectors, batch)
        logits = logits_of(hidden, mask)
        for row, (start, end) in enumerate(batch):
            probabilities[start:end] = 1 / (1 + np.exp(-logits[row, : end - start]))
    return probabilities


def mix_with_cnn(cnn: np.ndarray, upper: np.ndarray, weight: float) -> np.ndarray:
    """The two taggers' piece probabilities mixed by meta `upper_weight`, at run time and in training."""
    return weight * upper + (1 - weight) * cnn


class UpperTagger:
    """Per-piece span probabilities from the fine-tuned upper layers. Load once (it holds an ONNX session)."""

    def __init__(self, model_path: Path, threads: int | None = None, batch_size: int = 8) -> None:
        self.session = onnx_session(model_path, threads)
        self.batch_size = batch_size

    def piece_probabilities(self, encoded: EncodedText) -> np.ndarray:
        def logits(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
            return self.session.run(["logits"], {"hidden": hidden, "attention_mask": mask})[0]

        return window_probabilities(encoded, logits, self.batch_size)
