"""The attribution token tagger at run time: MiniLM with a B/I/O head per role, int8 ONNX, no torch.

Trained by `python -m training.attribution.tagger` (fine-tuned all-MiniLM-L6-v2); weights in
`sourcetrace/data/models/attribution/tagger.onnx`. Its per-token probabilities are features of the linear
ranker (`learned.py`): the tagger recognises attributions well but cuts spans badly, the
parse candidates have clean edges; the ranker combines both.

    tagger = AttributionTagger()
    probabilities = tagger.token_probabilities([doc])[0]   # (len(doc), 3 roles, 3 labels O/B/I)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sourcetrace._ml.onnx import onnx_session, wordpiece_tokenizer

TAGGER_FILE = "tagger.onnx"
LABELS_PER_ROLE = 3  # O, B, I
ROLE_COUNT = 3  # source, cue, content (sourcetrace.datasets.polnear.ROLES)
WINDOW = 254  # word pieces per window, [CLS] and [SEP] make 256 (MiniLM's trained length)
# Windows side by side (the last one ends at the text's end, overlapping its neighbour, and a piece in both is
# read from the window where it is more central): on held-out PolNeAR train articles, windows half a window
# apart scored the same exact F1 at twice the encoder time.
WINDOW_STEP = WINDOW


def load_tokenizer() -> Any:
    """The uncased WordPiece tokenizer of MiniLM, with character offsets (no truncation: windows are cut here)."""
    return wordpiece_tokenizer()


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


class AttributionTagger:
    """Per-token B/I/O probabilities for source, cue and content over a spaCy doc."""

    def __init__(self, model_path: Path, threads: int | None = None) -> None:
        self.tokenizer = load_tokenizer()
        self.session = onnx_session(model_path, threads)
        self.cls_id = self.tokenizer.token_to_id("[CLS]")
        self.sep_id = self.tokenizer.token_to_id("[SEP]")

    def piece_probabilities(self, texts: Sequence[str]) -> list[tuple[np.ndarray, list[tuple[int, int]]]]:
        """Per text: (pieces, roles, labels) probabilities and the pieces' character offsets."""
        encodings = self.tokenizer.encode_batch(list(texts), add_special_tokens=False)
        jobs: list[tuple[int, int, int]] = []  # (text, start, end)
        for t, encoding in enumerate(encodings):
            n = len(encoding.ids)
            step = WINDOW_STEP
            starts = list(range(0, max(n - WINDOW, 0) + 1, step))
            if starts[-1] + WINDOW < n:
                starts.append(n - WINDOW)
            jobs.extend((t, start, min(n, start + WINDOW)) for start in starts)
        outputs = [np.zeros((len(e.ids), ROLE_COUNT, LABELS_PER_ROLE), dtype=np.float32) for e in encodings]
        best_margin = [np.full(len(e.ids), -1, dtype=np.int64) for e in encodings]
        # One window per call, unpadded: the model quantizes its activations with one scale over the whole input
        # tensor (DynamicQuantizeLinear), so a window batched with others would get numbers that depend on them.
        for t, start, end in jobs:
            ids = np.array([[self.cls_id, *encodings[t].ids[start:end], self.sep_id]], dtype=np.int64)
            (logits,) = self.session.run(["logits"], {"input_ids": ids, "attention_mask": np.ones_like(ids)})
            probabilities = _softmax(logits.reshape(ids.shape[1], ROLE_COUNT, LABELS_PER_ROLE))
            positions = np.arange(start, end)
            margin = np.minimum(positions - start, end - 1 - positions)
            better = margin > best_margin[t][start:end]
            best_margin[t][start:end][better] = margin[better]
            outputs[t][start:end][better] = probabilities[1 : end - start + 1][better]
        return [(outputs[t], encodings[t].offsets) for t in range(len(encodings))]

    def token_probabilities(self, docs: Sequence[Any]) -> list[np.ndarray]:
        """Per doc: (tokens, roles, labels); a token reads its first word piece (spaces read O)."""
        result = []
        for doc, (pieces, offsets) in zip(docs, self.piece_probabilities([doc.text for doc in docs])):
            by_token = np.zeros((len(doc), ROLE_COUNT, LABELS_PER_ROLE), dtype=np.float32)
            by_token[:, :, 0] = 1.0
            starts = np.array([s for s, _ in offsets], dtype=np.int64)
            for token in doc:
                if token.is_space:
                    continue
                p = int(np.searchsorted(starts, token.idx))
                if p < len(starts) and starts[p] < token.idx + len(token.text):
                    by_token[token.i] = pieces[p]
            result.append(by_token)
        return result
