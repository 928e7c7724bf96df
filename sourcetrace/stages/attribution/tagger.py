"""The attribution token tagger at run time: per-token B/I/O probabilities per role (source, cue, content), on
onnxruntime (no torch).

The shipped tagger (`TopLayersTagger`, trained by `python -m training.attribution.tagger_top`) is the upper layers
of all-MiniLM-L6-v2, fine-tuned, with a B/I/O head per role, over the article's shared MiniLM pass
(`sourcetrace._ml.shared_encoder`): it reads the word-piece vectors of each sentence after layer 3, so the stage
runs no encoder of its own. `tagger.json` beside `tagger.onnx` gives the layer and the file's SHA-256, checked on
load. A model folder without `tagger.json` holds a fully fine-tuned MiniLM tagger (`AttributionTagger`, trained
by `python -m training.attribution.tagger`) that encodes the text itself in windows.
Its per-token probabilities are features of the linear ranker (`learned.py`): the tagger recognises attributions
well but cuts spans badly, the parse candidates have clean edges; the ranker combines both.

    tagger = load_tagger(MODEL_DIR / TAGGER_FILE)
    probabilities = tagger.token_probabilities([doc])[0]   # (len(doc), 3 roles, 3 labels O/B/I)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sourcetrace._ml.onnx import onnx_session, wordpiece_tokenizer
from sourcetrace._ml.weights import check_sha256
from sourcetrace.errors import ConfigurationError

TAGGER_FILE = "tagger.onnx"
# beside a tagger that reads the shared pass: its format, layer and SHA-256
TAGGER_META = "tagger.json"
TAGGER_FORMAT = "sourcetrace-attribution-tagger-top/1"
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
        return [tokens_from_pieces(doc, pieces, np.array(offsets, dtype=np.int64).reshape(-1, 2))
                for doc, (pieces, offsets) in zip(docs, self.piece_probabilities([doc.text for doc in docs]))]


def tokens_from_pieces(doc: Any, pieces: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """(tokens, roles, labels): a token reads its first word piece (spaces, and tokens no piece starts in, read O)."""
    by_token = np.zeros((len(doc), ROLE_COUNT, LABELS_PER_ROLE), dtype=np.float32)
    by_token[:, :, 0] = 1.0
    starts = np.asarray(offsets, dtype=np.int64).reshape(-1, 2)[:, 0]
    for token in doc:
        if token.is_space:
            continue
        p = int(np.searchsorted(starts, token.idx))
        if p < len(starts) and starts[p] < token.idx + len(token.text):
            by_token[token.i] = pieces[p]
    return by_token


class TopLayersTagger:
    """The tagger as the upper MiniLM layers over the shared pass (`sourcetrace._ml.shared_encoder`): per window
    of the pass (a sentence, or a part of a long one), its word-piece vectors after layer `layer` go through the
    fine-tuned layers above and a B/I/O head per role. One window per call, unpadded: an int8 graph quantizes its
    activations with one scale over the whole input, so a window's numbers depend on that window alone."""

    def __init__(self, model_path: Path, layer: int, sha256: str | None, threads: int | None = None) -> None:
        if sha256 is not None:
            check_sha256(model_path, sha256, f"the attribution tagger of {model_path.parent / TAGGER_META}")
        self.layer = layer
        self.session = onnx_session(model_path, threads)

    @property
    def shared_layers(self) -> tuple[int, ...]:
        return (self.layer,)

    def window_probabilities(self, pieces: np.ndarray) -> np.ndarray:
        """(n, roles, labels) probabilities of one window's n word-piece vectors (n, 384) from the shared pass."""
        if len(pieces) == 0:
            return np.zeros((0, ROLE_COUNT, LABELS_PER_ROLE), dtype=np.float32)
        rows = np.ascontiguousarray(np.asarray(pieces, dtype=np.float32)[None])
        (logits,) = self.session.run(["logits"], {"pieces": rows})
        return _softmax(logits.reshape(len(pieces), ROLE_COUNT, LABELS_PER_ROLE))

    def piece_probabilities(self, encoding: Any) -> np.ndarray:
        """(pieces, roles, labels) over an article's shared pass (`SharedEncoding`), window by window."""
        vectors = encoding.pieces[self.layer]
        out = np.zeros((len(vectors), ROLE_COUNT, LABELS_PER_ROLE), dtype=np.float32)
        bounds = np.flatnonzero(np.diff(encoding.window_of_piece)) + 1
        for start, end in zip([0, *bounds.tolist()], [*bounds.tolist(), len(vectors)]):
            out[start:end] = self.window_probabilities(vectors[start:end])
        return out

    def document_probabilities(self, document: Any) -> np.ndarray:
        """(tokens, roles, labels) for a pipeline Document with its parse, from its shared pass."""
        from sourcetrace._ml.shared_encoder import load_shared_encoder, shared_encoding

        load_shared_encoder().require_layers(self.shared_layers)  # outside a pipeline nobody else has asked
        encoding = shared_encoding(document)
        return tokens_from_pieces(document.doc, self.piece_probabilities(encoding), encoding.offsets)

    def token_probabilities(self, docs: Sequence[Any]) -> list[np.ndarray]:
        """Per spaCy doc (outside a pipeline: training, tests): its sentences as the backbone makes them, the shared
        pass over them, then (tokens, roles, labels)."""
        from sourcetrace._ml.shared_encoder import load_shared_encoder
        from sourcetrace.analysis import Analysis, ArticleInfo, Meta
        from sourcetrace.pipeline.backbone import Backbone
        from sourcetrace.pipeline.registry import Document

        load_shared_encoder().require_layers(self.shared_layers)
        result = []
        for index, doc in enumerate(docs):
            document = Document(Analysis(article=ArticleInfo(id=f"doc{index}", text=doc.text, language="en"),
                                         meta=Meta(sourcetrace_version="tagger")))
            Backbone._add_layers(document, doc)
            result.append(self.document_probabilities(document))
        return result


def load_tagger(model_path: Path, threads: int | None = None) -> AttributionTagger | TopLayersTagger:
    """The tagger in `model_path`: over the shared pass when `tagger.json` beside it says so (its SHA-256 checked),
    else the full fine-tuned encoder."""
    meta_path = model_path.parent / TAGGER_META
    if not meta_path.is_file():
        return AttributionTagger(model_path, threads)
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta.get("format") != TAGGER_FORMAT:
        raise ConfigurationError(f"{meta_path}: format {meta.get('format')!r}, not {TAGGER_FORMAT!r}")
    return TopLayersTagger(model_path, int(meta["shared_layer"]), str(meta["sha256"]), threads)
