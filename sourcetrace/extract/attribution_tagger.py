"""The attribution span tagger shared by training and inference: windows, labels, constrained decoding.

The model is a MiniLM-L6 encoder (all-MiniLM-L6-v2 weights) with one B/I/O head per role (source, cue,
content): 9 logits per word piece. An article is cut into windows of at most `MAX_PIECES` word pieces,
preferably at paragraph or sentence ends, so training and inference see the same context. At run time the
exported int8 ONNX graph runs under onnxruntime with the `tokenizers` tokenizer: no torch.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROLES = ("source", "cue", "content")
O, B, I = 0, 1, 2  # noqa: E741 - the BIO names
MAX_PIECES = 254  # plus [CLS] and [SEP]: 256
CLS_ID, SEP_ID, PAD_ID = 101, 102, 0
MODEL_DIR = Path(__file__).resolve().parents[1] / "data" / "models" / "attribution"


def load_tokenizer(path: Path):  # noqa: ANN201 - tokenizers.Tokenizer
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


@dataclass
class Pieces:
    ids: np.ndarray  # [n] word piece ids
    offsets: np.ndarray  # [n, 2] character offsets into the text
    word_start: np.ndarray  # [n] True where a piece starts a word (not a ## continuation)


def encode(tokenizer, text: str) -> Pieces:  # noqa: ANN001
    encoding = tokenizer.encode(text, add_special_tokens=False)
    ids = np.array(encoding.ids, dtype=np.int64)
    offsets = np.array(encoding.offsets, dtype=np.int64).reshape(-1, 2)
    word_start = np.array([not token.startswith("##") for token in encoding.tokens], dtype=bool)
    return Pieces(ids, offsets, word_start)


def windows(pieces: Pieces, text: str, max_pieces: int = MAX_PIECES) -> list[tuple[int, int]]:
    """[start, end) piece ranges covering the article, cut at a paragraph end, else a sentence end, else a word."""
    n = len(pieces.ids)
    result = []
    start = 0
    while start < n:
        end = min(start + max_pieces, n)
        if end < n:
            end = _best_cut(pieces, text, start, end)
        result.append((start, end))
        start = end
    return result


def _best_cut(pieces: Pieces, text: str, start: int, end: int) -> int:
    low = start + (end - start) // 2
    offsets = pieces.offsets
    for test in (lambda gap, tok: "\n" in gap, lambda gap, tok: tok in ".?!\"”’" and gap.strip() == "" and gap != ""):
        for cut in range(end, low, -1):
            gap = text[offsets[cut - 1][1] : offsets[cut][0]]
            if test(gap, text[offsets[cut - 1][0] : offsets[cut - 1][1]]):
                return cut
    for cut in range(end, low, -1):
        if pieces.word_start[cut]:
            return cut
    return end


def piece_labels(pieces: Pieces, text: str, spans_by_role: dict[str, list[list[tuple[int, int]]]]) -> np.ndarray:
    """[n, 3] BIO labels. `spans_by_role[role]` lists annotations, each a list of fragments.

    A later fragment of the same annotation continues it (I) when only spaces and punctuation separate them,
    so a content cut by a line break stays one span; otherwise it starts anew (B).
    """
    n = len(pieces.ids)
    labels = np.zeros((n, len(ROLES)), dtype=np.int64)
    starts, ends = pieces.offsets[:, 0], pieces.offsets[:, 1]
    for r, role in enumerate(ROLES):
        for fragments in spans_by_role.get(role, []):
            previous_end = None
            for s, e in fragments:
                s, e = trim(text, s, e)
                if e <= s:
                    continue
                inside = np.nonzero((starts >= s) & (ends <= e) & (ends > starts))[0]
                if len(inside) == 0:
                    continue
                joined = previous_end is not None and not any(ch.isalnum() for ch in text[previous_end:s])
                labels[inside, r] = I
                if not joined or labels[inside[0], r] == O:
                    labels[inside[0], r] = B
                previous_end = e
    return labels


_EDGE = " \t\r\n\u00a0.,;:!?\"'“”‘’«»()[]—–-"


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop whitespace and punctuation at both edges (the exact-match convention of the evaluation)."""
    while start < end and text[start] in _EDGE:
        start += 1
    while end > start and text[end - 1] in _EDGE:
        end -= 1
    return start, end


def decode(log_probs: np.ndarray, pieces: Pieces, text: str) -> dict[str, list[tuple[int, int, float]]]:
    """Spans per role from [n, 3, 3] log-probabilities: Viterbi under BIO constraints, edges snapped to words.

    Returns {role: [(start, end, mean probability), ...]} in character offsets.
    """
    result: dict[str, list[tuple[int, int, float]]] = {}
    n = len(pieces.ids)
    for r, role in enumerate(ROLES):
        scores = log_probs[:, r, :].copy()
        # a word continuation piece never starts a span nor leaves one: it copies the tag of its word
        tags = _viterbi(scores, pieces.word_start)
        spans = []
        i = 0
        while i < n:
            if tags[i] == B:
                j = i + 1
                while j < n and tags[j] == I:
                    j += 1
                start, end = int(pieces.offsets[i][0]), int(pieces.offsets[j - 1][1])
                start, end = trim(text, start, end)
                if end > start:
                    confidence = float(np.exp(scores[np.arange(i, j), tags[i:j]]).mean())
                    spans.append((start, end, confidence))
                i = j
            else:
                i += 1
        result[role] = spans
    return result


def _viterbi(scores: np.ndarray, word_start: np.ndarray) -> np.ndarray:
    """Best BIO path with I never following O, and a word's continuation pieces tagged I (or O) like its head."""
    n = len(scores)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    neg = -1e9
    # allowed[prev, cur]
    allowed = np.array([[1, 1, 0], [1, 1, 1], [1, 1, 1]], dtype=bool)
    continuation = np.array([[1, 0, 0], [0, 0, 1], [0, 0, 1]], dtype=bool)
    best = scores[0].copy()
    best[I] = neg
    back = np.zeros((n, 3), dtype=np.int64)
    for t in range(1, n):
        mask = allowed if word_start[t] else continuation
        total = best[:, None] + np.where(mask, 0.0, neg)
        back[t] = total.argmax(axis=0)
        best = total.max(axis=0) + scores[t]
    tags = np.zeros(n, dtype=np.int64)
    tags[-1] = int(best.argmax())
    for t in range(n - 1, 0, -1):
        tags[t - 1] = back[t, tags[t]]
    return tags


def batch_windows(pieces: Pieces, spans: Sequence[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """input_ids and attention_mask for the windows, padded to the longest."""
    width = max(end - start for start, end in spans) + 2
    ids = np.full((len(spans), width), PAD_ID, dtype=np.int64)
    mask = np.zeros((len(spans), width), dtype=np.int64)
    for row, (start, end) in enumerate(spans):
        length = end - start
        ids[row, 0] = CLS_ID
        ids[row, 1 : length + 1] = pieces.ids[start:end]
        ids[row, length + 1] = SEP_ID
        mask[row, : length + 2] = 1
    return ids, mask


class OnnxTagger:
    """The exported tagger under onnxruntime: texts in, spans per role out."""

    def __init__(self, model_dir: Path = MODEL_DIR, threads: int = 1) -> None:
        import onnxruntime

        self.model_dir = model_dir
        self.config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
        self.tokenizer = load_tokenizer(model_dir / "tokenizer.json")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(
            str(model_dir / self.config["onnx"]), options, providers=["CPUExecutionProvider"]
        )
        self.batch_size = int(self.config.get("batch_size", 16))

    @property
    def version(self) -> str:
        return str(self.config.get("version", "?"))

    def tag(self, texts: Sequence[str]) -> list[dict[str, list[tuple[int, int, float]]]]:
        encoded = [encode(self.tokenizer, text) for text in texts]
        jobs = []  # (article index, window)
        for index, (pieces, text) in enumerate(zip(encoded, texts)):
            for window in windows(pieces, text):
                jobs.append((index, window))
        # similar lengths together so padding stays small
        jobs.sort(key=lambda job: job[1][1] - job[1][0])
        log_probs = [np.zeros((len(pieces.ids), 3, 3), dtype=np.float32) for pieces in encoded]
        for first in range(0, len(jobs), self.batch_size):
            chunk = jobs[first : first + self.batch_size]
            width = max(end - start for _, (start, end) in chunk) + 2
            ids = np.full((len(chunk), width), PAD_ID, dtype=np.int64)
            mask = np.zeros((len(chunk), width), dtype=np.int64)
            for row, (index, (start, end)) in enumerate(chunk):
                length = end - start
                ids[row, 0] = CLS_ID
                ids[row, 1 : length + 1] = encoded[index].ids[start:end]
                ids[row, length + 1] = SEP_ID
                mask[row, : length + 2] = 1
            (logits,) = self.session.run(None, {"input_ids": ids, "attention_mask": mask})
            logits = logits.reshape(len(chunk), width, 3, 3)
            logits = logits - logits.max(axis=-1, keepdims=True)
            logp = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
            for row, (index, (start, end)) in enumerate(chunk):
                log_probs[index][start:end] = logp[row, 1 : end - start + 1]
        return [decode(lp, pieces, text) for lp, pieces, text in zip(log_probs, encoded, texts)]
